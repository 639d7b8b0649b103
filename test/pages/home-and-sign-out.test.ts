import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envelopeOf } from '../../src/errors/catalog.ts';
import { createTestApp, type GroupSeed, type TestApp } from '../support/harness.ts';
import { cookieFrom } from '../support/rest.ts';

let t: TestApp;
let acme: GroupSeed;
let cookie: string;

beforeEach(async () => {
  t = await createTestApp();
  acme = await t.seed.group('acme');
  await acme.user('alice', { email: "o'brien&co@example.com" });
  cookie = await acme.session('alice');
});
afterEach(() => t.close());

async function page(path: string, init: { host?: string; cookie?: string; method?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { accept: 'text/html', ...init.headers };
  if (init.cookie) headers.cookie = init.cookie;
  const response = await t.request(path, { method: init.method ?? 'GET', host: init.host, headers, redirect: 'manual' });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function expectSecurityHeaders(headers: Headers) {
  const csp = headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("form-action 'self'");
  expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|script-src/);
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  expect(headers.get('content-type')).toBe('text/html; charset=utf-8');
}

describe('GET / on a group’s domain', () => {
  it('shows who is signed in, escaped, with a sign-out form and strict headers', async () => {
    const res = await page('/', { host: acme.host, cookie });
    expect(res.status).toBe(200);
    expectSecurityHeaders(res.headers);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.text).toContain('<dd id="username">alice</dd>');
    expect(res.text).toContain('<dd id="group">acme</dd>');
    expect(res.text).toContain('o&#39;brien&amp;co@example.com');
    expect(res.text).not.toContain("o'brien&co");
    expect(res.text).toMatch(/<form method="post" action="\/-\/sign-out">/);
    expect(res.text).not.toMatch(/<script/i);
  });

  it('allows its inline stylesheet by hash, and nothing else', async () => {
    const res = await page('/', { host: acme.host, cookie });
    const style = /<style>([\s\S]*?)<\/style>/.exec(res.text)![1]!;
    const hash = createHash('sha256').update(style).digest('base64');
    expect(res.headers.get('content-security-policy')).toContain(`style-src 'sha256-${hash}'`);
  });

  it('says "not signed in" without a cookie, with an unknown one, or with another group’s', async () => {
    const other = await t.seed.group('other');
    for (const [host, c] of [
      [acme.host, undefined],
      [acme.host, `session=${'A'.repeat(43)}`],
      [other.host, cookie],
    ] as const) {
      const res = await page('/', { host, cookie: c });
      expect(res.status).toBe(200);
      expect(res.text).toContain('<h1 id="not-signed-in">Not signed in</h1>');
      expect(res.text).not.toContain('alice');
      expectSecurityHeaders(res.headers);
    }
  });
});

describe('GET / on the bare domain', () => {
  it('describes the service and signs nobody in', async () => {
    const res = await page('/', { cookie });
    expect(res.status).toBe(200);
    expectSecurityHeaders(res.headers);
    expect(res.text).toContain('Team API');
    expect(res.text).toContain('id="not-signed-in"');
    expect(res.text).not.toContain('alice');
  });

  it('refuses other methods', async () => {
    const res = await page('/', { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('POST /-/sign-out', () => {
  const sameOrigin = () => ({ 'sec-fetch-site': 'same-origin', origin: `http://${acme.host}` });

  it('ends the session server-side, clears the cookie and goes home', async () => {
    const res = await page('/-/sign-out', { method: 'POST', host: acme.host, cookie, headers: sameOrigin() });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    const cleared = cookieFrom(res.headers);
    expect(cleared?.pair).toBe('session=');
    expect(cleared?.attributes).toMatch(/Max-Age=0/);

    const viewer = await t.gql('{ viewer { user { username } } }', { host: acme.host, cookie });
    expect(viewer.body.data.viewer).toBeNull();
    expect((await page('/', { host: acme.host, cookie })).text).toContain('Not signed in');
  });

  it('works for a client that sends neither Origin nor Sec-Fetch-Site (not a browser)', async () => {
    const res = await page('/-/sign-out', { method: 'POST', host: acme.host, cookie });
    expect(res.status).toBe(303);
    expect((await t.gql('{ viewer { user { username } } }', { host: acme.host, cookie })).body.data.viewer).toBeNull();
  });

  it('accepts a matching Origin when Sec-Fetch-Site is absent', async () => {
    const res = await page('/-/sign-out', { method: 'POST', host: acme.host, cookie, headers: { origin: `http://${acme.host}` } });
    expect(res.status).toBe(303);
  });

  it.each([
    ['a sibling group’s page (same site)', { 'sec-fetch-site': 'same-site', origin: 'http://evil.localhost:4000' }],
    ['another site', { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }],
    ['an Origin of another host', { origin: 'http://evil.localhost:4000' }],
    ['Origin: null', { origin: 'null' }],
  ])('refuses a post from %s, keeping the session', async (_name, headers) => {
    const res = await page('/-/sign-out', { method: 'POST', host: acme.host, cookie, headers });
    const { status, code, message } = envelopeOf('InvalidInput');
    expect(res.status).toBe(status);
    expect(res.text).toContain(`<code id="error-code">${code}</code>`);
    expect(res.text).toContain(message);
    expect(cookieFrom(res.headers)).toBeNull();
    const viewer = await t.gql('{ viewer { user { username } } }', { host: acme.host, cookie });
    expect(viewer.body.data.viewer).toEqual({ user: { username: 'alice' } });
  });

  it('answers the refusal as JSON to a client that does not ask for HTML', async () => {
    const res = await t.request('/-/sign-out', {
      method: 'POST',
      host: acme.host,
      headers: { cookie, origin: 'http://evil.localhost:4000' },
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toEqual(envelopeOf('InvalidInput'));
  });

  it('only accepts POST', async () => {
    const res = await page('/-/sign-out', { host: acme.host, cookie });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});
