/** The event feed: who may read it, paging with `after`, filters, bad arguments, retention. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EVENTS, expectTransportError } from '../support/admin-documents.ts';
import { CREATE_USER } from '../support/documents.ts';
import { adminApp, type GroupSeed, type TestApp, TestClock } from '../support/harness.ts';

let t: TestApp;
let clock: TestClock;
let acme: GroupSeed;
let globex: GroupSeed;
let adminCookie: string;
let token: string;

beforeEach(async () => {
  clock = new TestClock(Date.parse('2026-03-01T00:00:00Z'));
  ({ t, acme, globex, adminCookie } = await adminApp({ clock }));
  token = await acme.token();
});
afterEach(() => t.close());

async function feed(variables: Record<string, unknown> = {}, auth: { token?: string; cookie?: string; host?: string } = { token }) {
  await t.feedCaughtUp();
  return t.gql(EVENTS, { ...auth, variables });
}

const nodes = (res: { body: any }) => res.body.data.events.edges.map((e: any) => e.node);

async function createUsers(seed: GroupSeed, names: string[]) {
  const seedToken = await seed.token();
  for (const name of names) {
    clock.advance(1000);
    const res = await t.gql(CREATE_USER, { token: seedToken, variables: { input: { email: `${name}@example.com`, username: name } } });
    expect(res.body.data.createUser.__typename).toBe('CreateUserSuccess');
  }
}

describe('events', () => {
  it('lists the caller’s group’s events oldest first, for its API token and its signed-in admin alike', async () => {
    await createUsers(acme, ['brian', 'carol']);
    await createUsers(globex, ['gina']);
    const byToken = await feed({ types: ['user.created'] });
    expect(byToken.status).toBe(200);
    expect(nodes(byToken).map((e: any) => e.target.name)).toEqual(['alice', 'brian', 'carol']);
    const byAdmin = await feed({ types: ['user.created'] }, { host: acme.host, cookie: adminCookie });
    expect(byAdmin.body.data).toEqual(byToken.body.data);
    const times = nodes(await feed()).map((e: any) => e.occurredAt);
    expect(times).toEqual([...times].sort());
  });

  it('refuses anyone else: no credential, a member who is not an admin, an admin of another group on this domain', async () => {
    await acme.user('brian');
    const brian = await acme.session('brian');
    await globex.user('gina', { role: 'admin' });
    const gina = await globex.session('gina');
    for (const auth of [{}, { host: acme.host, cookie: brian }, { host: acme.host, cookie: gina }, { host: globex.host, cookie: adminCookie }]) {
      const res = await feed({}, auth);
      expectTransportError(res, 'UnauthorizedRequest');
      expect(res.body.data).toBeNull();
    }
    expectTransportError(await feed({}, { token: 'tapi_nope' }), 'InvalidApiToken');
  });

  it('pages with first and after, never skipping or repeating an event, and hands back `after` when nothing is new', async () => {
    await createUsers(acme, ['user-1', 'user-2', 'user-3', 'user-4', 'user-5']);
    const all = nodes(await feed({ first: 500 })).map((e: any) => e.id);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 20; page++) {
      const res = await feed({ first: 2, after });
      const { edges, pageInfo } = res.body.data.events;
      seen.push(...edges.map((e: any) => e.node.id));
      if (edges.length > 0) expect(pageInfo.endCursor).toBe(edges.at(-1).cursor);
      after = pageInfo.endCursor;
      if (!pageInfo.hasNextPage) break;
    }
    expect(seen).toEqual(all);
    const empty = await feed({ after });
    expect(empty.body.data.events).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: after } });
    await createUsers(acme, ['user-6']);
    expect(nodes(await feed({ after })).map((e: any) => e.target.name)).toEqual(['user-6']);
  });

  it('filters by type and by time', async () => {
    await createUsers(acme, ['brian']);
    const cutoff = new Date(clock.now()).toISOString();
    await createUsers(acme, ['carol']);
    await acme.ssoToken('carol');
    expect(nodes(await feed({ since: cutoff })).map((e: any) => e.type)).toEqual(['user.created', 'user.created', 'sso_token.created']);
    expect(nodes(await feed({ since: cutoff, types: ['sso_token.created'] })).map((e: any) => e.target.name)).toEqual(['carol']);
    expect(nodes(await feed({ types: [] }))).toEqual([]);
    expect(nodes(await feed({ since: '2026-03-01' })).length).toBeGreaterThan(0);
  });

  it('refuses a bad first, after, type or since as a transport-level InvalidInput naming it', async () => {
    for (const [variables, field] of [
      [{ first: 501 }, 'first'],
      [{ first: -1 }, 'first'],
      [{ after: 'not-a-cursor' }, 'after'],
      [{ after: Buffer.from('{"tx":"1","seq":-4}').toString('base64url') }, 'after'],
      [{ after: Buffer.from('{"tx":"x; drop","seq":1}').toString('base64url') }, 'after'],
      [{ types: ['user.created', 'user.deleted'] }, 'types'],
      [{ since: 'yesterday' }, 'since'],
      [{ since: '2026-13-45T00:00:00Z' }, 'since'],
      [{ since: '2026-03-01T00:00:00' }, 'since'],
    ] as const) {
      const res = await feed(variables);
      expectTransportError(res, 'InvalidInput', field);
    }
  });

  it('lets a page of 500 with every field through the query limits', async () => {
    const res = await t.gql(
      `{ events(first: 500) { edges { cursor node { id type occurredAt actor { type id name } target { type id name } ip userAgent requestId data } } pageInfo { hasNextPage endCursor } } }`,
      { token },
    );
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
  });

  it('keeps events EVENT_RETENTION_DAYS, then the purge deletes them', async () => {
    await t.close();
    clock = new TestClock(Date.parse('2026-03-01T00:00:00Z'));
    ({ t, acme } = await adminApp({ clock, env: { EVENT_RETENTION_DAYS: '30' } }));
    token = await acme.token();
    const before = await t.count('events');
    clock.advance(29 * 86_400_000);
    await createUsers(acme, ['late']);
    expect(await t.app.services.events.purgeExpired()).toBe(0);
    clock.advance(2 * 86_400_000);
    expect(await t.app.services.events.purgeExpired()).toBe(before);
    expect(nodes(await feed()).map((e: any) => e.target.name)).toEqual(['late']);
  });
});
