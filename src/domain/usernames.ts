/** Username rules (API.md §2): normalisation, length, characters, reserved names, suggestions. */
import { randomInt } from 'node:crypto';
import { type DomainError, Errors } from '../errors/domain-error.ts';

export const USERNAME_MIN = 4;
export const USERNAME_MAX = 25;
export const SUGGESTED_USERNAME_MAX = 15;
export const SUGGESTION_ATTEMPTS = 10;

const USERNAME_CHARS = /^[a-z0-9][a-z0-9-]*$/;

/** Names that count as taken: they would impersonate the service or confuse clients. */
export const reservedUsernames: ReadonlySet<string> = new Set([
  'admin',
  'administrator',
  'root',
  'support',
  'help',
  'api',
  'www',
  'mail',
  'system',
  'null',
  'undefined',
  'guest',
  'security',
  'abuse',
  'postmaster',
  'hostmaster',
  'webmaster',
  'noreply',
  'no-reply',
  'superuser',
  'moderator',
]);

export function normalizeUsername(raw: string): string {
  return raw.trim().toLowerCase();
}

/** The error a normalised username breaks, or null when it is well-formed (reserved names aside). */
export function usernameProblem(username: string): DomainError | null {
  if (username.length < USERNAME_MIN || username.length > USERNAME_MAX) return new Errors.OutOfRangeUsername();
  if (!USERNAME_CHARS.test(username)) return new Errors.InvalidUsername();
  return null;
}

/** Whether some well-formed username starts with this (normalised, non-empty) text: a search prefix worth looking up. */
export function couldStartUsername(prefix: string): boolean {
  return prefix.length <= USERNAME_MAX && USERNAME_CHARS.test(prefix);
}

export function suggestionProblem(suggestion: string): DomainError | null {
  if (suggestion.length < USERNAME_MIN || suggestion.length > SUGGESTED_USERNAME_MAX) {
    return new Errors.OutOfRangeSuggestedUsername();
  }
  if (!USERNAME_CHARS.test(suggestion)) return new Errors.InvalidUsername();
  return null;
}

/** Whether a well-formed username may be given to anyone: reserved names never. */
export function isReserved(username: string): boolean {
  return reservedUsernames.has(username);
}

/** A well-formed username cut to a suggestion base, so base plus suffix is still a valid username. */
export function suggestionBase(username: string): string {
  return username.slice(0, SUGGESTED_USERNAME_MAX);
}

const SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const SUFFIX_LENGTH = 6;

function randomSuffix(): string {
  let suffix = '';
  for (let i = 0; i < SUFFIX_LENGTH; i++) suffix += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return suffix;
}

/**
 * Candidate usernames built from a (valid) suggestion: the suggestion plus a random
 * suffix, each a valid username of at most 25 characters and none reserved.
 */
export function suggestionCandidates(suggestion: string, count = SUGGESTION_ATTEMPTS): string[] {
  const candidates = new Set<string>();
  while (candidates.size < count) {
    const candidate = `${suggestion}${randomSuffix()}`;
    if (!isReserved(candidate)) candidates.add(candidate);
  }
  return [...candidates];
}
