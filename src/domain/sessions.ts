/**
 * Sessions after sign-in: who a session cookie belongs to, signing out, a group's
 * session list, and the token a session's own forms carry.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { GroupRecord, SessionRecord, UserRecord } from '../db/store.ts';
import { invalidInput } from '../errors/domain-error.ts';
import type { ServiceDeps } from './deps.ts';
import { type Caller, callerOf, type RequestFacts, SYSTEM_CALLER, sessionEnded, userActor } from './events.ts';
import { parsePageSize } from './inputs.ts';
import { digest } from './secrets.ts';

export interface LiveSession {
  session: SessionRecord;
  user: UserRecord;
  group: GroupRecord;
}

const SESSION_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** Sets the form-token key apart from every other use of the server secret. */
const FORM_TOKEN_PURPOSE = 'team-api form token v1';

export class SessionService {
  /** The key of form tokens: derived from the server's secret, so every instance has the same. */
  private readonly formTokenKey: Buffer;

  constructor(private readonly deps: ServiceDeps) {
    this.formTokenKey = createHmac('sha256', deps.ssoKey).update(FORM_TOKEN_PURPOSE).digest();
  }

  /**
   * The token a page puts in each form it shows this session (against cross-site
   * request forgery): an HMAC of the session id under a server key. Another site
   * cannot read it from the page, and it is worth nothing with any other session.
   */
  formToken(session: Pick<SessionRecord, 'id'>): string {
    return createHmac('sha256', this.formTokenKey).update(session.id).digest('base64url');
  }

  /** Whether a form came with this session's token (compared in constant time). */
  isFormToken(session: Pick<SessionRecord, 'id'>, candidate: string | null): boolean {
    if (candidate === null) return false;
    const expected = Buffer.from(this.formToken(session));
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** The live session of this cookie value, if it belongs to the group the request is on. */
  async find(secret: string | null, requestGroupSlug: string | null): Promise<LiveSession | null> {
    if (!secret || !requestGroupSlug || !SESSION_TOKEN.test(secret)) return null;
    const found = await this.deps.store.findLiveSession(digest(secret), this.deps.now());
    return found && found.group.slug === requestGroupSlug ? found : null;
  }

  /** Ends the session server-side (its user signs out); true when there was one to end. */
  async end(secret: string | null, requestGroupSlug: string | null, facts: RequestFacts): Promise<boolean> {
    const live = await this.find(secret, requestGroupSlug);
    if (!live) return false;
    const { session, user, group } = live;
    const caller = callerOf(userActor(user), facts);
    return this.deps.store.deleteSessionByHash(digest(secret!), [
      sessionEnded(group, caller, user, session.id, 'logout', this.deps.now()),
    ]);
  }

  async list(
    group: GroupRecord,
    first: number,
    after: { createdAt: number; id: string } | null,
  ): Promise<Array<{ session: SessionRecord; user: UserRecord }>> {
    // Validated here, not only in a schema: a negative LIMIT means "no limit" in SQL.
    return this.deps.store.listSessions(group.id, this.deps.now(), parsePageSize(first), after);
  }

  /**
   * Ends one of the group's sessions at once. Another group's session answers
   * exactly like no session: InvalidInput, field `id`.
   */
  async revoke(group: GroupRecord, id: string, caller: Caller): Promise<void> {
    const at = this.deps.now();
    const ended = await this.deps.store.deleteSession(group.id, id, ({ session, user }) => [
      sessionEnded(group, caller, user, session.id, 'revoked', at),
    ]);
    if (!ended) throw invalidInput('id', 'no session with this id in this group');
  }

  /** Deletes expired sessions (each recorded as ended by the system) and used SSO-token records. */
  async purgeExpired(): Promise<number> {
    const at = this.deps.now();
    return this.deps.store.purgeExpired(at, (expired) =>
      expired.map(({ session, user }) => sessionEnded({ id: session.groupId }, SYSTEM_CALLER, user, session.id, 'expired', at)),
    );
  }
}
