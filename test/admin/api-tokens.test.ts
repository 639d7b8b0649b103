/** apiTokens, createApiToken, revokeApiToken: shown once, last use without a write per request, revocation at once. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GROUP } from '../support/documents.ts';
import {
  API_TOKENS,
  CREATE_API_TOKEN,
  expectResultError,
  expectTransportError,
  REVOKE_API_TOKEN,
} from '../support/admin-documents.ts';
import { adminApp, type GroupSeed, type TestApp, TestClock } from '../support/harness.ts';
import { CLI_CALLER } from '../../src/domain/events.ts';

let t: TestApp;
let clock: TestClock;
let acme: GroupSeed;
let globex: GroupSeed;
let adminCookie: string;

const START = Date.parse('2026-03-01T12:00:00Z');

beforeEach(async () => {
  clock = new TestClock(START);
  ({ t, acme, globex, adminCookie } = await adminApp({ clock }));
});

afterEach(() => t.close());

const asAdmin = (query: string, variables?: Record<string, unknown>) =>
  t.gql(query, { host: acme.host, cookie: adminCookie, variables });

/** Whether the token is accepted on its group's domain. */
async function works(group: GroupSeed, token: string): Promise<boolean> {
  const res = await t.gql(GROUP, { host: group.host, token });
  return res.status === 200 && res.body.data.group.slug === group.slug;
}

