/**
 * `npm run bench`: the server in production mode beside two baselines (graphql-yoga's
 * hello world and a node:http hello world), loaded one operation at a time with
 * autocannon over loopback, all in one run so the ratios compare like with like.
 *
 *   npm run bench [-- --duration 10 --connections 10 --users 1000 --scale-users 1000000 --no-scale --no-workers]
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { load, type LoadResult } from './load.ts';
import { type Seeded, seedDatabase, seedPostgres } from './seed.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const SSO_SECRET = 'bench-secret-bench-secret-bench-secret!';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
    users: { type: 'string', default: '1000' },
    'scale-users': { type: 'string', default: '1000000' },
    'no-scale': { type: 'boolean', default: false },
    'no-workers': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    out: { type: 'string' },
    database: { type: 'string', default: 'sqlite' },
    'postgres-url': { type: 'string', default: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const onPostgres = args.database === 'postgres';
if (!onPostgres && args.database !== 'sqlite') throw new Error('--database is sqlite or postgres');
const outFile = args.out ?? `bench/results/${args.database}.json`;
const duration = Number(args.duration);
const warmup = Number(args.warmup);
const connections = Number(args.connections);

/** Every process started, so a failed run leaves none behind. */
const started = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

interface Target {
  port: number;
  pids: number[];
  stop(): Promise<void>;
}

async function startProcess(script: string, env: Record<string, string>): Promise<Target> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [script], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  started.add(child);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      output += d;
      if (/listening/.test(output)) resolve();
    });
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

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Worker processes of a cluster primary, so their memory counts too. */
function childPids(pid: number): number[] {
  const out = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout;
  return out.split('\n').filter(Boolean).map(Number);
}

function startServer(databaseUrl: string, workers = 1): Promise<Target> {
  return startProcess('dist/src/server.js', {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    SSO_SECRET,
    WORKERS: String(workers),
    PUBLIC_URL: 'http://localhost:4000',
    // The benchmark measures throughput, not the abuse limits (0 = no limit).
    RATE_LIMIT_LOGIN: '0',
    RATE_LIMIT_FAILED_API_TOKEN: '0',
    RATE_LIMIT_WRITES: '0',
  });
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
  path: string;
  headers: Record<string, string>;
  body?: string;
  nextBody?: () => string;
  baseline: 'yoga' | 'node';
  /** Whether one answer is the success the operation is for. */
  succeeded: (body: any) => boolean;
}

const gql = (query: string, variables?: Record<string, unknown>) => JSON.stringify({ query, variables });

function operations(seed: Seeded): Operation[] {
  const json = { 'content-type': 'application/json' };
  const auth = { ...json, authorization: `Bearer ${seed.apiToken}` };
  const onGroup = { ...json, host: `${seed.group}.localhost:4000` };
  let counter = 0;
  const run = randomUUID().slice(0, 6);
  return [
    {
      name: 'viewer (cookie)',
      path: '/graphql',
      headers: { ...onGroup, cookie: seed.sessionCookie },
      body: gql('{ viewer { expiresAt user { username } group { slug } } }'),
      baseline: 'yoga',
      succeeded: (b) => b.data?.viewer?.user?.username === seed.username,
    },
    {
      name: 'group (API token)',
      path: '/graphql',
      headers: auth,
      body: gql('{ group { slug isApiEnabled allowedDomains } }'),
      baseline: 'yoga',
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
      succeeded: (b) => b.data?.createUser?.__typename === 'CreateUserSuccess',
    },
    {
      name: 'REST POST /-/api/ssotoken/create',
      path: '/-/api/ssotoken/create',
      headers: auth,
      body: JSON.stringify({ username: seed.username }),
      baseline: 'node',
      succeeded: (b) => typeof b.data?.token === 'string',
    },
  ];
}

