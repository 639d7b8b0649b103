import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envelopeOf } from '../../src/errors/catalog.ts';
import { createTestApp, type GroupSeed, type TestApp } from '../support/harness.ts';

let t: TestApp;
let acme: GroupSeed;
let cookie: string;

beforeEach(async () => {
  t = await createTestApp();
  acme = await t.seed.group('acme');
  await acme.user('alice');
  cookie = await acme.session('alice');
});
afterEach(() => t.close());

async function signedIn(): Promise<boolean> {
  const res = await t.gql('{ viewer { user { username } } }', { host: acme.host, cookie });
  return res.body.data.viewer !== null;
}

async function post(body: BodyInit, headers: Record<string, string>) {
  const response = await t.request('/graphql', { method: 'POST', host: acme.host, headers: { cookie, ...headers }, body });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

function expectRefused(res: { status: number; body: any }) {
  expect(res.status).toBe(400);
  expect(res.body.data ?? null).toBeNull();
  expect(res.body.errors[0].extensions).toEqual({ code: 'InvalidInput', error: envelopeOf('InvalidInput') });
  expect(res.body.errors[0].message).toMatch(/x-graphql-yoga-csrf/);
}

describe('cookie-authenticated GraphQL against cross-site requests', () => {
  it('runs logout from a JSON POST (what GraphiQL and apps send)', async () => {
    const res = await t.gql('mutation { logout }', { host: acme.host, cookie });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ logout: true });
    expect(res.headers.getSetCookie().some((c) => /^session=;.*Max-Age=0/.test(c))).toBe(true);
    expect(await signedIn()).toBe(false);
  });

  it.each([
    ['an HTML form (urlencoded)', 'query=mutation%7Blogout%7D', 'application/x-www-form-urlencoded'],
    ['a text/plain fetch carrying JSON', JSON.stringify({ query: 'mutation { logout }' }), 'text/plain;charset=UTF-8'],
    ['a multipart form', '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\nmutation { logout }\r\n--x--\r\n', 'multipart/form-data; boundary=x'],
  ])('refuses logout from %s with the InvalidInput envelope', async (_name, body, contentType) => {
    expectRefused(await post(body, { 'content-type': contentType }));
    expect(await signedIn()).toBe(true);
  });

  it('refuses a POST without a content type', async () => {
    const response = await t.request('/graphql', {
      method: 'POST',
      host: acme.host,
      headers: { cookie },
      body: new Blob([JSON.stringify({ query: 'mutation { logout }' })]),
    });
    expectRefused({ status: response.status, body: await response.json() });
    expect(await signedIn()).toBe(true);
  });

  it('refuses logout over GET (a link or an image)', async () => {
    const response = await t.request(`/graphql?query=${encodeURIComponent('mutation { logout }')}`, {
      host: acme.host,
      headers: { cookie, accept: 'application/json' },
    });
    const body = await response.json();
    expect(response.status).toBe(400);
    expect(body.errors[0].extensions.error).toEqual(envelopeOf('InvalidInput'));
    expect(await signedIn()).toBe(true);
  });

  it('lets a form-encoded request through when it carries the CSRF header (only possible after a preflight)', async () => {
    const res = await post('query=mutation%7Blogout%7D', {
      'content-type': 'application/x-www-form-urlencoded',
      'x-graphql-yoga-csrf': '1',
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ logout: true });
  });

  it('never allows credentials cross-origin, so a preflighted cookie request fails in the browser', async () => {
    const preflight = await t.request('/graphql', {
      method: 'OPTIONS',
      host: acme.host,
      headers: {
        origin: 'http://evil.localhost:4000',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();

    const res = await post(JSON.stringify({ query: '{ __typename }' }), {
      'content-type': 'application/json',
      origin: 'http://evil.localhost:4000',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('still serves GraphiQL to a browser', async () => {
    const response = await t.request('/graphql', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toMatch(/graphiql/i);
  });
});
