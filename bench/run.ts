/**
 * `npm run bench`: the server in production mode beside two baselines (graphql-yoga's
 * hello world and a node:http hello world), loaded one operation at a time with
 * autocannon over loopback, all in one run so the ratios compare like with like.
 * Beside requests per second it reports the server's CPU time per request (its
 * processes' user + system time over a run, from /proc, divided by the requests
 * answered), which the load generator sharing the cores does not distort.
 *
 *   npm run bench [-- --duration 10 --rounds 4 --connections 10 --users 1000 --scale-users 1000000 --no-scale --no-workers]
 *
 * `--ab` instead runs the A/B comparison of logging and metrics: one build, two
 * servers on identically seeded databases, A with LOG_LEVEL=info and METRICS_PORT set,
 * B with LOG_LEVEL=silent and no metrics, each operation loaded on both in
 * alternating rounds; the target is A's CPU per request at most 1.10 × B's.
 *
 * `--before <git ref>`: this build beside a build of an earlier commit (in a git
 * worktree of its own), every operation on both, logging and metrics off on both:
 * what the commits since cost per request (the event log: at most 1.15 ×).
 *
 * `--idempotency`: createUser with an `Idempotency-Key` per request beside createUser
 * without, on one build (target: CPU per request at most 1.10 ×).
 *
 * `--bulk`: users per second of createUsers (1000 inputs a call) beside single
 * createUser calls, and of the CLI import of a 100,000-row CSV, run three times (the
 * median counts; target: both at least 10 × the single calls).
 *
 * The operations include two of SCIM (API.md §18), `scimFilterUserName` and
 * `scimDeactivate`, so their CPU per request reads off beside createUser's (the
 * table's `CPU x createUser`). `npm run bench:scim` (bench/scim.ts) measures SCIM at
 * scale: the lookup at 1,000,000 members, and a 1,000-member group PATCH.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { combine, cpuPerRequestUs, fmt, freePort, load, type LoadResult, table } from './load.ts';
import { type Seeded, seedDatabase, seedPostgres } from './seed.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const SSO_SECRET = 'bench-secret-bench-secret-bench-secret!';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
    users: { type: 'string', default: '1000' },
    'scale-users': { type: 'string', default: '1000000' },
    'no-scale': { type: 'boolean', default: false },
    'no-workers': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    ab: { type: 'boolean', default: false },
    before: { type: 'string' },
    idempotency: { type: 'boolean', default: false },
    bulk: { type: 'boolean', default: false },
    'import-rows': { type: 'string', default: '100000' },
    out: { type: 'string' },
    database: { type: 'string', default: 'sqlite' },
    'postgres-url': { type: 'string', default: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const onPostgres = args.database === 'postgres';
if (!onPostgres && args.database !== 'sqlite') throw new Error('--database is sqlite or postgres');
const mode = args.ab ? 'ab' : args.before ? 'before' : args.idempotency ? 'idempotency' : args.bulk ? 'bulk' : null;
const outFile = args.out ?? `bench/results/${mode ? `${mode}-` : ''}${args.database}.json`;
const duration = Number(args.duration);
const warmup = Number(args.warmup);
const connections = Number(args.connections);
const rounds = Number(args.rounds);

/** Every process started, so a failed run leaves none behind. */
const started = new Set<ChildProcess>();
/** Where the SQLite databases of this run live (a million users take hundreds of MB); removed at exit. */
const dir = mkdtempSync(join(tmpdir(), 'team-api-bench-'));
process.on('exit', () => {
  for (const child of started) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
process.once('SIGINT', () => process.exit(130));

interface Target {
  port: number;
  pids: number[];
  stop(): Promise<void>;
}

async function startProcess(script: string, env: Record<string, string>, nodeFlags: string[] = []): Promise<Target> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [...nodeFlags, script], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  started.add(child);
  let output = '';
  const onData = (d: Buffer) => {
    output += d;
    if (/listening/.test(output)) {
      // From here on the server's request log is read and dropped, as a log shipper would take it.
      child.stdout!.off('data', onData);
      child.stdout!.resume();
      resolveListening();
    }
  };
  let resolveListening!: () => void;
  await new Promise<void>((resolve, reject) => {
    resolveListening = resolve;
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}): ${output}`)));
  });
  const pids = [child.pid!, ...childPids(child.pid!)];
  return {
    port,
    pids,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      started.delete(child);
    },
  };
}

/** Worker processes of a cluster primary, so their memory counts too. */
function childPids(pid: number): number[] {
  const out = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout;
  return out.split('\n').filter(Boolean).map(Number);
}

/** The node flags `npm run start:prod` gives the server (its heap ceiling), so the benchmark runs it the same way. */
const productionNodeFlags: string[] = (() => {
  const script: string = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts['start:prod'];
  const flags = /\bnode((?: --\S+)*) dist\/src\/server\.js/.exec(script);
  if (!flags) throw new Error(`cannot read the node flags of start:prod: ${script}`);
  return flags[1]!.trim().split(' ').filter(Boolean);
})();

function startServer(databaseUrl: string, workers = 1, extraEnv: Record<string, string> = {}, build = 'dist'): Promise<Target> {
  return startProcess(join(build, 'src/server.js'), {
    ...extraEnv,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    SSO_SECRET,
    WORKERS: String(workers),
    PUBLIC_URL: 'http://localhost:4000',
    // The benchmark measures throughput, not the abuse limits (0 = no limit).
    RATE_LIMIT_LOGIN: '0',
    RATE_LIMIT_FAILED_API_TOKEN: '0',
    RATE_LIMIT_WRITES: '0',
  }, productionNodeFlags);
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A fresh single-use SSO token, signed like the server's (HS256 over the shared secret). */
function mintSsoToken(username: string, group: string): string {
  const iat = Math.floor(Date.now() / 1000);
  const unsigned = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url({ username, group, jti: randomUUID(), iat, exp: iat + 600 })}`;
  return `${unsigned}.${createHmac('sha256', SSO_SECRET).update(unsigned).digest('base64url')}`;
}

interface Operation {
  name: string;
  /** POST unless said. */
  method?: 'GET' | 'PATCH';
  path: string;
  /** Each request's path (a read that looks up a different row each time); called before `nextBody`. */
  nextPath?: () => string;
  headers: Record<string, string>;
  body?: string;
  nextBody?: () => string;
  /** What the operation needs on the server before its first request, beyond the seed (rows made through the API). */
  prepare?: (target: Target) => Promise<void>;
  baseline: 'yoga' | 'node';
  /** Its hand-written floor's path on bench/baselines/floors.ts (SQLite only), loaded in the same rounds. */
  floor?: string;
  /** Whether one answer is the success the operation is for. */
  succeeded: (body: any) => boolean;
}

const REST_OPERATION = 'REST POST /-/api/ssotoken/create';
const gql = (query: string, variables?: Record<string, unknown>) => JSON.stringify({ query, variables });
/** SCIM users each `scimDeactivate` makes (through `POST /scim/v2/Users`) and deactivates in turn. */
const SCIM_USERS = 200;
const scimFilter = (userName: string) => `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`;

function operations(seed: Seeded): Operation[] {
  const json = { 'content-type': 'application/json' };
  const auth = { ...json, authorization: `Bearer ${seed.apiToken}` };
  const onGroup = { ...json, host: `${seed.group}.localhost:4000` };
  const scim = { 'content-type': 'application/scim+json', authorization: `Bearer ${seed.apiToken}` };
  let counter = 0;
  const run = randomUUID().slice(0, 6);
  // scimFilterUserName: the seeded members in turn (their SCIM userName is their username).
  let lookups = 0;
  // scimDeactivate: its SCIM users in turn, each request flipping one user's `active` (false on the first pass, true on the next, …).
  const scimIds: string[] = [];
  let flips = 0;
  return [
    {
      name: 'viewer (cookie)',
      path: '/graphql',
      headers: { ...onGroup, cookie: seed.sessionCookie },
      body: gql('{ viewer { expiresAt user { username } group { slug } } }'),
      baseline: 'yoga',
      floor: '/viewer',
      succeeded: (b) => b.data?.viewer?.user?.username === seed.username,
    },
    {
      name: 'group (API token)',
      path: '/graphql',
      headers: auth,
      body: gql('{ group { slug isApiEnabled allowedDomains } }'),
      baseline: 'yoga',
      floor: '/group',
      succeeded: (b) => b.data?.group?.slug === seed.group,
    },
    {
      name: 'createSSOToken',
      path: '/graphql',
      headers: auth,
      body: gql(
        `mutation { createSSOToken(username: "${seed.username}") { __typename ... on CreateSSOTokenSuccess { token loginUrl expiresAt } } }`,
      ),
      baseline: 'yoga',
      floor: '/createSSOToken',
      succeeded: (b) => b.data?.createSSOToken?.__typename === 'CreateSSOTokenSuccess',
    },
    {
      name: 'loginWithSSO',
      path: '/graphql',
      headers: onGroup,
      nextBody: () =>
        gql(
          'mutation ($token: String!) { loginWithSSO(token: $token) { __typename ... on LoginWithSSOSuccess { session { token expiresAt } } } }',
          { token: mintSsoToken(seed.username, seed.group) },
        ),
      baseline: 'yoga',
      floor: '/loginWithSSO',
      succeeded: (b) => b.data?.loginWithSSO?.__typename === 'LoginWithSSOSuccess',
    },
    {
      name: 'createUser',
      path: '/graphql',
      headers: auth,
      nextBody: () => {
        const username = `b${run}${(counter++).toString(36)}`;
        return gql(
          'mutation ($input: CreateUserInput!) { createUser(input: $input) { __typename ... on CreateUserSuccess { user { id username } } } }',
          { input: { email: `${username}@bench.example`, username } },
        );
      },
      baseline: 'yoga',
      floor: '/createUser',
      succeeded: (b) => b.data?.createUser?.__typename === 'CreateUserSuccess',
    },
    {
      name: REST_OPERATION,
      path: '/-/api/ssotoken/create',
      headers: auth,
      body: JSON.stringify({ username: seed.username }),
      baseline: 'node',
      floor: '/rest',
      succeeded: (b) => typeof b.data?.token === 'string',
    },
    {
      // Okta's check before every create: one member found by an index, answered as a ListResponse.
      name: 'scimFilterUserName',
      method: 'GET',
      path: scimFilter('user0'),
      nextPath: () => scimFilter(`user${lookups++ % seed.users}`),
      headers: scim,
      baseline: 'node',
      succeeded: (b) => b.totalResults === 1 && b.Resources?.length === 1,
    },
    {
      // A deactivation (and, on the next pass, a reactivation): each request changes the member.
      name: 'scimDeactivate',
      method: 'PATCH',
      path: '/scim/v2/Users',
      nextPath: () => `/scim/v2/Users/${scimIds[flips % scimIds.length]}`,
      nextBody: () => {
        const active = Math.floor(flips++ / scimIds.length) % 2 === 1;
        return JSON.stringify({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'replace', path: 'active', value: active }],
        });
      },
      headers: scim,
      async prepare(target) {
        for (let i = 0; i < SCIM_USERS; i++) {
          const userName = `s${run}${i}@bench.example`;
          const created = await send(target, 'POST', '/scim/v2/Users', scim, JSON.stringify({ userName, emails: [{ value: userName, primary: true }] }));
          if (created.status !== 201) throw new Error(`POST /scim/v2/Users: ${created.status} ${created.text}`);
          scimIds.push(JSON.parse(created.text).id);
        }
      },
      baseline: 'node',
      succeeded: (b) => typeof b.id === 'string' && typeof b.active === 'boolean',
    },
  ];
}

