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

  it('keeps the savepoints’ statement journals in memory, never in a temporary file', () => {
    // A file would be opened, written two calls a page and deleted by every commit of a few units.
    expect(sqliteOf(t).sqlite.pragma('temp_store', { simple: true })).toBe(2);
  });

  it('gathers the writes that keep coming in the next turns into one commit, for at most two more turns', async () => {
    const token = await acme.token();
    const commits = () => {
      const usage = sqliteOf(t).usage();
      return usage.dialect === 'sqlite' ? usage.writeQueue.commits : NaN;
    };
    const createIn = (username: string) => t.gql(CREATE_USER, { token, variables: { input: { username, email: `${username}@example.com` } } });
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    /** Commits made for writes started one per turn of the event loop, `turns` times. */
    const commitsFor = async (prefix: string, turns: number) => {
      const before = commits();
      const started = [];
      for (let i = 0; i < turns; i++) {
        started.push(createIn(`${prefix}-${i}`));
        await nextTurn();
      }
      const bodies = await Promise.all(started);
      expect(bodies.map((b) => b.body.data.createUser.__typename)).toEqual(started.map(() => 'CreateUserSuccess'));
      return commits() - before;
    };
    // A lone write commits without waiting for company.
    expect(await commitsFor('lone', 1)).toBe(1);
    // Writes started in three turns in a row: one commit, where each turn had its own.
    expect(await commitsFor('three', 3)).toBe(1);
    // A write every turn: a commit every few turns, never one that waits for ever.
    const steady = await commitsFor('steady', 12);
    expect(steady).toBeGreaterThanOrEqual(3);
    expect(steady).toBeLessThan(12);
  });

  it('keeps uniqueness inside one batch: one winner for a contested username', async () => {
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => create('contested')));
    expect(outcomes.filter((o) => o === 'CreateUserSuccess')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'UsernameAlreadyExists')).toHaveLength(7);
  });
});
