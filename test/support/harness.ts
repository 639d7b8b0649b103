/**
 * A fresh app on a fresh database per test, driven through `app.fetch`, with seed
 * builders for groups, tokens, users and sessions. The database is an in-memory
 * SQLite, or a fresh PostgreSQL schema when the run is the PostgreSQL half
 * (TEST_DATABASE=postgres, see vitest.config.ts); `t.dialect` says which.
 */
import { type Config, loadConfig } from '../../src/config/config.ts';
import type { SqliteStore } from '../../src/db/sqlite/store.ts';
import type { GroupRecord, MemberRole, Store, UserRecord } from '../../src/db/store.ts';
import type { GroupSettings } from '../../src/domain/groups.ts';
import { type App, createApp } from '../../src/http/app.ts';
import { startMaintenance } from '../../src/maintenance.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { openRuntime } from '../../src/runtime.ts';
import { breakTable, createTestDatabase, type FaultOn, injectFault, queryRows } from './databases.ts';

export { testDialect } from './databases.ts';
import type { RateLimiter } from '../../src/rate-limits/limiter.ts';
import { type CliIo, runAdmin } from '../../src/cli/admin.ts';
import { CLI_CALLER, NO_REQUEST } from '../../src/domain/events.ts';
import type { Logger } from '../../src/observability/logger.ts';
import type { Metrics } from '../../src/observability/metrics.ts';

export const TEST_SSO_SECRET = 'test-secret-test-secret-test-secret-0123';

/**
 * Rate limits far above anything a test does, so only the tests about rate limits
 * (which set low ones) ever meet them.
 */
export const HIGH_RATE_LIMITS: Record<string, string> = {
  RATE_LIMIT_LOGIN: '1000000',
  RATE_LIMIT_FAILED_API_TOKEN: '1000000',
  RATE_LIMIT_WRITES: '1000000',
};

export interface TestAppOptions {
  env?: Record<string, string>;
  /** A clock the test can move; defaults to the real one. */
  clock?: TestClock;
  /** A store of the test's own, closed with the app; else a fresh database of the run's dialect. */
  store?: Store;
  /** Rate-limit counters to use (e.g. a MemoryRateLimiter on the test clock); the configured ones by default. */
  rateLimiter?: RateLimiter;
  /** A database other processes (and the CLI, `t.admin`) can reach too: a file on SQLite. */
  shared?: boolean;
  /** Where the app logs (see captureLogs); silent by default. */
  logger?: Logger;
  /** Metrics the app records into; none by default. */
  metrics?: Metrics;
  /** The API token GraphiQL pre-fills for a request from this machine (the demo token). */
  graphiqlApiToken?: string;
}

export class TestClock {
  constructor(public current = Date.now()) {}
  now = () => this.current;
  advance(ms: number) {
    this.current += ms;
  }
}

export interface RequestOptions {
  variables?: Record<string, unknown>;
  /** Host header, e.g. "acme.localhost:4000"; defaults to the bare base domain. */
  host?: string;
  token?: string;
  cookie?: string;
  headers?: Record<string, string>;
}

export interface TestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function createTestApp(options: TestAppOptions = {}) {
  const database = options.store
    ? { store: options.store, url: ':memory:', close: () => options.store!.close() }
    : await createTestDatabase({ shared: options.shared });
  const store = database.store;
  const config: Config = loadConfig({
    DATABASE_URL: database.url,
    SSO_SECRET: TEST_SSO_SECRET,
    PUBLIC_URL: 'http://localhost:4000',
    ...HIGH_RATE_LIMITS,
    ...options.env,
  });
  const clock = options.clock;
  const { services } = await openRuntime(config, { store, now: clock?.now });
  // Housekeeping runs beside the app as in the server, and stops with it.
  const maintenance = startMaintenance({ config, services, logger: options.logger ?? silentLogger() });
  const app = createApp({
    config,
    store,
    services,
    logger: options.logger,
    metrics: options.metrics,
    graphiqlApiToken: options.graphiqlApiToken,
    rateLimiter: options.rateLimiter,
  });

  async function request(path: string, init: RequestInit & { host?: string } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('host', init.host ?? 'localhost:4000');
    return app.fetch(`http://localhost:4000${path}`, { ...init, headers });
  }