/** One request first, through node:http (fetch would drop the Host header), to prove the operation succeeds. */
async function check(target: Target, op: Operation): Promise<void> {
  const body = op.body ?? op.nextBody!();
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: target.port, path: op.path, method: 'POST', headers: { ...op.headers, connection: 'close' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  if (!op.succeeded(JSON.parse(answer.text))) throw new Error(`${op.name} does not succeed: ${answer.status} ${answer.text}`);
}

async function measure(target: Target, spec: { path: string; headers: Record<string, string>; body?: string; nextBody?: () => string }) {
  const common = {
    url: `http://127.0.0.1:${target.port}${spec.path}`,
    headers: spec.headers,
    body: spec.body,
    nextBody: spec.nextBody,
    connections,
    pids: target.pids,
  };
  await load({ ...common, durationSeconds: warmup });
  return load({ ...common, durationSeconds: duration });
}

const helloBody = gql('{ hello }');

async function baselines(yoga: Target, node: Target) {
  return {
    yoga: await measure(yoga, { path: '/graphql', headers: { 'content-type': 'application/json' }, body: helloBody }),
    node: await measure(node, { path: '/', headers: { 'content-type': 'application/json' }, body: '{"username":"user0"}' }),
  };
}

function mean(a: LoadResult, b: LoadResult): LoadResult {
  const avg = (x: number, y: number) => (x + y) / 2;
  return {
    requestsPerSecond: avg(a.requestsPerSecond, b.requestsPerSecond),
    p50Ms: avg(a.p50Ms, b.p50Ms),
    p99Ms: avg(a.p99Ms, b.p99Ms),
    peakRssMb: Math.max(a.peakRssMb, b.peakRssMb),
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
    non2xx: a.non2xx + b.non2xx,
  };
}

const fmt = (n: number, digits = 0) => n.toFixed(digits);

function table(rows: Array<Record<string, string>>): string {
  const keys = Object.keys(rows[0]!);
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => r[k]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(keys), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(keys.map((k) => r[k]!)))].join('\n');
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