/** One request through node:http (fetch would drop the Host header), answered with its status and body. */
function send(target: Target, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: target.port, path, method, headers: { ...headers, connection: 'close' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** What the operation needs prepared, then one request first, to prove the operation succeeds. */
async function check(target: Target, op: Operation): Promise<void> {
  await op.prepare?.(target);
  const path = op.nextPath?.() ?? op.path;
  const body = op.body ?? op.nextBody?.();
  const answer = await send(target, op.method ?? 'POST', path, op.headers, body);
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    // Not JSON: not a success either.
  }
  if (!op.succeeded(parsed ?? {})) throw new Error(`${op.name} does not succeed: ${answer.status} ${answer.text}`);
}

type Spec = Pick<Operation, 'method' | 'path' | 'nextPath' | 'headers' | 'body' | 'nextBody'> & { nextHeaders?: () => Record<string, string> };

/** One thing to load: a spec against a running target. */
interface Subject {
  target: Target;
  spec: Spec;
}

function loadFor({ target, spec }: Subject, durationSeconds: number): Promise<LoadResult> {
  return load({
    url: `http://127.0.0.1:${target.port}${spec.path}`,
    method: spec.method,
    headers: spec.headers,
    body: spec.body,
    nextPath: spec.nextPath,
    nextBody: spec.nextBody,
    nextHeaders: spec.nextHeaders,
    connections,
    durationSeconds,
    pids: target.pids,
  });
}

/**
 * Loads the subjects side by side: a warm-up each, then `rounds` rounds in which
 * each gets `duration / rounds` seconds, the order reversed every other round
 * (A B, B A, A B …). The machine's drift over the run falls on every subject
 * alike, so their ratio is measured, not the drift between two moments.
 */
async function sideBySide(subjects: Subject[]): Promise<LoadResult[]> {
  for (const subject of subjects) await loadFor(subject, warmup);
  const perRound = duration / rounds;
  const runs: LoadResult[][] = subjects.map(() => []);
  for (let round = 0; round < rounds; round++) {
    const order = subjects.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) runs[i]!.push(await loadFor(subjects[i]!, perRound));
  }
  return runs.map(combine);
}