  async function gql<T = any>(query: string, opts: RequestOptions = {}): Promise<TestResponse<T>> {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.cookie) headers.cookie = opts.cookie;
    const response = await request('/graphql', {
      method: 'POST',
      host: opts.host,
      headers,
      body: JSON.stringify({ query, variables: opts.variables }),
    });
    return { status: response.status, headers: response.headers, body: await response.json() };
  }

  const seed = new Seed(app, store, config);

  /** Runs the admin CLI in this process on the test's database (create the app with `shared: true`). */
  async function admin(...argv: string[]) {
    if (database.url === ':memory:') throw new Error('t.admin needs createTestApp({ shared: true })');
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      env: { DATABASE_URL: database.url, SSO_SECRET: TEST_SSO_SECRET, ...options.env },
      stdout: (text) => void (stdout += text),
      stderr: (text) => void (stderr += text),
    };
    const code = await runAdmin(argv, io);
    return { code, stdout, stderr, json: () => JSON.parse(stdout) };
  }
  return {
    app,
    store,
    /** The DATABASE_URL of the test's database (reachable from other processes with `shared: true`). */
    databaseUrl: database.url,
    /** Which database this test runs on, for the few tests about one engine. */
    dialect: store.dialect,
    config,
    clock,
    seed,
    request,
    gql,
    admin,
    /** Makes every insert (or `on`) into `table` fail in the database; returns the cure. */
    injectFault: (table: string, on?: FaultOn) => injectFault(store, table, on),
    /** Hides `table` so touching it is an unexpected error; returns the cure. */
    breakTable: (table: string) => breakTable(store, table),
    /** Rows of a query written to read the same on SQLite and PostgreSQL (which returns bigint columns as strings). */
    rows: (query: string) => queryRows(store, query),
    /** Resolves once `events` can show every event committed so far (on PostgreSQL it waits for older transactions). */
    feedCaughtUp: async () => {
      if (!(await store.feedCaughtUp(30_000))) throw new Error('the event feed did not catch up within 30 s');
    },
    /** How many rows the table holds. */
    count: async (table: string) => Number((await queryRows(store, `SELECT count(*) AS n FROM ${table}`))[0]!.n),
    async close() {
      await maintenance.stop();
      await app.close();
      await database.close();
    },
  };
}

export type TestApp = Awaited<ReturnType<typeof createTestApp>>;

/** The fixture most tests start from: a fresh app with group `acme` and an API token of it. */
export async function acmeApp(options: TestAppOptions = {}): Promise<{ t: TestApp; acme: GroupSeed; token: string }> {
  const t = await createTestApp(options);
  const acme = await t.seed.group('acme');
  return { t, acme, token: await acme.token() };
}

/** The admin tests' start: groups `acme` and `globex`, and `alice`, an admin of acme, signed in. */
export async function adminApp(
  options: TestAppOptions = {},
): Promise<{ t: TestApp; acme: GroupSeed; globex: GroupSeed; adminCookie: string }> {
  const t = await createTestApp(options);
  const acme = await t.seed.group('acme');
  const globex = await t.seed.group('globex');
  await acme.user('alice', { role: 'admin' });
  return { t, acme, globex, adminCookie: await acme.session('alice') };
}

/** Seed builders over the services: `const acme = await seed.group('acme'); await acme.user('alice')`. */
export class Seed {
  constructor(
    private readonly app: App,
    private readonly store: Store,
    private readonly config: Config,
  ) {}

  async group(slug: string, settings: GroupSettings = {}): Promise<GroupSeed> {
    const group = await this.app.services.groups.create(slug, settings, CLI_CALLER);
    return new GroupSeed(this.app, this.config, group);
  }
}

export class GroupSeed {
  private tokenValue: string | null = null;
  constructor(
    private readonly app: App,
    private readonly config: Config,
    readonly group: GroupRecord,
  ) {}

  get slug() {
    return this.group.slug;
  }

  /** Host header of this group's domain. */
  get host() {
    return `${this.group.slug}.${this.config.baseDomain}:4000`;
  }

  /** An API token of the group (the same one on every call unless `fresh`). */
  async token(fresh = false): Promise<string> {
    if (!this.tokenValue || fresh) {
      const { token } = await this.app.services.apiTokens.create(this.group, 'test', CLI_CALLER);
      if (fresh) return token;
      this.tokenValue = token;
    }
    return this.tokenValue;
  }

  async user(username: string, options: { email?: string; role?: MemberRole } = {}): Promise<UserRecord> {
    const email = options.email ?? `${username}@example.com`;
    const user = await this.app.services.users.create(this.group, { username, email }, CLI_CALLER);
    if (options.role === 'admin') await this.app.services.members.add(this.group, username, 'admin', CLI_CALLER);
    return user;
  }

  async ssoToken(username: string, redirectTo?: string): Promise<string> {
    return (await this.app.services.signIn.createSsoToken(this.group, username, { redirectTo }, CLI_CALLER)).token;
  }

  /** Signs the user in; returns the `Cookie` header value of the session. */
  async session(username: string): Promise<string> {
    const signedIn = await this.app.services.signIn.login(await this.ssoToken(username), this.group.slug, null, NO_REQUEST);
    return `session=${signedIn.token}`;
  }
}

/** The SQLite store of a test that is about SQLite itself (check `t.dialect` first). */
export function sqliteOf(t: TestApp): SqliteStore {
  if (t.store.dialect !== 'sqlite') throw new Error('this test app runs on PostgreSQL, not SQLite');
  return t.store as SqliteStore;
}

/** The documented envelope of a code, read from the shared catalog file. */
export { envelopeOf } from '../../src/errors/catalog.ts';
