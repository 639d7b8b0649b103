/**
 * Several processes on one SQLite file: processes opening a new file at the same
 * moment (each creating and migrating it), and two real servers under concurrent
 * createUser, createSSOToken, loginWithSSO and read load. No SQLITE_BUSY may
 * surface (no 5xx, no FailedToCreateUser or FailedToCreateSession), uniqueness
 * holds, and nothing that should succeed fails.
 */
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { sqlitePath } from '../../src/db/sqlite/store.ts';
import { openRuntime } from '../../src/runtime.ts';
import { CREATE_SSO_TOKEN, CREATE_USER, GROUP, LOGIN_WITH_SSO, VIEWER } from '../support/documents.ts';
import { TEST_SSO_SECRET } from '../support/harness.ts';
import { HttpClient, type RawResponse } from '../support/http-client.ts';
import { run, type RunningServer, startServer, tempDatabaseUrl } from '../support/processes.ts';
import { CLI_CALLER } from '../../src/domain/events.ts';

const STRESS = process.env.STRESS === '1';
const OPEN_ROUNDS = STRESS ? 12 : 4;
const OPENERS = 2;
const UNIQUE_USERS = STRESS ? 600 : 160;
const CONTESTED = STRESS ? 120 : 40;
const CONCURRENCY = 12;

const servers: RunningServer[] = [];
const clients: HttpClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
});

/** How many migrations are committed: each must be recorded once, whoever applied it. */
const committedMigrations = readMigrationFiles({ migrationsFolder: fileURLToPath(new URL('../../drizzle/sqlite', import.meta.url)) }).length;

describe('processes opening one new SQLite file at the same moment', () => {
  it('all start: WAL is switched and the migrations applied exactly once', async () => {
    // Far enough ahead for every process to be loaded when its moment comes; the
    // rounds' moments are apart, so each pair has the machine to itself.
    const start = Date.now() + (STRESS ? 8000 : 5000);
    const rounds = await Promise.all(
      Array.from({ length: OPEN_ROUNDS }, async (_, round) => {
        const databaseUrl = tempDatabaseUrl();
        const at = String(start + round * 250);
        const results = await Promise.all(
          Array.from({ length: OPENERS }, () => run(process.execPath, ['--import', 'tsx', 'test/support/open-store-at.ts', databaseUrl, at])),
        );
        const db = new Database(sqlitePath(databaseUrl), { readonly: true });
        const migrations = (db.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }).n;
        const journal = db.pragma('journal_mode', { simple: true });
        db.close();
        return { outputs: results.map((r) => `${r.code} ${r.stdout.trim()} ${r.stderr.trim()}`.trim()), migrations, journal };
      }),
    );
    for (const round of rounds) {
      expect(round.outputs).toEqual(Array(OPENERS).fill('0 ok'));
      expect(round.migrations).toBe(committedMigrations);
      expect(round.journal).toBe('wal');
    }
  }, 120_000);
});