/** A fresh seeded database of the chosen engine: its DATABASE_URL, and how to remove it. */
async function seeded(dir: string, name: string, users: number): Promise<{ seed: Seeded; databaseUrl: string; drop(): Promise<void> }> {
  if (onPostgres) {
    const seed = await seedPostgres(args['postgres-url']!, users);
    return { seed, databaseUrl: seed.databaseUrl, drop: seed.drop };
  }
  const databaseUrl = `file:${join(dir, `${name}.db`)}`;
  return { seed: seedDatabase(databaseUrl, users), databaseUrl, drop: async () => {} };
}

const helloSpecs: Record<Operation['baseline'], Spec> = {
  yoga: { path: '/graphql', headers: { 'content-type': 'application/json' }, body: gql('{ hello }') },
  node: { path: '/', headers: { 'content-type': 'application/json' }, body: '{"username":"user0"}' },
};

interface Measured {
  op: Operation;
  result: LoadResult;
  /** Its baseline, loaded in the same rounds. */
  baseline: LoadResult;
  /** Its hand-written floor, in the same rounds (SQLite only). */
  floor?: LoadResult;
}

/** The reads of the targets against an empty Yoga (the other operations with Yoga as their baseline are writes). */
const READS = new Set(['viewer (cookie)', 'group (API token)']);

/**
 * The targets of docs/performance.md that one run of the operations measures: each
 * operation's CPU per request at most 2.0 × its floor's (the REST route 1.5 ×), and
 * Yoga's hello world's CPU per request over the operation's at least 1.5 for the
 * reads and 1.0 for the writes.
 */
function floorTargets(measured: { name: string; floorRatio: number | null; yogaRatio: number | null }[]) {
  const rows: { target: string; figure: string; met: string }[] = [];
  for (const m of measured) {
    if (m.floorRatio !== null) {
      const most = m.name === REST_OPERATION ? 1.5 : 2.0;
      rows.push({ target: `${m.name}: CPU/req at most ${fmt(most, 1)} × its floor`, figure: fmt(m.floorRatio, 2), met: m.floorRatio <= most ? 'yes' : 'no' });
    }
    if (m.yogaRatio !== null) {
      const least = READS.has(m.name) ? 1.5 : 1.0;
      rows.push({ target: `${m.name}: yoga hello's CPU/req at least ${fmt(least, 1)} × its`, figure: fmt(m.yogaRatio, 2), met: m.yogaRatio >= least ? 'yes' : 'no' });
    }
  }
  return rows;
}

/** A GET over node:http, answered with its body. */
function getText(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path, headers: { connection: 'close' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve(text));
    })
      .on('error', reject)
      .end();
  });
}

/** The CPU-per-request ratio that logging and metrics may cost at most. */
const AB_TARGET = 1.1;

