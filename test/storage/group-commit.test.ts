/**
 * SQLite answers writes queued in the same turn with one COMMIT (group commit);
 * each unit still succeeds or fails on its own.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CREATE_USER } from '../support/documents.ts';
import { createTestApp, type GroupSeed, sqliteOf, type TestApp, testDialect } from '../support/harness.ts';

describe.runIf(testDialect === 'sqlite')('group commit', () => {
  let t: TestApp;
  let acme: GroupSeed;
  beforeEach(async () => {
    t = await createTestApp();
    acme = await t.seed.group('acme');
  });
  afterEach(() => t.close());

  const create = async (username: string) =>
    (await t.gql(CREATE_USER, { token: await acme.token(), variables: { input: { username, email: `${username}@example.com` } } })).body
      .data.createUser.__typename;

  it('commits the units of one batch together, and a failing unit alone is rolled back', async () => {
    sqliteOf(t).sqlite.exec(
      "CREATE TRIGGER doomed BEFORE INSERT ON memberships WHEN (SELECT username FROM users WHERE id = NEW.user_id) = 'doomed' BEGIN SELECT RAISE(ABORT, 'injected'); END;",
    );
    const names = ['alpha', 'bravo', 'doomed', 'delta', 'echo', 'foxtrot'];
    const outcomes = await Promise.all(names.map(create));
    expect(outcomes).toEqual(names.map((n) => (n === 'doomed' ? 'FailedToCreateUser' : 'CreateUserSuccess')));
    const rows = await t.rows('SELECT username FROM users ORDER BY username');
    expect(rows.map((r) => r.username)).toEqual(['alpha', 'bravo', 'delta', 'echo', 'foxtrot']);
    expect(await t.count('memberships')).toBe(5);
  });

  it('keeps uniqueness inside one batch: one winner for a contested username', async () => {
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => create('contested')));
    expect(outcomes.filter((o) => o === 'CreateUserSuccess')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'UsernameAlreadyExists')).toHaveLength(7);
  });
});
