/** The storage port for API tokens: kept as hashes, found by hash on every API request. */
import type { EventsOf, NewEvent } from './events.ts';
import type { EndedSession, GroupRecord } from './records.ts';

export interface ApiTokenRecord {
  id: string;
  groupId: string;
  label: string | null;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
  /** Made in a session signed in through this API token's sign-in link (null: not so). */
  createdThroughApiTokenId: string | null;
}

export interface ApiTokenStore {
  /** Inserts the token with its events (and the key's outcome, when keyed); IdempotentReplay when the key was used already. */
  insertApiToken(token: ApiTokenRecord & { tokenHash: string }, events: NewEvent[]): Promise<void>;
  /** The token with this hash and its group (deleted or not). */
  findApiTokenByHash(tokenHash: string): Promise<{ token: ApiTokenRecord; group: GroupRecord } | null>;
  findApiToken(id: string): Promise<ApiTokenRecord | null>;
  listApiTokens(groupId: string): Promise<ApiTokenRecord[]>;
  /**
   * Revokes the token (keeping the first revocation time) and, in the same
   * transaction, ends the sessions signed in through its sign-in links; events
   * (built from the token and those sessions) only when this call revoked it.
   */
  revokeApiToken(id: string, at: number, events: EventsOf<{ token: ApiTokenRecord; ended: EndedSession[] }>): Promise<ApiTokenRecord | null>;
  /** Records last use for many tokens at once (coalesced by the caller). */
  touchApiTokens(lastUsed: Map<string, number>): Promise<void>;
}