/**
 * `--ab`: the same build with logging and metrics on (A) and off (B), each operation
 * on both in alternating rounds. Reports req/s and CPU per request for each side.
 */
async function abMain(machine: string): Promise<void> {
  console.log(
    `machine: ${machine}\ndatabase: ${args.database}\n` +
      `A/B: logging (LOG_LEVEL=info) and metrics (METRICS_PORT) on vs off (LOG_LEVEL=silent, no METRICS_PORT)\n` +
      `load: ${connections} connections; per operation, on both: ${warmup} s warm-up each, then ${rounds} rounds of ${fmt(duration / rounds, 1)} s each\n`,
  );
  const onDb = await seeded(dir, 'ab-on', Number(args.users));
  const offDb = await seeded(dir, 'ab-off', Number(args.users));
  const metricsPort = await freePort();
  const on = await startServer(onDb.databaseUrl, 1, { LOG_LEVEL: 'info', METRICS_PORT: String(metricsPort) });
  const off = await startServer(offDb.databaseUrl, 1, { LOG_LEVEL: 'silent' });
  const compared: Array<{ name: string; on: LoadResult; off: LoadResult }> = [];
  for (const name of operations(onDb.seed).map((o) => o.name)) {
    const specs = [onDb.seed, offDb.seed].map((s) => operations(s).find((o) => o.name === name)!);
    await check(on, specs[0]!);
    await check(off, specs[1]!);
    const [a, b] = await sideBySide([
      { target: on, spec: specs[0]! },
      { target: off, spec: specs[1]! },
    ]);
    compared.push({ name, on: a!, off: b! });
    const ratio = cpuPerRequestUs(a!) / cpuPerRequestUs(b!);
    console.log(`  ${name}: CPU ${fmt(cpuPerRequestUs(a!))} vs ${fmt(cpuPerRequestUs(b!))} µs/req (${fmt(ratio, 2)} ×)`);
  }
  // A's metrics saw the requests it answered (a sanity check that metrics were on).
  const scraped = await getText(metricsPort, '/metrics');
  const counted = [...scraped.matchAll(/^team_api_http_requests_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  await Promise.all([on.stop(), off.stop()]);
  await Promise.all([onDb.drop(), offDb.drop()]);

  const rows = compared.map((c) => {
    const ratio = cpuPerRequestUs(c.on) / cpuPerRequestUs(c.off);
    return {
      operation: c.name,
      'req/s on': fmt(c.on.requestsPerSecond),
      'req/s off': fmt(c.off.requestsPerSecond),
      'req/s on/off': fmt(c.on.requestsPerSecond / c.off.requestsPerSecond, 2),
      'CPU µs/req on': fmt(cpuPerRequestUs(c.on)),
      'CPU µs/req off': fmt(cpuPerRequestUs(c.off)),
      'CPU on/off': fmt(ratio, 2),
      [`≤ ${AB_TARGET}`]: ratio <= AB_TARGET ? 'yes' : 'NO',
      errors: String(c.on.errors + c.on.non2xx + c.off.errors + c.off.non2xx),
    };
  });
  console.log(`\n${table(rows)}\n`);
  console.log(`metrics of A counted ${counted} requests answered on its public port`);
  const report = {
    machine,
    database: args.database,
    mode: 'ab',
    settings: { connections, warmup, duration, rounds, users: Number(args.users) },
    target: AB_TARGET,
    operations: compared.map((c) => ({
      name: c.name,
      on: { ...c.on, cpuUsPerRequest: cpuPerRequestUs(c.on) },
      off: { ...c.off, cpuUsPerRequest: cpuPerRequestUs(c.off) },
      cpuRatio: cpuPerRequestUs(c.on) / cpuPerRequestUs(c.off),
      rateRatio: c.on.requestsPerSecond / c.off.requestsPerSecond,
    })),
    metricsCountedRequests: counted,
  };
  const out = resolve(root, outFile);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`results written to ${outFile}`);
}

/** Two servers, operation by operation, side by side; each line and the table report CPU per request. */
async function compareServers(
  label: { a: string; b: string },
  a: { target: Target; seed: Seeded },
  b: { target: Target; seed: Seeded },
  names: string[],
  specFor: (seed: Seeded, name: string, side: 'a' | 'b') => Operation = (seed, name) => operations(seed).find((o) => o.name === name)!,
) {
  const compared: Array<{ name: string; a: LoadResult; b: LoadResult }> = [];
  for (const name of names) {
    const specs = [specFor(a.seed, name, 'a'), specFor(b.seed, name, 'b')];
    await check(a.target, specs[0]!);
    await check(b.target, specs[1]!);
    const [first, second] = await sideBySide([
      { target: a.target, spec: specs[0]! },
      { target: b.target, spec: specs[1]! },
    ]);
    compared.push({ name, a: first!, b: second! });
    console.log(
      `  ${name}: ${label.a} ${fmt(first!.requestsPerSecond)} req/s, ${fmt(cpuPerRequestUs(first!))} µs CPU/req; ` +
        `${label.b} ${fmt(second!.requestsPerSecond)} req/s, ${fmt(cpuPerRequestUs(second!))} µs CPU/req`,
    );
  }
  return compared;
}

function writeReport(report: Record<string, unknown>): void {
  const out = resolve(root, outFile);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`results written to ${outFile}`);
}

