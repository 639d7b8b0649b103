/** Sessions after sign-in: who a session cookie belongs to, signing out, and a group's session list. */
import type { GroupRecord, SessionRecord, UserRecord } from '../db/store.ts';
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

export class SessionService {
  constructor(private readonly deps: ServiceDeps) {}

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

  async revoke(group: GroupRecord, id: string, caller: Caller): Promise<boolean> {
    const at = this.deps.now();
    return this.deps.store.deleteSession(group.id, id, ({ session, user }) => [
      sessionEnded(group, caller, user, session.id, 'revoked', at),
    ]);
  }

  /** Deletes expired sessions (each recorded as ended by the system) and used SSO-token records. */
  async purgeExpired(): Promise<number> {
    const at = this.deps.now();
    return this.deps.store.purgeExpired(at, (expired) =>
      expired.map(({ session, user }) => sessionEnded({ id: session.groupId }, SYSTEM_CALLER, user, session.id, 'expired', at)),
    );
  }
}
