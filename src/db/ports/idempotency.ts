/** The storage port for idempotency keys (API.md §11): a keyed write's claim, and the outcome it remembers. */

/** A keyed write's claim on its idempotency key (API.md §11). */
export interface IdempotencyClaim {
  groupId: string;
  key: string;
  /** The GraphQL response key, or the REST route: one request can hold several keyed writes. */
  field: string;
  fingerprint: string;
  createdAt: number;
  expiresAt: number;
}

/** What a keyed write remembers, in its own transaction: the claim and the outcome (JSON), from what it found. */
export interface Remember<T = void> {
  claim: IdempotencyClaim;
  outcome: (found: T) => string;
}

export interface StoredOutcome {
  field: string;
  fingerprint: string;
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