/** A build of an earlier commit, in a git worktree of its own (removed at exit) sharing this checkout's node_modules. */
function buildOf(ref: string): string {
  const worktree = join(dir, 'before');
  const add = spawnSync('git', ['worktree', 'add', '--detach', worktree, ref], { cwd: root, stdio: 'inherit' });
  if (add.status !== 0) throw new Error(`cannot check out ${ref}`);
  process.on('exit', () => spawnSync('git', ['worktree', 'remove', '--force', worktree], { cwd: root }));
  spawnSync('ln', ['-s', join(root, 'node_modules'), join(worktree, 'node_modules')]);
  const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: worktree, stdio: 'inherit' });
  if (build.status !== 0) throw new Error(`the build of ${ref} failed`);
  return join(worktree, 'dist');
}

/** `--before <ref>`: this build beside the build of `ref`, every operation, logs and metrics off on both. */
async function beforeMain(machine: string, ref: string): Promise<void> {
  const commit = spawnSync('git', ['rev-parse', '--short', ref], { cwd: root, encoding: 'utf8' }).stdout.trim();
  console.log(`machine: ${machine}\ndatabase: ${args.database}\ncomparing this build with ${ref} (${commit}), logging and metrics off on both\n`);
  const before = buildOf(ref);
  const nowDb = await seeded(dir, 'now', Number(args.users));
  const thenDb = await seeded(dir, 'then', Number(args.users));
  const quiet = { LOG_LEVEL: 'silent' };
  const now = await startServer(nowDb.databaseUrl, 1, quiet);
  const then = await startServer(thenDb.databaseUrl, 1, quiet, before);
  // A build from before SCIM (API.md §18) has no /scim/v2: its operations are left out, and said so.
  const names: string[] = [];
  for (const op of operations(thenDb.seed)) {
    if (op.path.startsWith('/scim/') && (await send(then, 'GET', '/scim/v2/ServiceProviderConfig', op.headers)).status === 404) {
      console.log(`  ${op.name}: left out, ${ref} has no /scim/v2`);
    } else {
      names.push(op.name);
    }
  }
  const compared = await compareServers(
    { a: 'now', b: ref },
    { target: now, seed: nowDb.seed },
    { target: then, seed: thenDb.seed },
    names,
  );
  await Promise.all([now.stop(), then.stop()]);
  await Promise.all([nowDb.drop(), thenDb.drop()]);
  const rows = compared.map((c) => ({
    operation: c.name,
    'req/s now': fmt(c.a.requestsPerSecond),
    [`req/s ${ref}`]: fmt(c.b.requestsPerSecond),
    'CPU µs/req now': fmt(cpuPerRequestUs(c.a)),
    [`CPU µs/req ${ref}`]: fmt(cpuPerRequestUs(c.b)),
    'CPU now/before': fmt(cpuPerRequestUs(c.a) / cpuPerRequestUs(c.b), 2),
    errors: String(c.a.errors + c.a.non2xx + c.b.errors + c.b.non2xx),
  }));
  console.log(`\n${table(rows)}\n`);
  writeReport({
    machine,
    database: args.database,
    mode: 'before',
    ref,
    commit,
    settings: { connections, warmup, duration, rounds, users: Number(args.users) },
    operations: compared.map((c) => ({
      name: c.name,
      now: { ...c.a, cpuUsPerRequest: cpuPerRequestUs(c.a) },
      before: { ...c.b, cpuUsPerRequest: cpuPerRequestUs(c.b) },
      cpuRatio: cpuPerRequestUs(c.a) / cpuPerRequestUs(c.b),
    })),
  });
}

/**
 * `--idempotency`: createUser with a fresh Idempotency-Key per request beside createUser
 * without, on the server and (SQLite) on its floor, all four in the same rounds: the
 * floor's own ratio is what a key costs any implementation that keeps it as §11 asks.
 */
async function idempotencyMain(machine: string): Promise<void> {
  console.log(`machine: ${machine}\ndatabase: ${args.database}\ncreateUser with an Idempotency-Key per request beside without\n`);
  const keyedDb = await seeded(dir, 'keyed', Number(args.users));
  const plainDb = await seeded(dir, 'plain', Number(args.users));
  const floorDb = onPostgres ? null : await seeded(dir, 'floor', Number(args.users));
  const keyed = await startServer(keyedDb.databaseUrl);
  const plain = await startServer(plainDb.databaseUrl);
  const floors = floorDb && (await startProcess('dist/bench/baselines/rest-floor.js', { DATABASE_URL: floorDb.databaseUrl, SSO_SECRET }));
  const createUser = (seed: Seeded, withKey: boolean, onFloor = false): Operation => {
    const op = operations(seed).find((o) => o.name === 'createUser')!;
    return {
      ...op,
      ...(onFloor ? { path: op.floor! } : {}),
      ...(withKey ? { nextHeaders: () => ({ 'idempotency-key': randomUUID() }) } : {}),
    } as Operation;
  };
  const subjects: Subject[] = [
    { target: keyed, spec: createUser(keyedDb.seed, true) },
    { target: plain, spec: createUser(plainDb.seed, false) },
    ...(floors && floorDb ? [{ target: floors, spec: createUser(floorDb.seed, true, true) }, { target: floors, spec: createUser(floorDb.seed, false, true) }] : []),
  ];
  for (const { target, spec } of subjects) await check(target, spec as Operation);
  const [withKey, without, floorWithKey, floorWithout] = await sideBySide(subjects);
  await Promise.all([keyed.stop(), plain.stop(), floors?.stop()]);
  await Promise.all([keyedDb.drop(), plainDb.drop(), floorDb?.drop()]);
  const ratio = cpuPerRequestUs(withKey!) / cpuPerRequestUs(without!);
  const floorRatio = floorWithKey && floorWithout ? cpuPerRequestUs(floorWithKey) / cpuPerRequestUs(floorWithout) : null;
  const line = (name: string, a: LoadResult, b: LoadResult) =>
    `  ${name}: with a key ${fmt(a.requestsPerSecond)} req/s, ${fmt(cpuPerRequestUs(a))} µs CPU/req; ` +
    `without ${fmt(b.requestsPerSecond)} req/s, ${fmt(cpuPerRequestUs(b))} µs CPU/req`;
  console.log(line('createUser', withKey!, without!));
  if (floorWithKey && floorWithout) console.log(line('its floor', floorWithKey, floorWithout));
  console.log(`\ncreateUser CPU per request with a key / without: ${fmt(ratio, 2)} (target ≤ 1.10)`);
  if (floorRatio !== null) {
    console.log(`its floor's, the same: ${fmt(floorRatio, 2)}; the key's CPU on the server ÷ on the floor: ` +
      `${fmt((cpuPerRequestUs(withKey!) - cpuPerRequestUs(without!)) / (cpuPerRequestUs(floorWithKey!) - cpuPerRequestUs(floorWithout!)), 2)}`);
  }
  console.log('');
  writeReport({
    machine,
    database: args.database,
    mode: 'idempotency',
    settings: { connections, warmup, duration, rounds, users: Number(args.users) },
    withKey: { ...withKey!, cpuUsPerRequest: cpuPerRequestUs(withKey!) },
    without: { ...without!, cpuUsPerRequest: cpuPerRequestUs(without!) },
    cpuRatio: ratio,
    ...(floorWithKey && floorWithout
      ? {
          floorWithKey: { ...floorWithKey, cpuUsPerRequest: cpuPerRequestUs(floorWithKey) },
          floorWithout: { ...floorWithout, cpuUsPerRequest: cpuPerRequestUs(floorWithout) },
          floorCpuRatio: floorRatio,
        }
      : {}),
  });
}

