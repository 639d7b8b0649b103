/**
 * Retry-safe writes (API.md §11). A write sent with an `Idempotency-Key` remembers
 * its outcome, success or refusal, in the same transaction as the write; the same
 * key with the same request gets that outcome again, and nothing is written twice.
 * The same key with another request is IdempotencyKeyReused; while the first is
 * still running in this process, IdempotencyKeyInUse. A request racing the first on
 * another instance waits on the key in the database, then gets its outcome.
 *
 * The database never holds the key, the request or the outcome readably (an outcome
 * can be an SSO token or a webhook's secret): a digest of the key finds the row, the
 * fingerprint is kept under a key derived from the idempotency key, and the outcome is
 * sealed under another (sealed-outcomes.ts). Only a caller holding the key can replay it.
 * An outcome that does not open (tampered with) fails the request, masked as
 * InternalError: never replayed as something else, never run afresh over it.
 */
import { createHash } from 'node:crypto';
import { type IdempotencyClaim, IdempotentReplay, type Remember, type StoredOutcome } from '../db/store.ts';
import type { ErrorCode } from '../errors/catalog.ts';
import { DomainError, domainError, Errors, invalidInput } from '../errors/domain-error.ts';
import { SealingKey } from './sealed-outcomes.ts';
import type { ServiceDeps } from './deps.ts';

/** 1 to 255 visible ASCII characters. */
const KEY = /^[\x21-\x7e]{1,255}$/;

/** What a keyed write hands its service: the claim, and how to write its outcome down. */
export interface Keyed<T> {
  claim: IdempotencyClaim;
  encode(outcome: T): string;
}

/** How the store remembers a keyed write (none without a key): its claim, and its outcome from what the write found. */
export function remembering<T, F = void>(keyed: Keyed<T> | undefined, outcome: (found: F) => T): Remember<F> | undefined {
  return keyed && { claim: keyed.claim, outcome: (found) => keyed.encode(outcome(found)) };
}

/**
 * How one operation's outcome is remembered and replayed. `refusals` are the codes
 * that are its outcome (union members): those are remembered; any other failure is
 * the request's own, and a retry runs afresh.
 */
export interface OutcomeCodec<T> {
  refusals: readonly ErrorCode[];
  encode(value: T): unknown;
  decode(stored: unknown): T;
}

/** The codec of an outcome kept as it is (plain JSON data: no dates, no class instances). */
export function plainOutcome<T>(refusals: readonly ErrorCode[]): OutcomeCodec<T> {
  return { refusals, encode: (value) => value, decode: (stored) => stored as T };
}

/** What a keyed write came to: its value or the refusal it was answered with, and whether that was a replay. */
export interface KeyedOutcome<T> {
  outcome: T | DomainError;
  replayed: boolean;
}

/** Storage failures are union members too, but the write did not happen: never remembered. */
const NOT_REMEMBERED: ReadonlySet<ErrorCode> = new Set(['FailedToCreateUser', 'failedToCreateSession']);

/** A refusal as remembered. */
export function encodeRefusal(error: DomainError): { error: { code: ErrorCode; field: string | null } } {
  return { error: { code: error.code, field: error.field } };
}

export function isEncodedRefusal(value: unknown): value is { error: { code: ErrorCode; field: string | null } } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'error' in value;
}

export function decodeRefusal(value: { error: { code: ErrorCode; field: string | null } }): DomainError {
  return domainError(value.error.code, value.error.field === null ? {} : { field: value.error.field });
}

/** The fingerprint of a request: a digest of its route and its parsed body, in a fixed shape. */
export function requestFingerprint(route: string, body: unknown): string {
  return createHash('sha256').update(route).update('\n').update(JSON.stringify(body) ?? 'null').digest('base64url');
}

export class IdempotencyService {
  /** Keys of keyed writes running now in this process: `${groupId} ${lookup}`. */
  private readonly running = new Set<string>();

  constructor(private readonly deps: ServiceDeps) {}

  /** Refuses a key that is not 1..255 visible ASCII characters: InvalidInput (field Idempotency-Key). */
  parseKey(raw: string): string {
    if (!KEY.test(raw)) throw invalidInput('Idempotency-Key', 'must be 1 to 255 visible ASCII characters');
    return raw;
  }

  /**
   * Runs `write` under the key, or answers what the key remembers. `field` names
   * this write within the request. Resolves with the outcome (the value, or a
   * refusal among the codec's) and whether it was a replay; any other failure is thrown.
   */
  async run<T>(
    groupId: string,
    key: string,
    requestDigest: string,
    field: string,
    codec: OutcomeCodec<T>,
    write: (keyed: Keyed<T | DomainError>) => Promise<T>,
  ): Promise<KeyedOutcome<T>> {
    const now = this.deps.now();
    // What the database sees of the key and the request: a digest, and a MAC under the key.
    const sealing = new SealingKey(groupId, key);
    const fingerprint = sealing.fingerprint(requestDigest);
    const stored = await this.deps.store.findIdempotencyOutcomes(groupId, sealing.lookup, now);
    if (stored.some((s) => s.fingerprint !== fingerprint)) throw new Errors.IdempotencyKeyReused();
    const mine = stored.find((s) => s.field === field);
    if (mine) return this.replay(mine, fingerprint, sealing, codec);

    const running = `${groupId} ${sealing.lookup}`;
    if (this.running.has(running)) throw new Errors.IdempotencyKeyInUse({ headers: { 'retry-after': '1' } });
    this.running.add(running);
    const claim: IdempotencyClaim = {
      groupId,
      key: sealing.lookup,
      field,
      fingerprint,
      createdAt: now,
      expiresAt: now + this.deps.config.idempotencyKeyTtlSeconds * 1000,
    };
    const encode = (outcome: T | DomainError) =>
      sealing.seal(field, fingerprint, JSON.stringify(outcome instanceof DomainError ? encodeRefusal(outcome) : codec.encode(outcome)));
    try {
      return { outcome: await write({ claim, encode }), replayed: false };
    } catch (error) {
      if (error instanceof IdempotentReplay) return this.replay(error.stored, fingerprint, sealing, codec);
      if (!(error instanceof DomainError) || !codec.refusals.includes(error.code)) throw error;
      if (NOT_REMEMBERED.has(error.code)) return { outcome: error, replayed: false };
      // A refusal is an outcome too. If a request with this key got there first (on
      // another instance), its outcome is the answer.
      const encoded = encode(error);
      const kept = await this.deps.store.rememberOutcome(claim, encoded);
      if (kept.outcome === encoded && kept.fingerprint === fingerprint) return { outcome: error, replayed: false };
      return this.replay(kept, fingerprint, sealing, codec);
    } finally {
      this.running.delete(running);
    }
  }

  /** The remembered outcome, opened with the request's key; UnreadableOutcome (a masked InternalError) if it does not open. */
  private replay<T>(stored: StoredOutcome, fingerprint: string, sealing: SealingKey, codec: OutcomeCodec<T>): KeyedOutcome<T> {
    if (stored.fingerprint !== fingerprint) throw new Errors.IdempotencyKeyReused();
    const value: unknown = JSON.parse(sealing.open(stored.field, stored.fingerprint, stored.outcome));
    return { outcome: isEncodedRefusal(value) ? decodeRefusal(value) : codec.decode(value), replayed: true };
  }
}
