/**
 * Secrets handed out once (API tokens, session tokens) and how they are kept:
 * 256 random bits, stored only as a SHA-256 digest. A fast digest is right here:
 * the inputs are random, not passwords, so there is nothing to brute-force.
 */
import { hash } from 'node:crypto';
import { pooledRandomBytes } from '../random.ts';

export const API_TOKEN_PREFIX = 'tapi_';

export function newSecret(prefix = ''): string {
  return prefix + pooledRandomBytes(32).toString('base64url');
}

export function digest(secret: string): string {
  // One call, no Hash object: every API-token request digests its token.
  return hash('sha256', secret, 'base64url');
}

/** Shape check before any lookup: rejects junk without touching the database. */
export function looksLikeApiToken(value: string): boolean {
  return /^tapi_[A-Za-z0-9_-]{43}$/.test(value);
}
