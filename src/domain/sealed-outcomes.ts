/**
 * Remembered outcomes, sealed under their idempotency key (API.md §11). An outcome
 * can hold a secret (an SSO token, a webhook's `whsec_` signing secret), so the
 * database keeps none of it readable, nor the key that replays it:
 *
 * - the lookup is a digest of the key, `SHA-256(context ‖ group id ‖ key)`: the row is
 *   found by whoever sends the key, and the key cannot be read back from it;
 * - the outcome is AES-256-GCM under a key derived from the idempotency key
 *   (HKDF-SHA256, salted with the group id, with a fixed context), a random 96-bit IV
 *   each time, authenticated together with the row it belongs to (lookup, field,
 *   fingerprint): stored as `v1.<iv>.<ciphertext‖tag>`, base64url;
 * - the request's fingerprint is kept as an HMAC-SHA256 under a second derived key,
 *   so the same key with another request is still told apart (IdempotencyKeyReused),
 *   but a copy of the database cannot confirm a guessed request without the key.
 *
 * The idempotency key is the only secret: a client's key should be unguessable (a
 * random UUID), since a database copy lets anyone try guesses of it offline.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync } from 'node:crypto';
import { pooledRandomBytes } from '../random.ts';

/** Domain separation of the lookup digest, and HKDF's context: fixed, versioned. */
const LOOKUP_CONTEXT = 'team-api/idempotency-key/lookup/v1';
const KEYS_CONTEXT = 'team-api/idempotency-key/outcome/v1';
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** A fresh random 96-bit IV (never handed out twice: see random.ts). */
const randomIv = (): Buffer => pooledRandomBytes(IV_BYTES);

/** A remembered outcome that does not open under the request's key: changed, truncated, or not sealed at all. */
export class UnreadableOutcome extends Error {
  constructor() {
    super('a remembered idempotency outcome failed its integrity check');
    this.name = 'UnreadableOutcome';
  }
}

/** One group's idempotency key, as the database may see it: its lookup, and what seals and opens its outcomes. */
export class SealingKey {
  /** What the key column holds: base64url SHA-256 of the context, the group id and the key. */
  readonly lookup: string;
  private readonly cipherKey: Buffer;
  private readonly macKey: Buffer;

  constructor(groupId: string, key: string) {
    this.lookup = createHash('sha256').update(`${LOOKUP_CONTEXT}\0${groupId}\0`).update(key).digest('base64url');
    const derived = Buffer.from(hkdfSync('sha256', key, groupId, KEYS_CONTEXT, 64));
    this.cipherKey = derived.subarray(0, 32);
    this.macKey = derived.subarray(32);
  }

  /** What the fingerprint column holds: the request's fingerprint under the key (HMAC-SHA256). */
  fingerprint(requestFingerprint: string): string {
    return createHmac('sha256', this.macKey).update(requestFingerprint).digest('base64url');
  }

  /** The outcome (JSON) sealed for its row: `v1.<iv>.<ciphertext‖tag>`. */
  seal(field: string, fingerprint: string, outcome: string): string {
    const iv = randomIv();
    const cipher = createCipheriv('aes-256-gcm', this.cipherKey, iv);
    cipher.setAAD(this.associated(field, fingerprint));
    const sealed = Buffer.concat([cipher.update(outcome, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${VERSION}.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
  }

  /** The outcome (JSON) of a sealed row; UnreadableOutcome unless it opens, unchanged, for this very row. */
  open(field: string, fingerprint: string, stored: string): string {
    const [version, iv64, sealed64, ...rest] = stored.split('.');
    if (version !== VERSION || iv64 === undefined || sealed64 === undefined || rest.length > 0) throw new UnreadableOutcome();
    const iv = Buffer.from(iv64, 'base64url');
    const sealed = Buffer.from(sealed64, 'base64url');
    // Canonical base64url only: a stored value reads one way.
    if (iv.length !== IV_BYTES || sealed.length < TAG_BYTES || iv.toString('base64url') !== iv64 || sealed.toString('base64url') !== sealed64) {
      throw new UnreadableOutcome();
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.cipherKey, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(this.associated(field, fingerprint));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new UnreadableOutcome();
    }
  }

  /** What the tag also covers: the row the outcome belongs to, so it cannot be moved to another field or key. */
  private associated(field: string, fingerprint: string): Buffer {
    return Buffer.from(`${VERSION}\0${this.lookup}\0${field}\0${fingerprint}`, 'utf8');
  }
}