describe('createApiToken', () => {
  it('mints a working token, shown once, with its label', async () => {
    const res = await asAdmin(CREATE_API_TOKEN, { label: '  CI deploys ' });
    expect(res.status).toBe(200);
    const { __typename, token, apiToken } = res.body.data.createApiToken;
    expect(__typename).toBe('CreateApiTokenSuccess');
    expect(token).toMatch(/^tapi_[A-Za-z0-9_-]{43}$/);
    expect(apiToken).toMatchObject({
      label: 'CI deploys',
      createdAt: new Date(START).toISOString(),
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(await works(acme, token)).toBe(true);

    const listed = await asAdmin(API_TOKENS);
    expect(listed.body.data.apiTokens.map((k: any) => k.id)).toContain(apiToken.id);
    expect(JSON.stringify(listed.body)).not.toContain(token);
  });

  it('takes no label', async () => {
    const res = await asAdmin(CREATE_API_TOKEN);
    expect(res.body.data.createApiToken.apiToken.label).toBeNull();
  });

  it('answers InvalidInput (field label) for a label over 100 characters or with control characters', async () => {
    for (const label of ['x'.repeat(101), 'bad\u0000label']) {
      expectResultError(await asAdmin(CREATE_API_TOKEN, { label }), 'createApiToken', 'InvalidInput', 'label');
    }
    const tokens = await t.app.services.apiTokens.list(acme.group);
    expect(tokens).toHaveLength(0);
  });

  it('mints for the admin’s own group only', async () => {
    const { token } = (await asAdmin(CREATE_API_TOKEN, { label: 'mine' })).body.data.createApiToken;
    expect(await works(acme, token)).toBe(true);
    expect(await works(globex, token)).toBe(false);
    expect(await t.app.services.apiTokens.list(globex.group)).toHaveLength(0);
  });
});

describe('apiTokens', () => {
  it('lists the group’s tokens oldest first, revoked ones included, never another group’s', async () => {
    const first = await acme.token();
    clock.advance(1000);
    const second = await acme.token(true);
    await globex.token();
    await t.app.services.apiTokens.revoke(acme.group, (await t.app.services.apiTokens.list(acme.group))[1]!.id, CLI_CALLER);

    const tokens = (await asAdmin(API_TOKENS)).body.data.apiTokens;
    expect(tokens).toHaveLength(2);
    expect(tokens.map((k: any) => k.createdAt)).toEqual([new Date(START).toISOString(), new Date(START + 1000).toISOString()]);
    expect(tokens[0].revokedAt).toBeNull();
    expect(tokens[1].revokedAt).toBe(new Date(START + 1000).toISOString());
    expect(await works(acme, first)).toBe(true);
    expect(await works(acme, second)).toBe(false);
  });

  it('shows the last use at once, though no request writes it to the database', async () => {
    const token = await acme.token();
    clock.advance(5000);
    expect(await works(acme, token)).toBe(true);
    clock.advance(5000);
    expect(await works(acme, token)).toBe(true);
    const usedAt = new Date(START + 10_000).toISOString();

    const lastUsedAt = async () => {
      const [row] = await t.rows('SELECT last_used_at AS at FROM api_tokens');
      return row!.at === null ? null : Number(row!.at);
    };
    expect(await lastUsedAt()).toBeNull();
    expect((await asAdmin(API_TOKENS)).body.data.apiTokens[0].lastUsedAt).toBe(usedAt);

    await t.app.services.apiTokens.flushLastUse();
    expect(await lastUsedAt()).toBe(START + 10_000);
    expect((await asAdmin(API_TOKENS)).body.data.apiTokens[0].lastUsedAt).toBe(usedAt);
  });

  it('keeps showing the last use while a flush is writing it, and after a failed flush', async () => {
    const token = await acme.token();
    clock.advance(1000);
    await works(acme, token);
    const usedAt = new Date(START + 1000).toISOString();
    const store = t.store as { touchApiTokens: (m: Map<string, number>) => Promise<void> };
    const original = store.touchApiTokens.bind(t.store);

    let release!: () => void;
    store.touchApiTokens = (batch) => new Promise<void>((resolve) => (release = resolve)).then(() => original(batch));
    const slowFlush = t.app.services.apiTokens.flushLastUse();
    expect((await asAdmin(API_TOKENS)).body.data.apiTokens[0].lastUsedAt).toBe(usedAt);
    release();
    await slowFlush;

    clock.advance(1000);
    await works(acme, token);
    store.touchApiTokens = async () => {
      throw new Error('disk full');
    };
    await expect(t.app.services.apiTokens.flushLastUse()).rejects.toThrow('disk full');
    expect((await asAdmin(API_TOKENS)).body.data.apiTokens[0].lastUsedAt).toBe(new Date(START + 2000).toISOString());
    store.touchApiTokens = original;
    await t.app.services.apiTokens.flushLastUse();
    const [row] = await t.rows('SELECT last_used_at AS at FROM api_tokens');
    expect(Number(row!.at)).toBe(START + 2000);
  });
});

describe('revokeApiToken', () => {
  it('revokes a token: the very next request with it is refused', async () => {
    const token = await acme.token();
    expect(await works(acme, token)).toBe(true);
    const { id } = (await t.app.services.apiTokens.list(acme.group))[0]!;
    clock.advance(1000);

    const res = await asAdmin(REVOKE_API_TOKEN, { id });
    expect(res.body.data.revokeApiToken).toEqual({
      __typename: 'RevokeApiTokenSuccess',
      apiToken: { id, revokedAt: new Date(START + 1000).toISOString() },
    });
    expectTransportError(await t.gql(GROUP, { host: acme.host, token }), 'InvalidApiToken');
  });

  it('succeeds again on a revoked token without moving its revokedAt', async () => {
    await acme.token();
    const { id } = (await t.app.services.apiTokens.list(acme.group))[0]!;
    await asAdmin(REVOKE_API_TOKEN, { id });
    clock.advance(60_000);
    const again = await asAdmin(REVOKE_API_TOKEN, { id });
    expect(again.body.data.revokeApiToken.apiToken.revokedAt).toBe(new Date(START).toISOString());
  });

  it('answers InvalidInput (field id) for an unknown id', async () => {
    for (const id of ['00000000-0000-0000-0000-000000000000', 'nonsense', '']) {
      expectResultError(await asAdmin(REVOKE_API_TOKEN, { id }), 'revokeApiToken', 'InvalidInput', 'id');
    }
  });

  it('answers another group’s token id exactly like an unknown one, and leaves it working', async () => {
    const globexToken = await globex.token();
    const { id } = (await t.app.services.apiTokens.list(globex.group))[0]!;
    expectResultError(await asAdmin(REVOKE_API_TOKEN, { id }), 'revokeApiToken', 'InvalidInput', 'id');
    expect(await works(globex, globexToken)).toBe(true);
    expect((await t.app.services.apiTokens.list(globex.group))[0]!.revokedAt).toBeNull();
  });
});
