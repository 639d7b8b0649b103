/** Shape rules for free-form inputs shared by several services (emails, names, domains, slugs). */
import { invalidInput } from '../errors/domain-error.ts';

export const EMAIL_MAX = 254;
export const NAME_MAX = 100;
export const LABEL_MAX = 100;
/** Largest page a listing hands out at once. */
export const PAGE_MAX = 100;

// ASCII only: an internationalised domain must arrive in its punycode form, so two
// addresses that look alike can never be two different users.
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})$/;
const DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// C0/C1 controls, line/paragraph separators and bidi overrides: never part of a name.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Returns the trimmed address and its domain (lower-case), or throws InvalidInput(field email). */
export function parseEmail(raw: string): { email: string; domain: string } {
  const email = raw.trim();
  const match = email.length <= EMAIL_MAX ? EMAIL.exec(email) : null;
  if (!match) throw invalidInput('email', 'must be an address like name@example.com, at most 254 characters');
  return { email, domain: match[1]!.toLowerCase() };
}

/** An optional display text: null when absent or blank, else at most `max` characters, no control characters. */
export function optionalText(field: string, raw: string | null | undefined, max = NAME_MAX): string | null {
  if (raw == null) return null;
  const text = raw.trim();
  if (text === '') return null;
  if (text.length > max) throw invalidInput(field, `must be at most ${max} characters`);
  if (CONTROL.test(text)) throw invalidInput(field, 'must not contain control characters');
  return text;
}

export function parseDomain(field: string, raw: string): string {
  const domain = raw.trim().toLowerCase();
  if (domain.length > 253 || !DOMAIN.test(domain)) throw invalidInput(field, `"${raw}" is not a domain name`);
  return domain;
}

export function isSlug(value: string): boolean {
  return SLUG.test(value);
}

export function parseSlug(raw: string): string {
  const slug = raw.trim().toLowerCase();
  if (slug.length < 2 || !isSlug(slug)) {
    throw invalidInput('slug', 'must be 2..63 characters of a-z, 0-9 and -, not starting or ending with -');
  }
  return slug;
}

/** How many items a listing may return: an integer 0..max (PAGE_MAX unless given), else InvalidInput(field first). */
export function parsePageSize(first: number, max = PAGE_MAX): number {
  if (!Number.isInteger(first) || first < 0 || first > max) {
    throw invalidInput('first', `must be an integer between 0 and ${max}`);
  }
  return first;
}
