/** The storage port for browser sessions: created from an SSO token, found by digest on every console request. */
import type { EventsOf, NewEvent } from './events.ts';
import type { EndedSession, GroupRecord, SessionRecord, UserRecord } from './records.ts';

export type CreateSessionOutcome = { ok: true } | { ok: false; reason: 'sso-token-used' | 'api-token-revoked' };

export interface SessionStore {
  /**
   * Consumes the SSO token's jti and creates the session in one transaction, with
   * its events; with `replacing`, the same transaction ends that session of the
   * group (the one the browser had) and writes its events if it was still there.
   * A session of an API token's link is created only while that token is not
   * revoked, checked in the same transaction (`api-token-revoked`, nothing written),
   * so no session made through a token ever outlives its revocation. `tokenHash` is
   * the digest of the cookie that will find the session.
   */
  createSessionUsingSsoToken(
    sso: { jti: string; expiresAt: number },
    session: SessionRecord & { tokenHash: string },
    events: NewEvent[],
    replacing?: { sessionId: string; events: NewEvent[] },
  ): Promise<CreateSessionOutcome>;
  /** A session that is live at `now`, with its user and group. */
  findLiveSession(tokenHash: string, now: number): Promise<{ session: SessionRecord; user: UserRecord; group: GroupRecord } | null>;
  /** Ends the session with this digest; the events are written only if it was there. */
  deleteSessionByHash(tokenHash: string, events: NewEvent[]): Promise<boolean>;
  /** Ends one of the group's sessions; events are built from the session and its user. */
  deleteSession(groupId: string, id: string, events: EventsOf<EndedSession>): Promise<boolean>;
  listSessions(
    groupId: string,
    now: number,
    limit: number,
    after: { createdAt: number; id: string } | null,
  ): Promise<Array<{ session: SessionRecord; user: UserRecord }>>;
  /**
   * Deletes expired sessions (writing the events built from them), SSO-token use
   * records and idempotency keys; returns how many rows went.
   */
  purgeExpired(now: number, events: EventsOf<EndedSession[]>): Promise<number>;
}
