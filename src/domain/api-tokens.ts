/**
 * API tokens: minted for a group, shown once, kept as a digest, checked on every
 * API request. Last use is coalesced in memory and written in batches, so an
 * authenticated request costs no database write.
 */
import type { ApiTokenRecord, GroupRecord } from '../db/store.ts';
import { Errors, invalidInput } from '../errors/domain-error.ts';
import { newId } from '../ids.ts';
import type { ServiceDeps } from './deps.ts';
import { type Caller, newEvent, sessionEnded, targets } from './events.ts';
import { type Keyed, plainOutcome, remembering } from './idempotency.ts';
import { LABEL_MAX, optionalText } from './inputs.ts';
import { API_TOKEN_PREFIX, digest, looksLikeApiToken, newSecret } from './secrets.ts';

export interface AuthenticatedToken {
  token: ApiTokenRecord;
  group: GroupRecord;
}

/**
 * A created token as a keyed create remembers it: what it was, never the secret,
 * which is shown once. A repeated request learns that it created this token already.
 */
export const createApiTokenOutcome = plainOutcome<ApiTokenRecord>(['InvalidInput']);

export class ApiTokenService {
  /** Last use per token id not yet written to the database. */
  private readonly pendingLastUse = new Map<string, number>();
  /** The batch a flush is writing now. */
  private writing = new Map<string, number>();
  private flushing: Promise<void> | null = null;

  constructor(private readonly deps: ServiceDeps) {}

  async create(
    group: GroupRecord,
    label: string | null | undefined,
    caller: Caller,
    keyed?: Keyed<ApiTokenRecord>,
  ): Promise<{ apiToken: ApiTokenRecord; token: string }> {
    const token = newSecret(API_TOKEN_PREFIX);
    const labelOf = optionalText('label', label, LABEL_MAX);
    // Made in a session signed in through another token's link: traced to that token, so
    // an admin who revokes a leaked token can find what was made with it (API.md §17).
    const through = caller.signedInWithApiTokenId ? await this.deps.store.findApiToken(caller.signedInWithApiTokenId) : null;
    const apiToken: ApiTokenRecord = {
      id: newId(),
      groupId: group.id,
      label: labelOf,
      createdAt: this.deps.now(),
      lastUsedAt: null,
      revokedAt: null,
      createdThroughApiTokenId: through?.id ?? null,
    };
    const data = { label: apiToken.label, signedInWithApiToken: through && { id: through.id, label: through.label } };
    await this.deps.store
      .keyed(remembering(keyed, () => apiToken))
      .insertApiToken({ ...apiToken, tokenHash: digest(token) }, [
        newEvent('api_token.created', group, caller, targets.apiToken(apiToken), data, apiToken.createdAt),
      ]);
    return { apiToken, token };
  }

  /**
   * The token and its group, or the documented refusal: InvalidApiToken (malformed,
   * unknown or revoked), GroupNotFound (group deleted), ApiIsDisabled.
   */
  async authenticate(raw: string): Promise<AuthenticatedToken> {
    if (!looksLikeApiToken(raw)) throw new Errors.InvalidApiToken();
    const found = await this.deps.store.findApiTokenByHash(digest(raw));
    if (!found || found.token.revokedAt !== null) throw new Errors.InvalidApiToken();
    if (found.group.deletedAt !== null) throw new Errors.GroupNotFound();
    this.pendingLastUse.set(found.token.id, this.deps.now());
    return found;
  }

  /** Refuses a token whose group has the API switched off (checked after the request domain). */
  assertApiEnabled(group: GroupRecord): void {
    if (!group.isApiEnabled) throw new Errors.ApiIsDisabled();
  }

  async list(group: GroupRecord): Promise<ApiTokenRecord[]> {
    const tokens = await this.deps.store.listApiTokens(group.id);
    return tokens.map((t) => this.withPendingUse(t));
  }

  /**
   * One of the group's tokens. Another group's token answers exactly like no token
   * (InvalidInput, field `id`): there is nothing to learn about it.
   */
  async get(group: GroupRecord, id: string): Promise<ApiTokenRecord> {
    const token = await this.deps.store.findApiToken(id);
    if (!token || token.groupId !== group.id) throw invalidInput('id', 'no API token with this id in this group');
    return this.withPendingUse(token);
  }

  /**
   * Revokes a token of the group (InvalidInput, field `id`, when it has no such
   * token); revoking twice keeps the first time. The sessions signed in through its
   * sign-in links end with it, in the same transaction (`session.ended`, reason
   * `api_token_revoked`). Tokens made in those sessions stay: they are the admins'
   * own, and rotating a token (sign in through it, make the next, revoke it) must
   * work; each is marked with the token it was made through (createdThroughApiTokenId).
   */
  async revoke(group: GroupRecord, id: string, caller: Caller): Promise<ApiTokenRecord> {
    await this.get(group, id);
    const revoked = await this.revokeNow(id, caller);
    // Tokens are never deleted, so the one just found is there.
    return this.withPendingUse(revoked!);
  }

  /** Revokes a token by id whatever its group (operators, through the CLI). */
  async revokeById(id: string, caller: Caller): Promise<ApiTokenRecord | null> {
    if (!(await this.deps.store.findApiToken(id))) return null;
    return this.revokeNow(id, caller);
  }

  private revokeNow(id: string, caller: Caller): Promise<ApiTokenRecord | null> {
    const at = this.deps.now();
    return this.deps.store.revokeApiToken(id, at, ({ token, ended }) => [
      newEvent('api_token.revoked', { id: token.groupId }, caller, targets.apiToken(token), { label: token.label }, at),
      ...ended.map(({ session, user }) => sessionEnded({ id: token.groupId }, caller, user, session.id, 'api_token_revoked', at)),
    ]);
  }

  /** Writes pending last-use times in one transaction. */
  async flushLastUse(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.pendingLastUse.size === 0) return;
    const batch = new Map(this.pendingLastUse);
    this.pendingLastUse.clear();
    // Still shown while the write is under way (an async store may take a while),
    // and put back if it fails, so a listing never goes back in time.
    this.writing = batch;
    this.flushing = this.deps.store
      .touchApiTokens(batch)
      .catch((error: unknown) => {
        for (const [id, at] of batch) this.notePendingUse(id, at);
        throw error;
      })
      .finally(() => {
        this.writing = new Map();
        this.flushing = null;
      });
    return this.flushing;
  }

  /** Writes every pending last-use time, including those noted while an earlier write was under way (shutdown). */
  async flushAllLastUse(): Promise<void> {
    while (this.flushing || this.pendingLastUse.size > 0) await this.flushLastUse();
  }

  private notePendingUse(id: string, at: number): void {
    if (at > (this.pendingLastUse.get(id) ?? 0)) this.pendingLastUse.set(id, at);
  }

  /** The token with its last use as this process knows it, written or not. */
  private withPendingUse(token: ApiTokenRecord): ApiTokenRecord {
    const pending = Math.max(this.pendingLastUse.get(token.id) ?? 0, this.writing.get(token.id) ?? 0);
    return pending > (token.lastUsedAt ?? 0) ? { ...token, lastUsedAt: pending } : token;
  }
}
