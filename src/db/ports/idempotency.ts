/** The storage port for idempotency keys (API.md §11): a keyed write's claim, and the outcome it remembers. */

/**
 * A keyed write's claim on its idempotency key (API.md §11). The store sees the key
 * and the request only as the domain hands them over (sealed-outcomes.ts): `key` is
 * a digest of the idempotency key, `fingerprint` a MAC under it, and each outcome is
 * sealed (`v1.<iv>.<ciphertext‖tag>`); it keeps and compares them as opaque text.
 */
export interface IdempotencyClaim {
  groupId: string;
  /** The lookup: a digest of the group id and the idempotency key, never the key. */
  key: string;
  /** The GraphQL response key, or the REST route: one request can hold several keyed writes. */
  field: string;
  /** The request's fingerprint under the key (HMAC): equal for the same request with the same key. */
  fingerprint: string;
  createdAt: number;
  expiresAt: number;
}

/** What a keyed write remembers, in its own transaction: the claim and the outcome (sealed JSON), from what it found. */
export interface Remember<T = void> {
  claim: IdempotencyClaim;
  outcome: (found: T) => string;
}

export interface StoredOutcome extends Pick<IdempotencyClaim, 'field' | 'fingerprint'> {
  outcome: string;
}

/**
 * A keyed write found its key already used (by a concurrent request, or one that
 * committed a moment ago): nothing was written, and this is what was remembered.
 */
export class IdempotentReplay extends Error {
  constructor(readonly stored: StoredOutcome) {
    super('idempotency key already used');
  }
}

export interface IdempotencyStore {
  /** The outcomes remembered under the group's key that have not expired at `now`. */
  findIdempotencyOutcomes(groupId: string, key: string, now: number): Promise<StoredOutcome[]>;
  /** Remembers an outcome that came with no write (a refusal), unless one is there; returns what is stored now. */
  rememberOutcome(claim: IdempotencyClaim, outcome: string): Promise<StoredOutcome>;
}
