import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/errors/catalog.ts';
import { createTestApp, envelopeOf, type GroupSeed, TestClock, type TestApp } from '../support/harness.ts';
import { postJson, type RestResponse } from '../support/rest.ts';

const PATH = '/-/api/ssotoken/create';

function expectError(res: RestResponse, code: ErrorCode, field?: string | null) {
  expect(res.body.error).toEqual(envelopeOf(code));
  expect(res.status).toBe(envelopeOf(code).status);
  if (field !== undefined) expect(res.body.details?.field ?? null).toBe(field);
}

let t: TestApp;
let acme: GroupSeed;
let token: string;
const clock = new TestClock(Date.parse('2030-01-01T00:00:00Z'));

beforeEach(async () => {
  t = await createTestApp({ clock });
  acme = await t.seed.group('acme');
  token = await acme.token();
  await acme.user('alice');
});
afterEach(() => t.close());

describe('POST /-/api/ssotoken/create', () => {
  it('answers a token, its login URL on the group’s domain and its expiry', async () => {
    const res = await postJson(t, PATH, { username: 'Alice' }, { token });
    expect(res.status).toBe(200);
    const { token: sso, loginUrl, expiresAt } = res.body.data;
    expect(Object.keys(res.body.data).sort()).toEqual(['expiresAt', 'loginUrl', 'requireConfirmation', 'token']);
    expect(res.body.data.requireConfirmation).toBe(false);
    expect(sso).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(loginUrl).toBe(`http://acme.localhost:4000/-/api/ssotoken/login?token=${sso}`);
    expect(expiresAt).toBe(new Date(clock.current + 600_000).toISOString());
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('leaves the default port out of the login URL', async () => {
    const prod = await createTestApp({ env: { PUBLIC_URL: 'https://id.example.com', BASE_DOMAIN: 'example.com' } });
    try {
      const group = await prod.seed.group('acme');
      await group.user('alice');
      const res = await postJson(prod, PATH, { username: 'alice' }, { token: await group.token(), host: group.host });
      expect(res.body.data.loginUrl).toMatch(/^https:\/\/acme\.example\.com\/-\/api\/ssotoken\/login\?token=/);
    } finally {
      await prod.close();
    }
  });

  it('accepts a same-origin redirectTo, and null as absent', async () => {
    expect((await postJson(t, PATH, { username: 'alice', redirectTo: '/welcome?tab=1#top' }, { token })).status).toBe(200);
    expect((await postJson(t, PATH, { username: 'alice', redirectTo: null }, { token })).status).toBe(200);
  });

  it.each([
    ['//evil.com'],
    ['https://evil.com'],
    ['/\\evil.com'],
    ['\\\\evil.com'],
    ['javascript:alert(1)'],
    ['evil.com'],
    ['/ok\tthen'],
    ['/new\nline'],
    [' /leading-space'],
  ])('refuses redirectTo %j: InvalidInput on redirectTo', async (redirectTo) => {
    expectError(await postJson(t, PATH, { username: 'alice', redirectTo }, { token }), 'InvalidInput', 'redirectTo');
  });

  it('refuses a redirectTo over 2048 characters', async () => {
    const redirectTo = `/${'a'.repeat(2048)}`;
    expectError(await postJson(t, PATH, { username: 'alice', redirectTo }, { token }), 'InvalidInput', 'redirectTo');
  });

  it('refuses a redirectTo that is not a string', async () => {
    expectError(await postJson(t, PATH, { username: 'alice', redirectTo: 5 }, { token }), 'InvalidInput', 'redirectTo');
  });

  it('refuses a missing or non-string username: InvalidInput on username', async () => {
    expectError(await postJson(t, PATH, {}, { token }), 'InvalidInput', 'username');
    expectError(await postJson(t, PATH, { username: null }, { token }), 'InvalidInput', 'username');
    expectError(await postJson(t, PATH, { username: ['alice'] }, { token }), 'InvalidInput', 'username');
  });

  it('refuses a malformed username: InvalidUsername', async () => {
    expectError(await postJson(t, PATH, { username: 'a!ice' }, { token }), 'InvalidUsername');
  });

  it('refuses a user of another group with NotGroupMember, and a username that names no user with InvalidUsername', async () => {
    const other = await t.seed.group('other');
    await other.user('bobby');
    expectError(await postJson(t, PATH, { username: 'bobby' }, { token }), 'NotGroupMember');
    expectError(await postJson(t, PATH, { username: 'nobody' }, { token }), 'InvalidUsername');
  });

  it('refuses without a token, with a bad one, or on another group’s domain', async () => {
    expectError(await postJson(t, PATH, { username: 'alice' }), 'UnauthorizedRequest');
    expectError(await postJson(t, PATH, { username: 'alice' }, { token: 'tapi_short' }), 'InvalidApiToken');
    const other = await t.seed.group('other');
    expectError(await postJson(t, PATH, { username: 'alice' }, { token, host: other.host }), 'InvalidRequestDomain');
  });

  it('refuses a body that is not a JSON object, or not JSON', async () => {
    expectError(await postJson(t, PATH, 'username=alice', { token, headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 'InvalidInput', null);
    expectError(await postJson(t, PATH, '{username: alice}', { token }), 'InvalidInput', null);
    expectError(await postJson(t, PATH, '["alice"]', { token }), 'InvalidInput', null);
  });
});