describe('two servers on one SQLite file', () => {
  it('serve concurrent createUser, createSSOToken, loginWithSSO and reads with no SQLITE_BUSY and exact outcomes', async () => {
    const databaseUrl = tempDatabaseUrl();
    const config = loadConfig({ DATABASE_URL: databaseUrl, SSO_SECRET: TEST_SSO_SECRET });
    const runtime = await openRuntime(config);
    const { services } = runtime;
    const acme = await services.groups.create('acme', {}, CLI_CALLER);
    const { token } = await services.apiTokens.create(acme, null, CLI_CALLER);
    await runtime.close();

    const env = { DATABASE_URL: databaseUrl, SSO_SECRET: TEST_SSO_SECRET };
    servers.push(...(await Promise.all([startServer(env), startServer(env)])));
    clients.push(...servers.map((s) => new HttpClient(s.port, CONCURRENCY)));
    const host = 'acme.localhost';

    const answers: Array<{ what: string; res: RawResponse }> = [];
    const post = async (server: number, what: string, query: string, variables: unknown, headers: Record<string, string> = {}) => {
      const res = await clients[server]!.send({
        method: 'POST',
        path: '/graphql',
        headers: { 'content-type': 'application/json', host, ...headers },
        body: JSON.stringify({ query, variables }),
      });
      answers.push({ what, res });
      return JSON.parse(res.text);
    };
    const withToken = { authorization: `Bearer ${token}` };
    /** Runs the tasks CONCURRENCY at a time. */
    const inParallel = async (tasks: Array<() => Promise<unknown>>) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < tasks.length) await tasks[next++]!();
        }),
      );
    };

    // 1. createUser: unique users alternating between the servers, and contested
    //    usernames and emails sent to both servers at the same moment.
    const created: string[] = [];
    const contestedOutcomes: string[][] = [];
    const unique: Array<() => Promise<unknown>> = [];
    for (let i = 0; i < UNIQUE_USERS; i++) {
      const username = `writer-${i}`;
      unique.push(async () => {
        const body = await post(i % 2, 'createUser', CREATE_USER, { input: { email: `${username}@example.com`, username } }, withToken);
        if (body.data?.createUser?.__typename === 'CreateUserSuccess') created.push(username);
      });
    }
    const contested: Array<() => Promise<unknown>> = [];
    for (let i = 0; i < CONTESTED; i++) {
      const sameEmail = i % 2 === 1;
      contested.push(async () => {
        const pair = await Promise.all(
          [0, 1].map((server) =>
            post(
              server,
              'contested createUser',
              CREATE_USER,
              {
                input: sameEmail
                  ? { email: `shared-${i}@example.com`, username: `email-race-${i}-${server}` }
                  : { email: `race-${i}-${server}@example.com`, username: `name-race-${i}` },
              },
              withToken,
            ),
          ),
        );
        contestedOutcomes.push(pair.map((b) => b.data?.createUser?.__typename).sort());
      });
    }
    // Contested pairs spread among the unique users.
    const every = Math.max(1, Math.floor(unique.length / contested.length));
    const tasks = unique.flatMap((task, i) => (i % every === 0 && contested.length > 0 ? [task, contested.shift()!] : [task]));
    tasks.push(...contested);
    await inParallel(tasks);

    expect(created.length).toBe(UNIQUE_USERS);
    expect(contestedOutcomes).toHaveLength(CONTESTED);
    for (const outcome of contestedOutcomes) {
      expect(outcome.filter((t) => t === 'CreateUserSuccess'), outcome.join()).toHaveLength(1);
      expect(['UsernameAlreadyExists', 'EmailAlreadyExists']).toContain(outcome.find((t) => t !== 'CreateUserSuccess'));
    }

    // 2. SSO tokens for half the users, minted on either server.
    const signers = created.slice(0, Math.floor(created.length / 2));
    const ssoTokens: string[] = [];
    await inParallel(
      signers.map((username, i) => async () => {
        const body = await post(i % 2, 'createSSOToken', CREATE_SSO_TOKEN, { username }, withToken);
        expect(body.data.createSSOToken.__typename).toBe('CreateSSOTokenSuccess');
        ssoTokens.push(body.data.createSSOToken.token);
      }),
    );

    // 3. Logins on both servers (every fifth token raced on both at once), with more
    //    createUser writes and reads of the sessions just made, all interleaved.
    const cookies: string[] = [];
    let sessionsMade = 0;
    let racedLosers = 0;
    let lateUsers = 0;
    const mixed: Array<() => Promise<unknown>> = [];
    ssoTokens.forEach((ssoToken, i) => {
      mixed.push(async () => {
        const targets = i % 5 === 0 ? [0, 1] : [i % 2];
        const results = await Promise.all(targets.map((server) => post(server, 'loginWithSSO', LOGIN_WITH_SSO, { token: ssoToken })));
        const outcomes = results.map((b) => b.data?.loginWithSSO?.__typename);
        expect(outcomes.filter((o) => o === 'LoginWithSSOSuccess')).toHaveLength(1);
        racedLosers += outcomes.filter((o) => o === 'InvalidSSOTokenPayload').length;
        expect(outcomes.filter((o) => o !== 'LoginWithSSOSuccess' && o !== 'InvalidSSOTokenPayload')).toEqual([]);
        sessionsMade++;
        const winner = results.find((b) => b.data.loginWithSSO.__typename === 'LoginWithSSOSuccess');
        cookies.push(`session=${winner.data.loginWithSSO.session.token}`);
      });
      mixed.push(async () => {
        const username = `late-writer-${i}`;
        const body = await post(i % 2, 'createUser', CREATE_USER, { input: { email: `${username}@example.com`, username } }, withToken);
        expect(body.data.createUser.__typename).toBe('CreateUserSuccess');
        lateUsers++;
      });
      mixed.push(async () => {
        const cookie = cookies[Math.floor(cookies.length / 2)];
        const body = await post((i + 1) % 2, 'viewer', VIEWER, undefined, cookie ? { cookie } : {});
        if (cookie) expect(body.data.viewer.user.username).toMatch(/^writer-/);
        const group = await post(i % 2, 'group', GROUP, undefined, withToken);
        expect(group.data.group.slug).toBe('acme');
      });
    });
    await inParallel(mixed);

    // Nothing failed that should not have: no 5xx, no storage failure of any kind.
    const failures = answers.filter(
      ({ res }) => res.status >= 500 || /InternalError|FailedToCreateUser|FailedToCreateSession|failedToCreateSession/.test(res.text),
    );
    expect(failures.map(({ what, res }) => `${what}: ${res.status} ${res.text.slice(0, 200)}`)).toEqual([]);
    for (const server of servers) expect(server.output()).not.toMatch(/SQLITE_BUSY|database is locked/i);

    // The file holds exactly what was acknowledged.
    const db = new Database(sqlitePath(databaseUrl), { readonly: true });
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    expect(count('SELECT count(*) AS n FROM users')).toBe(UNIQUE_USERS + CONTESTED + lateUsers);
    expect(count('SELECT count(*) AS n FROM memberships')).toBe(UNIQUE_USERS + CONTESTED + lateUsers);
    expect(count('SELECT count(*) AS n FROM (SELECT username FROM users GROUP BY username HAVING count(*) > 1)')).toBe(0);
    expect(count('SELECT count(*) AS n FROM (SELECT email_normalized FROM users GROUP BY email_normalized HAVING count(*) > 1)')).toBe(0);
    expect(count('SELECT count(*) AS n FROM sessions')).toBe(sessionsMade);
    expect(count('SELECT count(*) AS n FROM sso_token_uses')).toBe(ssoTokens.length);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    console.info(
      `two servers, one file: ${answers.length} requests; ${UNIQUE_USERS + lateUsers} users created, ${CONTESTED} contested pairs ` +
        `(one winner each), ${sessionsMade} sign-ins (${racedLosers} raced replays refused); 0 SQLITE_BUSY, 0 storage failures`,
    );
  }, 180_000);
});
