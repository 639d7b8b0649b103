/**
 * `npm run bench:webhooks`: webhook delivery under load. One server (SQLite file, or
 * a fresh PostgreSQL schema with --database postgres) answers createUser at full
 * load, in rounds of first no webhook endpoint and then one endpoint posting to a
 * receiver on loopback (a process of its own); it reports createUser throughput both ways,
 * delivery throughput (events per second) and the lag from an event's commit to its
 * arrival (p50, p99), and checks that every event arrived. Beside req/s, the server's
 * CPU time per createUser (its delivery thread included) both ways, and the receiver's
 * per createUser: on two cores, what the deliveries cost is taken from createUser. Also
 * the floor of one delivery (deliveryFloor) and the best server-CPU ratio it allows, and
 * what one delivery costs the server with nothing else running (deliveryAloneCpuUs).
 *
 *   npm run bench:webhooks [-- --duration 5 --rounds 3 --connections 10 --database sqlite|postgres]
 *
 * Kept apart from bench/run.ts: it needs a development-mode server (http: endpoints
 * on loopback, the demo group). It builds the server first and runs the build
 * (`dist/`, no TypeScript loader in the server or its delivery thread) with NODE_ENV
 * unset, so the code measured is the production code. BENCH_SERVER_FLAGS adds node
 * flags to the server (e.g. `--cpu-prof`); --no-build keeps the build there is.
 */
