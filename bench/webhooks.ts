/**
 * `npm run bench:webhooks`: webhook delivery under load. One server (SQLite file, or
 * a fresh PostgreSQL schema with --database postgres) answers createUser at full
 * load, in rounds of first no webhook endpoint and then one endpoint posting to a
 * receiver on loopback (a process of its own); it reports createUser throughput both ways,
 * delivery throughput (events per second) and the lag from an event's commit to its
 * arrival (p50, p99), and checks that every event arrived.
 *
 *   npm run bench:webhooks [-- --duration 5 --rounds 3 --connections 10 --database sqlite|postgres]
 *
 * Kept apart from bench/run.ts: it needs a development-mode server (http: endpoints
 * on loopback, the demo group), where run.ts measures the production build.
 * BENCH_SERVER_FLAGS adds node flags to the server (e.g. `--cpu-prof`).
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { load } from './load.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
    database: { type: 'string', default: 'sqlite' },
    'postgres-url': { type: 'string', default: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const duration = Number(args.duration);
const rounds = Number(args.rounds);
const connections = Number(args.connections);
const onPostgres = args.database === 'postgres';

const dir = mkdtempSync(join(tmpdir(), 'team-api-bench-webhooks-'));
let child: ChildProcess | null = null;
process.on('exit', () => {
  child?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
process.once('SIGINT', () => process.exit(130));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function databaseUrl(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!onPostgres) return { url: `file:${join(dir, 'bench.db')}`, drop: async () => {} };
  const schema = `bench_webhooks_${process.pid}`;
  const admin = new pg.Client({ connectionString: args['postgres-url'] });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  await admin.end();
  const url = new URL(args['postgres-url']!);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: args['postgres-url'] });
      await c.connect();
      await c.query(`DROP SCHEMA "${schema}" CASCADE`);
      await c.end();
    },
  };
}

async function startServer(url: string): Promise<{ port: number; token: string; pid: number }> {
  const port = await freePort();
  const server = spawn(process.execPath, [...(process.env.BENCH_SERVER_FLAGS?.split(' ') ?? []), '--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: '',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: url,
      RATE_LIMIT_WRITES: '0',
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child = server;
  let output = '';
  await new Promise<void>((resolve, reject) => {
    server.stdout!.on('data', (d) => {
      output += d;
      if (/tapi_\S+/.test(output)) resolve();
    });
    server.once('exit', (code) => reject(new Error(`server exited (${code}): ${output}`)));
  });
  return { port, token: /(tapi_\S+)/.exec(output)![1]!, pid: server.pid! };
}

function post(port: number, token: string, query: string, variables: object): Promise<any> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ query, variables });
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        headers: { 'content-type': 'application/json', host: 'demo.localhost', authorization: `Bearer ${token}` },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve(JSON.parse(text)));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Where the warm-up delivery goes: not among the figures. */
const WARM_UP_PATH = '/warm-up';