async function main() {
  if (!args['no-build']) {
    const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('build failed');
  }
  const dir = mkdtempSync(join(tmpdir(), 'team-api-bench-'));
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  console.log(`machine: ${machine}\ndatabase: ${args.database}\nload: ${connections} connections, ${warmup} s warm-up, ${duration} s per operation\n`);

  const primary = await seeded(dir, 'bench', Number(args.users));
  const seed = primary.seed;
  const yoga = await startProcess('dist/bench/baselines/yoga-hello.js', {});
  const node = await startProcess('dist/bench/baselines/node-hello.js', {});
  const server = await startServer(primary.databaseUrl);

  const before = await baselines(yoga, node);
  const results: Array<{ op: Operation; result: LoadResult }> = [];
  for (const op of operations(seed)) {
    await check(server, op);
    const result = await measure(server, op);
    results.push({ op, result });
    console.log(`  ${op.name}: ${fmt(result.requestsPerSecond)} req/s`);
  }
  const after = await baselines(yoga, node);
  const base = { yoga: mean(before.yoga, after.yoga), node: mean(before.node, after.node) };
  await server.stop();
  await primary.drop();

  const rows = [
    ...(['yoga', 'node'] as const).map((name) => ({
      operation: name === 'yoga' ? 'baseline: graphql-yoga hello' : 'baseline: node:http hello',
      'req/s': fmt(base[name].requestsPerSecond),
      'x baseline': '1.00',
      'p50 ms': fmt(base[name].p50Ms, 1),
      'p99 ms': fmt(base[name].p99Ms, 1),
      'p99 x baseline': '1.00',
      'peak RSS MB': String(base[name].peakRssMb),
      errors: String(base[name].errors + base[name].non2xx),
    })),
    ...results.map(({ op, result }) => ({
      operation: op.name,
      'req/s': fmt(result.requestsPerSecond),
      'x baseline': `${fmt(result.requestsPerSecond / base[op.baseline].requestsPerSecond, 2)} (${op.baseline})`,
      'p50 ms': fmt(result.p50Ms, 1),
      'p99 ms': fmt(result.p99Ms, 1),
      'p99 x baseline': fmt(result.p99Ms / Math.max(base.yoga.p99Ms, 0.001), 2),
      'peak RSS MB': String(result.peakRssMb),
      errors: String(result.errors + result.non2xx),
    })),
  ];
  console.log(`\n${table(rows)}\n`);
  console.log(`baseline drift: yoga ${fmt(before.yoga.requestsPerSecond)} → ${fmt(after.yoga.requestsPerSecond)} req/s, node ${fmt(before.node.requestsPerSecond)} → ${fmt(after.node.requestsPerSecond)} req/s`);

  const report: Record<string, unknown> = {
    machine,
    database: args.database,
    settings: { connections, warmup, duration, users: seed.users },
    baselines: { before, after, mean: base },
    operations: results.map(({ op, result }) => ({
      name: op.name,
      baseline: op.baseline,
      ...result,
      ratio: result.requestsPerSecond / base[op.baseline].requestsPerSecond,
      p99Ratio: result.p99Ms / base.yoga.p99Ms,
    })),
  };

  const byName = (name: string) => results.find((r) => r.op.name === name)!.result;
  if (!args['no-scale']) {
    const scaleUsers = Number(args['scale-users']);
    const started = performance.now();
    const scale = await seeded(dir, 'scale', scaleUsers);
    const big = scale.seed;
    const seedSeconds = (performance.now() - started) / 1000;
    const bigServer = await startServer(scale.databaseUrl);
    const scaled = [];
    for (const op of operations(big).filter((o) => o.name === 'createUser' || o.name === 'createSSOToken')) {
      await check(bigServer, op);
      const result = await measure(bigServer, op);
      const ratio = result.requestsPerSecond / byName(op.name).requestsPerSecond;
      scaled.push({ name: op.name, requestsPerSecond: result.requestsPerSecond, p99Ms: result.p99Ms, ratio });
    }
    await bigServer.stop();
    await scale.drop();
    console.log(`\nscale: ${scaleUsers.toLocaleString('en')} users seeded in ${fmt(seedSeconds, 1)} s`);
    console.log(
      table(
        scaled.map((s) => ({
          operation: s.name,
          [`req/s at ${seed.users.toLocaleString('en')}`]: fmt(byName(s.name).requestsPerSecond),
          [`req/s at ${scaleUsers.toLocaleString('en')}`]: fmt(s.requestsPerSecond),
          ratio: fmt(s.ratio, 2),
        })),
      ),
    );
    report.scale = { users: scaleUsers, seedSeconds, operations: scaled };
  }

  if (!args['no-workers']) {
    const cluster = await seeded(dir, 'workers', Number(args.users));
    const clusterSeed = cluster.seed;
    const two = await startServer(cluster.databaseUrl, 2);
    const scaling = [];
    for (const op of operations(clusterSeed).filter((o) => ['group (API token)', 'createSSOToken', 'createUser'].includes(o.name))) {
      await check(two, op);
      const result = await measure(two, op);
      scaling.push({ name: op.name, oneWorker: byName(op.name).requestsPerSecond, twoWorkers: result.requestsPerSecond, peakRssMb: result.peakRssMb });
    }
    await two.stop();
    await cluster.drop();
    console.log('\nworkers: 1 → 2 (the load generator shares the same 2 cores)');
    console.log(
      table(
        scaling.map((s) => ({
          operation: s.name,
          '1 worker req/s': fmt(s.oneWorker),
          '2 workers req/s': fmt(s.twoWorkers),
          scaling: fmt(s.twoWorkers / s.oneWorker, 2),
          'peak RSS MB (2)': String(s.peakRssMb),
        })),
      ),
    );
    report.workers = scaling;
  }

  await yoga.stop();
  await node.stop();
  const out = join(root, outFile);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nresults written to ${outFile}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
