/**
 * Secrets handed out once (API tokens, session tokens) and how they are kept:
 * 256 random bits, stored only as a SHA-256 digest. A fast digest is right here:
 * the inputs are random, not passwords, so there is nothing to brute-force.
 */
import { createHash, randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

export const API_TOKEN_PREFIX = 'tapi_';

/**
 * Row ids: UUIDv7, time-ordered, so inserts land at the end of each primary-key
 * B-tree instead of anywhere in it (at a million users, random v4 ids cost a
 * quarter of createUser's throughput). 74 random bits keep them unguessable.
 */
export function newId(): string {
  return uuidv7();
}

export function newSecret(prefix = ''): string {
  return prefix + randomBytes(32).toString('base64url');
}

export function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** Shape check before any lookup: rejects junk without touching the database. */
export function looksLikeApiToken(value: string): boolean {
  return /^tapi_[A-Za-z0-9_-]{43}$/.test(value);
}