/** The receiver, in a process of its own (bench/webhook-receiver.ts). */
const receiver = fork(join(root, 'bench/webhook-receiver.ts'), { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
process.on('exit', () => receiver.kill('SIGKILL'));

function ask<T>(message: object): Promise<T> {
  return new Promise((resolve) => {
    receiver.once('message', (answer) => resolve(answer as T));
    receiver.send(message);
  });
}

/** Whether `count` deliveries have arrived at `path` within 60 s. */
async function arrived(path: string, count: number): Promise<boolean> {
  const giveUpAt = Date.now() + 60_000;
  const total = async () => (await ask<{ total: number }>({ ask: 'count', path, from: 0, to: 0 })).total;
  while ((await total()) < count) {
    if (Date.now() > giveUpAt) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const { port: receiverPort } = await new Promise<{ port: number }>((resolve) =>
    receiver.once('message', (m) => resolve(m as { port: number })),
  );
  const database = await databaseUrl();
  try {
    const server = await startServer(database.url);
    let counter = 0;
    const createUserLoad = (phase: string) =>
      load({
        url: `http://127.0.0.1:${server.port}/graphql`,
        headers: { 'content-type': 'application/json', host: 'demo.localhost', authorization: `Bearer ${server.token}` },
        nextBody: () => {
          const username = `w${phase}${(counter++).toString(36)}`;
          return JSON.stringify({
            query: 'mutation ($input: CreateUserInput!) { createUser(input: $input) { __typename } }',
            variables: { input: { email: `${username}@bench.example`, username } },
          });
        },
        connections,
        durationSeconds: duration,
        pids: [server.pid],
      });
    const gql = (query: string, variables: object) => post(server.port, server.token, query, variables);

    await load({ url: `http://127.0.0.1:${server.port}/health`, method: 'GET', connections, durationSeconds: 1, pids: [server.pid] });
    // A server starts its delivery thread with its first endpoint: one delivery first, so
    // that the rounds measure deliveries, not the thread's start.
    const warmUp = await gql(
      'mutation ($url: String!) { createWebhookEndpoint(url: $url) { ... on CreateWebhookEndpointSuccess { endpoint { id } } } }',
      { url: `http://127.0.0.1:${receiverPort}${WARM_UP_PATH}` },
    );
    if (!(await arrived(WARM_UP_PATH, 1))) throw new Error('the warm-up delivery did not arrive within 60 s');
    await gql('mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) { __typename } }', { id: warmUp.data.createWebhookEndpoint.endpoint.id });
    // Rounds of A (no endpoint) then B (one endpoint), so that a change in the shared
    // machine's load between the two halves skews one round, not the result.
    const results = [];
    let expectedTotal = 0;
    let drained = true;
    for (let round = 0; round < rounds; round++) {
      const without = await createUserLoad(`a${round}`);
      const created = await gql(
        'mutation ($url: String!) { createWebhookEndpoint(url: $url, types: ["user.created"]) { __typename ... on CreateWebhookEndpointSuccess { endpoint { id } } } }',
        { url: `http://127.0.0.1:${receiverPort}/bench${round}` },
      );
      if (created.data?.createWebhookEndpoint?.__typename !== 'CreateWebhookEndpointSuccess') throw new Error(JSON.stringify(created));
      const path = `/bench${round}`;
      const loadStart = Date.now();
      const withEndpoint = await createUserLoad(`b${round}`);
      const loadEnd = Date.now();
      // Requests cut off when the load stops may have committed too: they arrive as well.
      const expected = withEndpoint.requests - withEndpoint.errors - withEndpoint.non2xx;
      expectedTotal += expected;
      const count = () => ask<{ total: number; between: number }>({ ask: 'count', path, from: loadStart, to: loadEnd });
      const duringLoad = (await count()).between;
      drained &&= await arrived(path, expected);
      // The next round's A half runs with no endpoint.
      await gql('mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) { __typename } }', { id: created.data.createWebhookEndpoint.endpoint.id });
      results.push({
        createUserPerSecond: { withoutEndpoint: Math.round(without.requestsPerSecond), withEndpoint: Math.round(withEndpoint.requestsPerSecond) },
        ratio: Number((withEndpoint.requestsPerSecond / without.requestsPerSecond).toFixed(3)),
        deliveriesPerSecondDuringLoad: Math.round(duringLoad / ((loadEnd - loadStart) / 1000)),
      });
    }
    const received = await ask<{ lags: number[]; arrived: number; duplicates: number }>({ ask: 'lags', exclude: WARM_UP_PATH });
    const lags = received.lags.sort((a, b) => a - b);
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;
    const report = {
      database: args.database,
      durationSeconds: duration,
      rounds,
      connections,
      createUserRatioMedian: median(results.map((r) => r.ratio)),
      deliveriesPerSecondDuringLoadMedian: median(results.map((r) => r.deliveriesPerSecondDuringLoad)),
      lagMs: { p50: percentile(lags, 50), p99: percentile(lags, 99), max: lags.at(-1) },
      deliveries: { due: expectedTotal, arrived: received.arrived, duplicates: received.duplicates },
      results,
    };
    console.log(JSON.stringify(report, null, 2));
    if (!drained) process.exitCode = 1;
  } finally {
    child?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    await database.drop();
    receiver.disconnect();
  }
}

await main();
