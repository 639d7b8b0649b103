/** CLI `events <slug>`: the export for a SIEM, oldest first, a page at a time, with the feed's filters. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_CALLER, newEvent, targets } from '../../src/domain/events.ts';
import { EVENTS } from '../support/admin-documents.ts';
import { createTestApp, type GroupSeed, type TestApp, TestClock } from '../support/harness.ts';

let t: TestApp;
let clock: TestClock;
let acme: GroupSeed;

beforeEach(async () => {
  clock = new TestClock(Date.parse('2026-04-01T00:00:00Z'));
  t = await createTestApp({ clock, shared: true });
  acme = await t.seed.group('acme');
});
afterEach(() => t.close());

const jsonLines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));

describe('admin events', () => {
  it('prints every event oldest first across many pages, each line the fields of Event as `events` gives them', async () => {
    const many = Array.from({ length: 2345 }, (_, i) =>
      newEvent('member.added', acme.group, CLI_CALLER, targets.user({ id: `u${i}`, username: `user-${i}` }), { username: `user-${i}`, role: 'member' }, clock.now() + i),
    );
    await t.store.recordEvents(many);
    const exported = await t.admin('events', 'acme', '--json');
    expect(exported.code).toBe(0);
    expect(exported.stderr).toBe('');
    const lines = jsonLines(exported.stdout);
    expect(lines).toHaveLength(2346);
    expect(lines[0].type).toBe('group.created');
    expect(lines.slice(1).map((e) => e.id)).toEqual(many.map((e) => e.id));

    const token = await acme.token();
    const page = await t.gql(EVENTS, { token, variables: { first: 3 } });
    expect(lines.slice(0, 3)).toEqual(page.body.data.events.edges.map((e: any) => e.node));
  });

  it('filters by --type and --since, and prints a line a person can read without --json', async () => {
    await acme.user('alice');
    clock.advance(60_000);
    const since = new Date(clock.now()).toISOString();
    await acme.ssoToken('alice');
    const typed = jsonLines((await t.admin('events', 'acme', '--json', '--type', 'user.created', '--type', 'group.created')).stdout);
    expect(typed.map((e) => e.type)).toEqual(['group.created', 'user.created']);
    const recent = jsonLines((await t.admin('events', 'acme', '--json', '--since', since)).stdout);
    expect(recent.map((e) => e.type)).toEqual(['sso_token.created']);

    const text = (await t.admin('events', 'acme', '--since', since)).stdout.trim();
    expect(text).toMatch(/^2026-04-01T00:01:00\.000Z {2}sso_token\.created {2}user alice {2}by cli {2}\{"username":"alice"/);
  });

  it('refuses an unknown group, an unknown type and a date that is not ISO-8601, on stderr with exit 1', async () => {
    for (const [argv, message] of [
      [['events', 'nope'], /GroupNotFound/],
      [['events', 'acme', '--type', 'user.deleted'], /types: "user\.deleted" is not an event type/],
      [['events', 'acme', '--since', 'last week'], /since: must be an ISO-8601 date-time/],
    ] as const) {
      const run = await t.admin(...argv);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(message);
    }
  });
});