import { type ChildProcess, fork, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http, { request as httpRequest } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { cpuPerRequestUs, cpuTimeMs, load } from './load.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
    database: { type: 'string', default: 'sqlite' },
    'no-build': { type: 'boolean', default: false },
    'alone-events': { type: 'string', default: '5000' },
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
  const server = spawn(process.execPath, [...(process.env.BENCH_SERVER_FLAGS?.split(' ') ?? []), 'dist/src/server.js'], {
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

/**
 * The floor of one delivery: a POST of a delivery's size and headers, one at a time
 * over a kept-alive connection, from this process's bare node:http client to the
 * receiver. Its CPU time per POST on each side is the least any delivery of one event
 * can cost on this machine (the event read, the signing and the bookkeeping left out).
 */
async function deliveryFloor(port: number): Promise<{ sender: number; receiver: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const body = JSON.stringify({
    type: 'user.created',
    timestamp: new Date().toISOString(),
    data: { username: 'wfloor', email: 'wfloor@bench.example', firstName: null, lastName: null, role: 'member', target: { type: 'user', id: '01938a6e-1c2b-7d3e-8f4a-5b6c7d8e9f00', name: 'wfloor' } },
  });
  let n = 0;
  const post = () =>
    new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: FLOOR_PATH,
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'team-api-webhooks/1',
            'webhook-id': `floor-${n++}`,
            'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
            'webhook-signature': `v1,${'A'.repeat(43)}=`,
            'content-length': String(Buffer.byteLength(body)),
          },
        },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  for (let i = 0; i < 2000; i++) await post();
  const count = 10_000;
  const mine = process.cpuUsage();
  const theirs = cpuTimeMs([receiver.pid!]);
  for (let i = 0; i < count; i++) await post();
  const used = process.cpuUsage(mine);
  agent.destroy();
  return {
    sender: Math.round((used.user + used.system) / count),
    receiver: Math.round(((cpuTimeMs([receiver.pid!]) - theirs) * 1000) / count),
  };
}

const FLOOR_PATH = '/floor';
/** Where the deliveries measured alone go (see main), and how many. */
const ALONE_PATH = '/alone';
const ALONE_EVENTS = Number(args['alone-events']);

async function main(): Promise<void> {
  if (!args['no-build'] && spawnSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' }).status !== 0) {
    throw new Error('the build failed');
  }
  const { port: receiverPort } = await new Promise<{ port: number }>((resolve) =>
    receiver.once('message', (m) => resolve(m as { port: number })),
  );
  // Measured first, while this process has done nothing else (the load generator's leftovers cost it CPU after).
  const floor = await deliveryFloor(receiverPort);
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
      const receiverCpuBefore = cpuTimeMs([receiver.pid!]);
      const withEndpoint = await createUserLoad(`b${round}`);
      const receiverCpuMs = cpuTimeMs([receiver.pid!]) - receiverCpuBefore;
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
        // The server's CPU (its delivery thread included) per createUser answered, and the receiver's.
        serverCpuUsPerCreateUser: { withoutEndpoint: Math.round(cpuPerRequestUs(without)), withEndpoint: Math.round(cpuPerRequestUs(withEndpoint)) },
        receiverCpuUsPerCreateUser: Math.round(cpuPerRequestUs({ cpuMs: receiverCpuMs, requests: withEndpoint.requests })),
        deliveriesPerSecondDuringLoad: Math.round(duringLoad / ((loadEnd - loadStart) / 1000)),
      });
    }
    const received = await ask<{ lags: number[]; arrived: number; duplicates: number }>({ ask: 'lags', exclude: [WARM_UP_PATH, FLOOR_PATH, ALONE_PATH] });

    // A delivery alone: the server's CPU for 5,000 users (--alone-events) made by createUsers, without an
    // endpoint and then with one (waiting until every event has arrived); the difference
    // per event is what a delivery costs the server with nothing else running.
    const createUsersCpu = async (phase: string, path: string | null) => {
      const before = cpuTimeMs([server.pid]);
      for (let call = 0; call < Math.ceil(ALONE_EVENTS / 1000); call++) {
        const inputs = Array.from({ length: Math.min(1000, ALONE_EVENTS - call * 1000) }, (_, i) => ({ email: `${phase}${call}x${i}@bench.example`, username: `${phase}${call}x${i}` }));
        const made = await gql('mutation ($inputs: [CreateUserInput!]!) { createUsers(inputs: $inputs) { __typename } }', { inputs });
        if (!made.data) throw new Error(JSON.stringify(made).slice(0, 500));
      }
      if (path !== null && !(await arrived(path, ALONE_EVENTS))) throw new Error('the deliveries did not all arrive within 60 s');
      return cpuTimeMs([server.pid]) - before;
    };
    const withoutAlone = await createUsersCpu('alonea', null);
    const alone = await gql(
      'mutation ($url: String!) { createWebhookEndpoint(url: $url, types: ["user.created"]) { ... on CreateWebhookEndpointSuccess { endpoint { id } } } }',
      { url: `http://127.0.0.1:${receiverPort}${ALONE_PATH}` },
    );
    const withAlone = await createUsersCpu('aloneb', ALONE_PATH);
    await gql('mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) { __typename } }', { id: alone.data.createWebhookEndpoint.endpoint.id });
    const deliveryAloneCpuUs = Math.round(((withAlone - withoutAlone) * 1000) / ALONE_EVENTS);
    const lags = received.lags.sort((a, b) => a - b);
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;
    const report = {
      database: args.database,
      durationSeconds: duration,
      rounds,
      connections,
      createUserRatioMedian: median(results.map((r) => r.ratio)),
      serverCpuRatioMedian: median(results.map((r) => Number((r.serverCpuUsPerCreateUser.withoutEndpoint / r.serverCpuUsPerCreateUser.withEndpoint).toFixed(3)))),
      // One delivery's floor (a bare node:http POST of the same size to the same receiver),
      // and the best server-CPU ratio it leaves: createUser's CPU over it plus the floor's sender.
      deliveryFloorCpuUs: floor,
      deliveryAloneCpuUs,
      bestServerCpuRatio: median(
        results.map((r) => Number((r.serverCpuUsPerCreateUser.withoutEndpoint / (r.serverCpuUsPerCreateUser.withoutEndpoint + floor.sender)).toFixed(3))),
      ),
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
