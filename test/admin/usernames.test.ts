/** usernameAvailable: free, taken, reserved and malformed names, and the alternatives offered. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectResultError, expectTransportError, USERNAME_AVAILABLE } from '../support/admin-documents.ts';
import { adminApp, type GroupSeed, type TestApp } from '../support/harness.ts';

let t: TestApp;
let acme: GroupSeed;
let globex: GroupSeed;
let adminCookie: string;

const VALID_USERNAME = /^[a-z0-9][a-z0-9-]{3,24}$/;

beforeEach(async () => {
  ({ t, acme, globex, adminCookie } = await adminApp());
});

afterEach(() => t.close());

const check = (username: string) =>
  t.gql(USERNAME_AVAILABLE, { host: acme.host, cookie: adminCookie, variables: { username } });

async function expectTakenWithAlternatives(username: string, stored: string) {
  const res = await check(username);
  expect(res.status).toBe(200);
  const answer = res.body.data.usernameAvailable;
  expect(answer).toMatchObject({ __typename: 'UsernameAvailability', username: stored, available: false });
  expect(answer.alternatives).toHaveLength(3);
  for (const alternative of answer.alternatives) {
    expect(alternative).toMatch(VALID_USERNAME);
    const again = (await check(alternative)).body.data.usernameAvailable;
    expect(again).toMatchObject({ available: true, alternatives: [] });
  }
  return answer.alternatives as string[];
}

describe('usernameAvailable', () => {
  it('says a free name is available, normalised, with no alternatives', async () => {
    const res = await check('  New-User ');
    expect(res.body.data.usernameAvailable).toEqual({
      __typename: 'UsernameAvailability',
      username: 'new-user',
      available: true,
      alternatives: [],
    });
  });

  it('says a taken name is not, whatever group holds it, and offers three free names built from it', async () => {
    await globex.user('gina-globex');
    const alternatives = await expectTakenWithAlternatives('Gina-Globex', 'gina-globex');
    for (const alternative of alternatives) expect(alternative.startsWith('gina-globex')).toBe(true);
    await expectTakenWithAlternatives('alice', 'alice');
  });

  it('counts a reserved name as taken', async () => {
    await expectTakenWithAlternatives('admin', 'admin');
    await expectTakenWithAlternatives('Support', 'support');
  });

  it('cuts a long name to a 15-character base so alternatives stay valid usernames', async () => {
    const long = 'abcdefghijklmnopqrstuvwxy'; // 25 characters, the most allowed
    await acme.user(long);
    const alternatives = await expectTakenWithAlternatives(long, long);
    for (const alternative of alternatives) {
      expect(alternative.startsWith(long.slice(0, 15))).toBe(true);
      expect(alternative.length).toBeLessThanOrEqual(25);
    }
  });

  it('answers OutOfRangeUsername for fewer than 4 or more than 25 characters', async () => {
    for (const username of ['abc', '  ab  ', 'x'.repeat(26)]) {
      expectResultError(await check(username), 'usernameAvailable', 'OutOfRangeUsername');
    }
  });

  it('answers InvalidUsername for characters outside a-z, 0-9 and -, or a leading -', async () => {
    for (const username of ['-alice', 'al ice', 'alice_b', 'alïce', 'al.ice']) {
      expectResultError(await check(username), 'usernameAvailable', 'InvalidUsername');
    }
  });

  it('answers an API token of the group, and refuses it on another group’s domain', async () => {
    const token = await acme.token();
    const ok = await t.gql(USERNAME_AVAILABLE, { host: acme.host, token, variables: { username: 'alice' } });
    expect(ok.body.data.usernameAvailable.available).toBe(false);
    const elsewhere = await t.gql(USERNAME_AVAILABLE, { host: globex.host, token, variables: { username: 'alice' } });
    expectTransportError(elsewhere, 'InvalidRequestDomain');
  });
});
