/**
 * Driving the admin console through `app.fetch` as a browser would: pages asked for
 * with the session cookie on the group's domain, forms posted as
 * application/x-www-form-urlencoded from the page's own origin, with the form token
 * (and form key) read from the page that showed the form. Also what every console
 * answer must carry.
 */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { envelopeOf, type ErrorCode } from '../../src/errors/catalog.ts';
import { CLI_CALLER } from '../../src/domain/events.ts';
import { adminApp, type TestApp } from './harness.ts';

export interface ConsoleAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The `Location` of a redirect, else null. */
  location: string | null;
}

export interface ConsoleCall {
  host: string;
  cookie?: string;
  headers?: Record<string, string>;
}

async function read(response: Response): Promise<ConsoleAnswer> {
  return { status: response.status, headers: response.headers, text: await response.text(), location: response.headers.get('location') };
}

/** GET a console page (or any page) as a browser navigating to it. */
export async function open(t: TestApp, path: string, call: ConsoleCall): Promise<ConsoleAnswer> {
  const headers: Record<string, string> = { accept: 'text/html', ...call.headers };
  if (call.cookie) headers.cookie = call.cookie;
  return read(await t.request(path, { host: call.host, headers, redirect: 'manual' }));
}

/** The headers a browser sends with a form post from a page of `host` itself. */
export function sameOrigin(host: string): Record<string, string> {
  return { origin: `http://${host}`, 'sec-fetch-site': 'same-origin' };
}

/** POST a form, by default from the group's own page (Origin and Sec-Fetch-Site of its origin). */
export async function post(
  t: TestApp,
  path: string,
  fields: Array<[string, string]> | Record<string, string>,
  call: ConsoleCall & { contentType?: string },
): Promise<ConsoleAnswer> {
  const headers: Record<string, string> = {
    accept: 'text/html',
    'content-type': call.contentType ?? 'application/x-www-form-urlencoded',
    ...(call.headers ?? sameOrigin(call.host)),
  };
  if (call.cookie) headers.cookie = call.cookie;
  const body = new URLSearchParams(Array.isArray(fields) ? fields : Object.entries(fields)).toString();
  return read(await t.request(path, { method: 'POST', host: call.host, headers, body, redirect: 'manual' }));
}

/** The value of the hidden input `name` of the first form on the page that has one. */
export function hiddenField(text: string, name: string): string {
  const found = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(text);
  if (!found) throw new Error(`no hidden ${name} field on the page:\n${text.slice(0, 3000)}`);
  return unescape(found[1]!);
}

/** The form token a page's forms carry. */
export const formTokenOf = (text: string) => hiddenField(text, 'csrfToken');

/** The text inside the element with this id (tags removed, entities decoded), or null. */
export function textOf(text: string, id: string): string | null {
  const found = new RegExp(`<(\\w+)[^>]* id="${id}"[^>]*>([\\s\\S]*?)</\\1>`).exec(text);
  return found ? unescape(found[2]!.replace(/<[^>]+>/g, '')).trim() : null;
}

/** The secret a create page shows once (the read-only field). */
export function shownSecret(text: string): string | null {
  const found = /<input type="text" id="secret" value="([^"]*)" readonly/.exec(text);
  return found ? unescape(found[1]!) : null;
}

function unescape(html: string): string {
  return html
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/**
 * What every console answer carries: its inline style and script allowed by hash
 * and nothing else, no framing, never cached, no referrer, no sniffing.
 */
export function expectConsoleHeaders(answer: ConsoleAnswer): void {
  const csp = answer.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("form-action 'self'");
  expect(csp).toContain("base-uri 'none'");
  expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:/);
  expect(answer.headers.get('x-frame-options')).toBe('DENY');
  expect(answer.headers.get('cache-control')).toBe('no-store');
  expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
  expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
  if (answer.status !== 303) {
    expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
    // Every inline stylesheet and script is allowed by its hash.
    const directive = (name: string) => csp.split(';').map((d) => d.trim()).find((d) => d.startsWith(`${name} `)) ?? '';
    for (const [, kind, body] of answer.text.matchAll(/<(style|script)>([\s\S]*?)<\/\1>/g)) {
      const hash = createHash('sha256').update(body!).digest('base64');
      expect(directive(`${kind}-src`)).toContain(`'sha256-${hash}'`);
    }
    // Nothing is loaded from anywhere, and no handler runs inline.
    expect(answer.text).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)=/i);
    expect(answer.text).not.toMatch(/\son[a-z]+=/i);
  }
}

/** A page explaining a failure: the status, and the catalog's code and message for it. */
export function expectFailurePage(answer: ConsoleAnswer, code: ErrorCode, field?: string): void {
  const envelope = envelopeOf(code);
  expect(answer.status, answer.text.slice(0, 2000)).toBe(envelope.status);
  expect(textOf(answer.text, 'error-code')).toBe(code);
  expect(answer.text).toContain(envelope.message);
  if (field !== undefined) expect(answer.text).toContain(`<code>${field}</code>`);
  expectConsoleHeaders(answer);
}

/** A public address written as a literal, so nothing is looked up; no console test runs a delivery worker, so nothing is sent to it. */
export const PUBLIC_HOOK_URL = 'https://93.184.215.14/hooks/acme';

/**
 * The console tests' start (adminApp): groups acme and globex, alice an admin of
 * acme signed in, and in acme brian (a member, signed in too), an API token labelled
 * "billing" and a webhook endpoint, so pages have something to show or to withhold.
 */
export async function consoleApp(options: Parameters<typeof adminApp>[0] = {}) {
  const setup = await adminApp(options);
  const { t, acme } = setup;
  await acme.user('brian', { email: 'brian@acme.example' });
  const memberCookie = await acme.session('brian');
  const { apiToken, token } = await t.app.services.apiTokens.create(acme.group, 'billing', CLI_CALLER);
  const { endpoint } = await t.app.services.webhooks.create(acme.group, PUBLIC_HOOK_URL, null, CLI_CALLER);
  return { ...setup, memberCookie, apiToken, token, endpoint };
}