/** 1000 fresh createUser inputs, as createUsers takes them. */
function bulkOperation(seed: Seeded): Operation {
  const run = randomUUID().slice(0, 6);
  let counter = 0;
  return {
    name: 'createUsers (1000 inputs)',
    path: '/graphql',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${seed.apiToken}` },
    nextBody: () => {
      const inputs = Array.from({ length: 1000 }, () => {
        const username = `m${run}${(counter++).toString(36)}`;
        return { email: `${username}@bench.example`, username, firstName: 'Bulk', lastName: 'User' };
      });
      return gql(
        'mutation ($inputs: [CreateUserInput!]!) { createUsers(inputs: $inputs) { __typename ... on CreateUserSuccess { user { id username } } } }',
        { inputs },
      );
    },
    baseline: 'yoga',
    succeeded: (b) => Array.isArray(b.data?.createUsers) && b.data.createUsers.every((r: any) => r.__typename === 'CreateUserSuccess'),
  };
}

/** How many times `--bulk` runs the import (the median counts). */
const IMPORT_RUNS = 3;

/** `--bulk`: users per second by createUsers, by single createUser calls, and by the CLI import. */
async function bulkMain(machine: string): Promise<void> {
  const rows = Number(args['import-rows']);
  console.log(`machine: ${machine}\ndatabase: ${args.database}\ncreateUsers (1000 inputs a call) beside createUser, then the CLI import of ${rows.toLocaleString('en')} CSV rows\n`);
  const bulkDb = await seeded(dir, 'bulk', Number(args.users));
  const singleDb = await seeded(dir, 'single', Number(args.users));
  const bulk = await startServer(bulkDb.databaseUrl);
  const single = await startServer(singleDb.databaseUrl);
  const [c] = await compareServers(
    { a: 'createUsers', b: 'createUser' },
    { target: bulk, seed: bulkDb.seed },
    { target: single, seed: singleDb.seed },
    ['createUser'],
    (seed, name, side) => (side === 'a' ? bulkOperation(seed) : operations(seed).find((o) => o.name === name)!),
  );
  await Promise.all([bulk.stop(), single.stop()]);
  await Promise.all([bulkDb.drop(), singleDb.drop()]);
  const bulkUsers = c!.a.requestsPerSecond * 1000;
  const singleUsers = c!.b.requestsPerSecond;

  // The import: the production build's CLI on a fresh database, timed end to end;
  // three times, the median counting (one run of a few seconds moves by a fifth here).
  const csv = join(dir, 'import.csv');
  const lines = ['email,username,firstName,lastName'];
  for (let i = 0; i < rows; i++) lines.push(`person.${i}@import.example,person-${i},First${i},Last${i}`);
  writeFileSync(csv, `${lines.join('\n')}\n`);
  const imports: Array<{ seconds: number; created: number }> = [];
  for (let run = 0; run < IMPORT_RUNS; run++) {
    const importDb = await seeded(dir, `import-${run}`, Number(args.users));
    const started = performance.now();
    const imported = spawnSync(
      process.execPath,
      [...productionNodeFlags, 'dist/src/cli/admin.js', 'user', 'import', importDb.seed.group, csv, '--json'],
      { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production', DATABASE_URL: importDb.databaseUrl, SSO_SECRET } },
    );
    const seconds = (performance.now() - started) / 1000;
    await importDb.drop();
    if (imported.status !== 0) throw new Error(`the import failed: ${imported.stderr}`);
    imports.push({ seconds, created: (JSON.parse(imported.stdout) as { created: number }).created });
  }
  const { seconds: importSeconds, created } = [...imports].sort((a, b) => a.seconds - b.seconds)[Math.floor(IMPORT_RUNS / 2)]!;
  const importRate = created / importSeconds;

  const table_ = [
    { way: 'createUser, one user a call', 'users/s': fmt(singleUsers), '× createUser': '1.00' },
    { way: 'createUsers, 1000 users a call', 'users/s': fmt(bulkUsers), '× createUser': fmt(bulkUsers / singleUsers, 1) },
    {
      way: `admin user import, ${rows.toLocaleString('en')} CSV rows (median of ${imports.map((i) => fmt(i.seconds, 1)).join(', ')} s, process start included)`,
      'users/s': fmt(importRate),
      '× createUser': fmt(importRate / singleUsers, 1),
    },
  ];
  console.log(`\n${table(table_)}\n`);
  writeReport({
    machine,
    database: args.database,
    mode: 'bulk',
    settings: { connections, warmup, duration, rounds, users: Number(args.users), importRows: rows },
    createUsers: { ...c!.a, usersPerSecond: bulkUsers },
    createUser: { ...c!.b, usersPerSecond: singleUsers },
    import: { rows, created, seconds: importSeconds, runs: imports.map((i) => i.seconds), usersPerSecond: importRate },
    ratios: { createUsers: bulkUsers / singleUsers, import: importRate / singleUsers },
  });
}

async function main() {
  if (!args['no-build']) {
    const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('build failed');
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  if (args.ab) return abMain(machine);
  if (args.before) return beforeMain(machine, args.before);
  if (args.idempotency) return idempotencyMain(machine);
  if (args.bulk) return bulkMain(machine);
  console.log(
    `machine: ${machine}\ndatabase: ${args.database}\n` +
      `load: ${connections} connections; per operation, beside its baseline: ${warmup} s warm-up each, then ${rounds} rounds of ${fmt(duration / rounds, 1)} s each\n`,
  );

  const primary = await seeded(dir, 'bench', Number(args.users));
  const seed = primary.seed;
  const baselines = {
    yoga: await startProcess('dist/bench/baselines/yoga-hello.js', {}),
    node: await startProcess('dist/bench/baselines/node-hello.js', {}),
  };
  const server = await startServer(primary.databaseUrl);
  // The floors (bench/baselines/floors.ts) read and write the SQLite file; on PostgreSQL there are none.
  const floors = onPostgres ? null : await startProcess('dist/bench/baselines/rest-floor.js', { DATABASE_URL: primary.databaseUrl, SSO_SECRET });

  const results: Measured[] = [];
  for (const op of operations(seed)) {
    await check(server, op);
    const subjects: Subject[] = [
      { target: baselines[op.baseline], spec: helloSpecs[op.baseline] },
      { target: server, spec: op },
    ];
    if (floors && op.floor) {
      const onFloor = { ...op, path: op.floor, nextPath: undefined, prepare: undefined };
      await check(floors, onFloor);
      subjects.push({ target: floors, spec: onFloor });
    }
    const [baseline, result, floorResult] = await sideBySide(subjects);
    results.push({ op, result: result!, baseline: baseline!, ...(floorResult ? { floor: floorResult } : {}) });
    const toFloor = floorResult ? `, ${fmt(cpuPerRequestUs(result!) / cpuPerRequestUs(floorResult), 2)} × its floor's CPU` : '';
    console.log(
      `  ${op.name}: ${fmt(result!.requestsPerSecond)} req/s, ${fmt(result!.requestsPerSecond / baseline!.requestsPerSecond, 2)} × ${op.baseline}, ` +
        `${fmt(cpuPerRequestUs(result!))} µs CPU/req${toFloor}`,
    );
  }
  await floors?.stop();

  /** Each baseline over all the rounds it was loaded in. */
  const base = Object.fromEntries(
    (['yoga', 'node'] as const).map((name) => [name, combine(results.filter((m) => m.op.baseline === name).map((m) => m.baseline))]),
  ) as Record<Operation['baseline'], LoadResult>;
  const yogaP99 = (m: Measured) => (m.op.baseline === 'yoga' ? m.baseline.p99Ms : base.yoga.p99Ms);
  // Every operation's CPU per request beside createUser's (the SCIM operations are measured against it).
  const createUserCpu = cpuPerRequestUs(results.find((m) => m.op.name === 'createUser')!.result);
  const row = (operation: string, result: LoadResult, ratio: string, p99Ratio: string, toFloor = '') => ({
    operation,
    'req/s': fmt(result.requestsPerSecond),
    'x baseline': ratio,
    'p50 ms': fmt(result.p50Ms, 1),
    'p99 ms': fmt(result.p99Ms, 1),
    'p99 x yoga p99': p99Ratio,
    'CPU µs/req': fmt(cpuPerRequestUs(result)),
    'CPU x floor': toFloor,
    'CPU x createUser': fmt(cpuPerRequestUs(result) / createUserCpu, 2),
    'peak RSS MB': String(result.peakRssMb),
    errors: String(result.errors + result.non2xx),
  });
  const cpuToFloor = (m: Measured) => (m.floor ? cpuPerRequestUs(m.result) / cpuPerRequestUs(m.floor) : null);
  const rows = [
    row('baseline: graphql-yoga hello', base.yoga, '1.00', '1.00'),
    row('baseline: node:http hello', base.node, '1.00', fmt(base.node.p99Ms / Math.max(base.yoga.p99Ms, 0.001), 2)),
    ...results.flatMap((m) => [
      row(
        m.op.name,
        m.result,
        `${fmt(m.result.requestsPerSecond / m.baseline.requestsPerSecond, 2)} (${m.op.baseline})`,
        fmt(m.result.p99Ms / Math.max(yogaP99(m), 0.001), 2),
        m.floor ? fmt(cpuToFloor(m)!, 2) : '',
      ),
      ...(m.floor
        ? [
            row(
              `  floor: ${m.op.floor} by hand`,
              m.floor,
              `${fmt(m.floor.requestsPerSecond / m.baseline.requestsPerSecond, 2)} (${m.op.baseline})`,
              fmt(m.floor.p99Ms / Math.max(yogaP99(m), 0.001), 2),
              '1.00',
            ),
          ]
        : []),
    ]),
  ];
  console.log(`\n${table(rows)}\n`);
  const targets = floorTargets(results.map((m) => ({ name: m.op.name, floorRatio: cpuToFloor(m), yogaRatio: m.op.baseline === 'yoga' ? cpuPerRequestUs(m.baseline) / cpuPerRequestUs(m.result) : null })));
  console.log(`targets (CPU time per request, side by side in this run):\n${table(targets)}\n`);

  const report: Record<string, unknown> = {
    machine,
    database: args.database,
    settings: { connections, warmup, duration, rounds, users: seed.users },
    baselines: base,
    operations: results.map((m) => ({
      name: m.op.name,
      baseline: m.op.baseline,
      ...m.result,
      baselineResult: m.baseline,
      ratio: m.result.requestsPerSecond / m.baseline.requestsPerSecond,
      p99Ratio: m.result.p99Ms / yogaP99(m),
      cpuUsPerRequest: cpuPerRequestUs(m.result),
      cpuRatioToCreateUser: cpuPerRequestUs(m.result) / createUserCpu,
      ...(m.floor ? { floor: m.floor, ratioToFloor: m.result.requestsPerSecond / m.floor.requestsPerSecond, cpuRatioToFloor: cpuToFloor(m) } : {}),
    })),
    targets,
  };

  /** Two servers side by side, operation by operation (each seed's own bodies). */
  async function sideBySideServers(a: { target: Target; seed: Seeded }, b: { target: Target; seed: Seeded }, names: string[]) {
    const compared = [];
    for (const name of names) {
      const specs = [a, b].map(({ seed: s }) => operations(s).find((o) => o.name === name)!);
      await check(a.target, specs[0]!);
      await check(b.target, specs[1]!);
      const [first, second] = await sideBySide([
        { target: a.target, spec: specs[0]! },
        { target: b.target, spec: specs[1]! },
      ]);
      compared.push({ name, base: first!, other: second! });
    }
    return compared;
  }

  if (!args['no-scale']) {
    const scaleUsers = Number(args['scale-users']);
    const started = performance.now();
    const scale = await seeded(dir, 'scale', scaleUsers);
    const seedSeconds = (performance.now() - started) / 1000;
    // Against a fresh database of --users users, not the one the operations above have grown.
    const small = await seeded(dir, 'small', Number(args.users));
    const smallServer = await startServer(small.databaseUrl);
    const bigServer = await startServer(scale.databaseUrl);
    const scaled = await sideBySideServers({ target: smallServer, seed: small.seed }, { target: bigServer, seed: scale.seed }, [
      'createSSOToken',
      'createUser',
    ]);
    await Promise.all([smallServer.stop(), bigServer.stop()]);
    await Promise.all([small.drop(), scale.drop()]);
    console.log(`\nscale: ${scaleUsers.toLocaleString('en')} users seeded in ${fmt(seedSeconds, 1)} s; each operation on both databases, side by side`);
    console.log(
      table(
        scaled.map((s) => ({
          operation: s.name,
          [`req/s at ${seed.users.toLocaleString('en')}`]: fmt(s.base.requestsPerSecond),
          [`req/s at ${scaleUsers.toLocaleString('en')}`]: fmt(s.other.requestsPerSecond),
          ratio: fmt(s.other.requestsPerSecond / s.base.requestsPerSecond, 2),
        })),
      ),
    );
    report.scale = {
      users: scaleUsers,
      seedSeconds,
      operations: scaled.map((s) => ({ name: s.name, at: { [seed.users]: s.base, [scaleUsers]: s.other }, ratio: s.other.requestsPerSecond / s.base.requestsPerSecond })),
    };
  }

  if (!args['no-workers']) {
    const cluster = await seeded(dir, 'workers', Number(args.users));
    const two = await startServer(cluster.databaseUrl, 2);
    const scaling = await sideBySideServers({ target: server, seed }, { target: two, seed: cluster.seed }, [
      'group (API token)',
      'createSSOToken',
      'createUser',
    ]);
    await two.stop();
    await cluster.drop();
    console.log('\nworkers: 1 → 2, side by side (the load generator shares the same 2 cores)');
    console.log(
      table(
        scaling.map((s) => ({
          operation: s.name,
          '1 worker req/s': fmt(s.base.requestsPerSecond),
          '2 workers req/s': fmt(s.other.requestsPerSecond),
          scaling: fmt(s.other.requestsPerSecond / s.base.requestsPerSecond, 2),
          'CPU µs/req (1)': fmt(cpuPerRequestUs(s.base)),
          'CPU µs/req (2)': fmt(cpuPerRequestUs(s.other)),
          'peak RSS MB (2)': String(s.other.peakRssMb),
        })),
      ),
    );
    report.workers = scaling.map((s) => ({ name: s.name, oneWorker: s.base, twoWorkers: s.other, scaling: s.other.requestsPerSecond / s.base.requestsPerSecond }));
  }

  await server.stop();
  await primary.drop();
  await baselines.yoga.stop();
  await baselines.node.stop();
  const out = resolve(root, outFile);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nresults written to ${outFile}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
