/** sessions and revokeSession: an admin sees and ends the group's live sessions, and no other group's. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VIEWER } from '../support/documents.ts';
import { expectResultError, expectTransportError, REVOKE_SESSION, SESSIONS } from '../support/admin-documents.ts';
import { adminApp, type GroupSeed, type TestApp, TestClock } from '../support/harness.ts';

let t: TestApp;
let clock: TestClock;
let acme: GroupSeed;
let globex: GroupSeed;
let adminCookie: string;

const START = Date.parse('2026-05-01T08:00:00Z');

beforeEach(async () => {
  clock = new TestClock(START);
  ({ t, acme, globex, adminCookie } = await adminApp({ clock }));
  await acme.user('brian');
  await globex.user('gina', { role: 'admin' });
});

afterEach(() => t.close());

const asAdmin = (query: string, variables?: Record<string, unknown>) =>
  t.gql(query, { host: acme.host, cookie: adminCookie, variables });

describe('sessions', () => {
  it('lists the group’s live sessions oldest first, without secrets', async () => {
    clock.advance(1000);
    const brianCookie = await acme.session('brian');
    await globex.session('gina');
    const res = await asAdmin(SESSIONS);
    expect(res.status).toBe(200);
    const sessions = res.body.data.sessions;
    expect(sessions.map((s: any) => s.user.username)).toEqual(['alice', 'brian']);
    const ttl = t.config.sessionTtlSeconds * 1000;
    expect(sessions[1]).toMatchObject({
      createdAt: new Date(START + 1000).toISOString(),
      expiresAt: new Date(START + 1000 + ttl).toISOString(),
    });
    expect(JSON.stringify(res.body)).not.toContain(brianCookie.slice('session='.length));
  });

  it('leaves out expired sessions', async () => {
    clock.advance(t.config.sessionTtlSeconds * 1000 - 1000);
    const fresh = await acme.session('alice');
    clock.advance(2000);
    const res = await t.gql(SESSIONS, { host: acme.host, cookie: fresh });
    expect(res.body.data.sessions).toHaveLength(1);
  });

  it('pages with first and the last cursor', async () => {
    for (let i = 0; i < 4; i++) await acme.session('brian');
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any[] = (await asAdmin(SESSIONS, { first: 2, after })).body.data.sessions;
      seen.push(...page.map((s) => s.id));
      if (page.length < 2) break;
      after = page.at(-1).cursor;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
  });

  it('refuses first over 100 or negative, and a foreign cursor: InvalidInput naming the field', async () => {
    expect((await asAdmin(SESSIONS, { first: 100 })).body.data.sessions).toHaveLength(1);
    expectTransportError(await asAdmin(SESSIONS, { first: 101 }), 'InvalidInput', 'first');
    expectTransportError(await asAdmin(SESSIONS, { first: -1 }), 'InvalidInput', 'first');
    const memberCursor = Buffer.from(JSON.stringify({ joinedAt: 1, userId: 'x' })).toString('base64url');
    for (const after of ['garbage', memberCursor]) {
      expectTransportError(await asAdmin(SESSIONS, { after }), 'InvalidInput', 'after');
    }
  });

  it('never lists another group’s sessions', async () => {
    await globex.session('gina');
    const globexAdmin = await globex.session('gina');
    const res = await t.gql(SESSIONS, { host: globex.host, cookie: globexAdmin });
    expect(res.body.data.sessions.map((s: any) => s.user.username)).toEqual(['gina', 'gina']);
  });
});

describe('revokeSession', () => {
  it('ends a session at once', async () => {
    const brianCookie = await acme.session('brian');
    const brian = (await asAdmin(SESSIONS)).body.data.sessions.find((s: any) => s.user.username === 'brian');
    const res = await asAdmin(REVOKE_SESSION, { id: brian.id });
    expect(res.body.data.revokeSession).toEqual({ __typename: 'RevokeSessionSuccess', id: brian.id });
    expect((await t.gql(VIEWER, { host: acme.host, cookie: brianCookie })).body.data.viewer).toBeNull();
    expectResultError(await asAdmin(REVOKE_SESSION, { id: brian.id }), 'revokeSession', 'InvalidInput', 'id');
  });

  it('answers InvalidInput (field id) for an unknown id', async () => {
    for (const id of ['00000000-0000-0000-0000-000000000000', 'nope']) {
      expectResultError(await asAdmin(REVOKE_SESSION, { id }), 'revokeSession', 'InvalidInput', 'id');
    }
  });

  it('answers another group’s session id like an unknown one, and that session lives on', async () => {
    const ginaCookie = await globex.session('gina');
    const [ginaSession] = (await t.gql(SESSIONS, { host: globex.host, cookie: ginaCookie })).body.data.sessions;
    expectResultError(await asAdmin(REVOKE_SESSION, { id: ginaSession.id }), 'revokeSession', 'InvalidInput', 'id');
    expect((await t.gql(VIEWER, { host: globex.host, cookie: ginaCookie })).body.data.viewer.user.username).toBe('gina');
  });
});
