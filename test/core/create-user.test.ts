import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CREATE_USER } from '../support/documents.ts';
import { acmeApp, envelopeOf, type GroupSeed, type TestApp } from '../support/harness.ts';

let t: TestApp;
let acme: GroupSeed;
let token: string;

beforeEach(async () => {
  ({ t, acme, token } = await acmeApp());
});
afterEach(() => t.close());

async function createUser(input: Record<string, unknown>, opts: { token?: string; host?: string } = {}) {
  const res = await t.gql(CREATE_USER, { token: opts.token ?? token, host: opts.host, variables: { input } });
  expect(res.status).toBe(200);
  return res.body.data.createUser;
}

function expectError(result: any, code: Parameters<typeof envelopeOf>[0], field?: string) {
  expect(result).toMatchObject({ __typename: code.charAt(0).toUpperCase() + code.slice(1), ...envelopeOf(code) });
  if (field) expect(result.field).toBe(field);
}


describe('createUser', () => {
  it('creates a user and its membership, normalising the username', async () => {
    const result = await createUser({ email: 'Ada@Example.com', username: '  Ada-L  ', firstName: 'Ada', lastName: 'Lovelace' });
    expect(result.__typename).toBe('CreateUserSuccess');
    expect(result.user).toMatchObject({ username: 'ada-l', email: 'Ada@Example.com', firstName: 'Ada', lastName: 'Lovelace' });
    expect(new Date(result.user.createdAt).toISOString()).toBe(result.user.createdAt);
    const member = await t.app.services.members.get(acme.group, 'ada-l');
    expect(member.role).toBe('member');
  });

  it.each([
    ['abc', 'OutOfRangeUsername'],
    ['a'.repeat(26), 'OutOfRangeUsername'],
    ['   ab   ', 'OutOfRangeUsername'],
    ['-abcd', 'InvalidUsername'],
    ['ab_cd', 'InvalidUsername'],
    ['ab cd', 'InvalidUsername'],
    ['abcé', 'InvalidUsername'],
    ['admin', 'UsernameAlreadyExists'],
    ['ROOT', 'UsernameAlreadyExists'],
    ['guest', 'UsernameAlreadyExists'],
  ] as const)('refuses username %j with %s and writes nothing', async (username, code) => {
    expectError(await createUser({ email: 'x@example.com', username }), code);
    expect(await t.count('users')).toBe(0);
  });

  it('accepts the boundary lengths 4 and 25', async () => {
    expect((await createUser({ email: 'a@example.com', username: 'abcd' })).__typename).toBe('CreateUserSuccess');
    expect((await createUser({ email: 'b@example.com', username: 'b'.repeat(25) })).__typename).toBe('CreateUserSuccess');
  });

  it('refuses a taken username and a taken email (case-insensitive)', async () => {
    await createUser({ email: 'ada@example.com', username: 'ada-l' });
    expectError(await createUser({ email: 'other@example.com', username: 'ADA-L' }), 'UsernameAlreadyExists');
    expectError(await createUser({ email: 'ADA@EXAMPLE.COM', username: 'someone' }), 'EmailAlreadyExists');
    expect(await t.count('users')).toBe(1);
  });

  it('names the username when both are taken, and a refusal leaves no membership or event behind', async () => {
    // Both unique indexes would refuse this insert; the rule checks the username first.
    await createUser({ email: 'ada@example.com', username: 'ada-l' });
    const events = await t.count('events');
    expectError(await createUser({ email: 'Ada@example.com', username: 'ada-l' }), 'UsernameAlreadyExists');
    expectError(await createUser({ email: 'ada@example.com', username: 'ada-l', suggestedUsername: 'adalove' }), 'EmailAlreadyExists');
    expect([await t.count('users'), await t.count('memberships'), await t.count('events')]).toEqual([1, 1, events]);
    // The refused inserts left the transaction usable: the next user is written whole.
    expect((await createUser({ email: 'grace@example.com', username: 'grace' })).__typename).toBe('CreateUserSuccess');
    expect([await t.count('users'), await t.count('memberships'), await t.count('events')]).toEqual([2, 2, events + 1]);
  });

  it('refuses usernames taken in another group: usernames are global', async () => {
    const other = await t.seed.group('other');
    await createUser({ email: 'o@example.com', username: 'shared' }, { token: await other.token() });
    expectError(await createUser({ email: 'p@example.com', username: 'shared' }), 'UsernameAlreadyExists');
  });

  describe('suggested usernames', () => {
    it('appends a random suffix to make a valid, free username', async () => {
      const result = await createUser({ email: 'a@example.com', suggestedUsername: 'Grace' });
      expect(result.user.username).toMatch(/^grace[a-z0-9]+$/);
      expect(result.user.username.length).toBeLessThanOrEqual(25);
      expect(result.user.username).not.toBe('grace');
    });

    it('gives different usernames for the same suggestion', async () => {
      const a = await createUser({ email: 'a@example.com', suggestedUsername: 'grace' });
      const b = await createUser({ email: 'b@example.com', suggestedUsername: 'grace' });
      expect(a.user.username).not.toBe(b.user.username);
    });

    it.each([
      ['abc', 'OutOfRangeSuggestedUsername'],
      ['a'.repeat(16), 'OutOfRangeSuggestedUsername'],
      ['-abc', 'InvalidUsername'],
      ['ab.c', 'InvalidUsername'],
    ] as const)('refuses suggestion %j with %s', async (suggestedUsername, code) => {
      expectError(await createUser({ email: 'a@example.com', suggestedUsername }), code);
      expect(await t.count('users')).toBe(0);
    });

    it('accepts a 15-character suggestion', async () => {
      const result = await createUser({ email: 'a@example.com', suggestedUsername: 'g'.repeat(15) });
      expect(result.user.username.startsWith('g'.repeat(15))).toBe(true);
    });

    it.each([
      ['out of range', 'abc'],
      ['invalid', 'bad_name'],
      ['reserved', 'admin'],
    ])('falls back to the suggestion when the username is %s', async (_why, username) => {
      const result = await createUser({ email: 'a@example.com', username, suggestedUsername: 'grace' });
      expect(result.user.username).toMatch(/^grace[a-z0-9]+$/);
    });

    it('falls back to the suggestion when the username is taken', async () => {
      await createUser({ email: 'a@example.com', username: 'grace' });
      const result = await createUser({ email: 'b@example.com', username: 'grace', suggestedUsername: 'grace' });
      expect(result.user.username).toMatch(/^grace[a-z0-9]{6}$/);
    });

    it('uses the username itself when it is free', async () => {
      const result = await createUser({ email: 'a@example.com', username: 'hopper', suggestedUsername: 'grace' });
      expect(result.user.username).toBe('hopper');
    });

    it('answers UsernameAlreadyExists when every try is taken', async () => {
      // Every candidate is taken: make the store report all of the plan's names as taken.
      const original = t.store.insertUsers.bind(t.store);
      t.store.insertUsers = (groupId, role, plan) =>
        original(groupId, role, { ...plan, decide: (taken) => plan.decide({ ...taken, usernames: new Set(plan.usernames) }) });
      expectError(await createUser({ email: 'a@example.com', suggestedUsername: 'grace' }), 'UsernameAlreadyExists');
      t.store.insertUsers = original;
      expect(await t.count('users')).toBe(0);
    });
  });

  describe('emails and names', () => {
    it.each(['', 'plain', 'a@b', 'a@@b.com', 'a b@c.com', '@example.com', 'a@example.c', `${'a'.repeat(250)}@x.com`, 'a@exa mple.com', 'ü@example.com', 'a\u0000@example.com'])(
      'refuses email %j with InvalidInput on field email',
      async (email) => {
        expectError(await createUser({ email, username: 'alice' }), 'InvalidInput', 'email');
        expect(await t.count('users')).toBe(0);
      },
    );

    it.each(['firstName', 'lastName'])('refuses a %s over 100 characters', async (field) => {
      expectError(await createUser({ email: 'a@example.com', username: 'alice', [field]: 'x'.repeat(101) }), 'InvalidInput', field);
      const ok = await createUser({ email: 'a@example.com', username: 'alice', [field]: 'x'.repeat(100) });
      expect(ok.__typename).toBe('CreateUserSuccess');
    });

    it('refuses control characters in names', async () => {
      expectError(await createUser({ email: 'a@example.com', username: 'alice', firstName: 'A\u202eB' }), 'InvalidInput', 'firstName');
    });

    it('asks for a username or a suggestion', async () => {
      expectError(await createUser({ email: 'a@example.com' }), 'InvalidInput', 'username');
    });

    it('enforces the group’s allowed email domains, case-insensitively', async () => {
      const corp = await t.seed.group('corp', { allowedDomains: ['Corp.example'] });
      const corpToken = await corp.token();
      expectError(await createUser({ email: 'a@example.com', username: 'alice' }, { token: corpToken }), 'InvalidEmailDomain');
      expectError(await createUser({ email: 'a@sub.corp.example', username: 'alice' }, { token: corpToken }), 'InvalidEmailDomain');
      const ok = await createUser({ email: 'a@CORP.example', username: 'alice' }, { token: corpToken });
      expect(ok.__typename).toBe('CreateUserSuccess');
    });
  });

  it('works on the token’s own group domain', async () => {
    const result = await createUser({ email: 'a@example.com', username: 'alice' }, { host: acme.host });
    expect(result.__typename).toBe('CreateUserSuccess');
  });
});
