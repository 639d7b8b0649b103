/**
 * `npm run bench:scim`: what SCIM provisioning costs (API.md §18), on the production
 * build over loopback, SQLite:
 *
 * 1. CPU per request (and req/s) of `GET /Users?filter=userName eq "…"` (Okta's check
 *    before every create) and of a `PATCH` deactivation, side by side with GraphQL
 *    `createUser` in alternating rounds, on a group of 1,000 members;
 * 2. the filter lookup at 1,000 members and at 1,000,000 (two servers, the same
 *    requests in alternating rounds: an index lookup costs the same at both), and, for
 *    contrast, a filter no index serves (`name.givenName eq`), which tests every member;
 *    then its latency one request at a time (2,000 on each server, interleaved, over a
 *    kept-alive connection, timed to the microsecond: autocannon's latencies are whole
 *    milliseconds), median and p99 at both sizes and their ratio;
 * 3. one PATCH adding 1,000 members to a directory group (median of 5, fresh groups).
 *
 *   npm run bench:scim [-- --duration 10 --rounds 4 --connections 10 --scale-users 1000000 --no-build]
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { combine, cpuPerRequestUs, fmt, freePort, load, type LoadResult, type LoadSpec, table } from './load.ts';
import { seedDatabase, type Seeded } from './seed.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '10' },
    'scale-users': { type: 'string', default: '1000000' },
    'no-build': { type: 'boolean', default: false },
  },
});
const duration = Number(args.duration);
const rounds = Number(args.rounds);
const warmup = Number(args.warmup);
const connections = Number(args.connections);
const SMALL = 1000;
const LARGE = Number(args['scale-users']);
const SCIM = 'application/scim+json';

const started = new Set<ChildProcess>();
const dir = mkdtempSync(join(tmpdir(), 'team-api-bench-scim-'));
process.on('exit', () => {
  for (const child of started) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
process.once('SIGINT', () => process.exit(130));

interface Server {
  port: number;
  pid: number;
  seed: Seeded;
  path: string;
}

/** A seeded SQLite file and the production build serving it (no rate limits: throughput is measured). */
async function serve(name: string, users: number): Promise<Server> {
  const path = join(dir, `${name}.db`);
  const seed = seedDatabase(`file:${path}`, users);
  const port = await freePort();
  const child = spawn(process.execPath, ['--max-old-space-size=128', 'dist/src/server.js'], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: `file:${path}`,
      SSO_SECRET: 'bench-secret-bench-secret-bench-secret!',
      PUBLIC_URL: 'http://localhost:4000',
      PORT: String(port),
      HOST: '127.0.0.1',
      RATE_LIMIT_LOGIN: '0',
      RATE_LIMIT_FAILED_API_TOKEN: '0',
      RATE_LIMIT_WRITES: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  started.add(child);
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const onData = (d: Buffer) => {
      output += d;
      if (!/listening/.test(output)) return;
      child.stdout!.off('data', onData);
      child.stdout!.resume();
      resolve();
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the server exited (${code}): ${output}`)));
  });
  return { port, pid: child.pid!, seed, path };
}

/** One request over node:http, answered with its status and parsed body. */
function call(server: Server, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { authorization: `Bearer ${server.seed.apiToken}`, 'content-type': SCIM, connection: 'close' };
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, path, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text === '' ? null : JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** The milliseconds one GET takes, start to last byte, over a kept-alive connection; a failure throws. */
function timedGet(server: Server, agent: Agent, path: string): Promise<number> {
  const headers = { authorization: `Bearer ${server.seed.apiToken}`, 'content-type': SCIM };
  return new Promise((resolve, reject) => {
    const before = performance.now();
    httpRequest({ host: '127.0.0.1', port: server.port, path, headers, agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - before) : reject(new Error(`GET ${path}: ${res.statusCode}`))));
    })
      .on('error', reject)
      .end();
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;

const filterPath = (filter: string) => `/scim/v2/Users?filter=${encodeURIComponent(filter)}`;
const member = (users: number) => `user${Math.floor(Math.random() * users)}`;

type Spec = Omit<LoadSpec, 'url' | 'connections' | 'durationSeconds' | 'pids'> & { path: string };

function loadOn(server: Server, spec: Spec, seconds: number): Promise<LoadResult> {
  const { path, ...rest } = spec;
  return load({ ...rest, url: `http://127.0.0.1:${server.port}${path}`, connections, durationSeconds: seconds, pids: [server.pid] });
}

/** Each subject warmed up, then `rounds` alternating rounds (A B C, C B A, …): the machine's drift falls on all alike. */
async function sideBySide(subjects: Array<{ server: Server; spec: Spec }>): Promise<LoadResult[]> {
  for (const s of subjects) await loadOn(s.server, s.spec, warmup);
  const runs: LoadResult[][] = subjects.map(() => []);
  for (let round = 0; round < rounds; round++) {
    const order = subjects.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) runs[i]!.push(await loadOn(subjects[i]!.server, subjects[i]!.spec, duration / rounds));
  }
  return runs.map(combine);
}

function failuresOf(name: string, result: LoadResult): void {
  if (result.errors > 0 || result.non2xx > 0) throw new Error(`${name}: ${result.errors} errors, ${result.non2xx} non-2xx answers`);
}

async function main(): Promise<void> {
  if (!args['no-build']) {
    const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('the build failed');
  }
  console.log(`load: ${connections} connections; ${warmup} s warm-up each, then ${rounds} alternating rounds of ${fmt(duration / rounds, 1)} s\n`);
  const small = await serve('small', SMALL);
  const started = performance.now();
  const large = await serve('large', LARGE);
  console.log(`seeded ${SMALL.toLocaleString('en')} and ${LARGE.toLocaleString('en')} members (${fmt((performance.now() - started) / 1000, 1)} s for the large one)\n`);

  // SCIM users to deactivate: created through SCIM, so they have what an identity provider keeps.
  const ids: string[] = [];
  for (let i = 0; i < 200; i++) {
    const created = await call(small, 'POST', '/scim/v2/Users', { userName: `scim${i}@bench.example`, emails: [{ value: `scim${i}@bench.example`, primary: true }] });
    if (created.status !== 201) throw new Error(`POST /Users: ${created.status} ${JSON.stringify(created.body)}`);
    ids.push(created.body.id);
  }
  const found = await call(small, 'GET', filterPath('userName eq "user7"'));
  if (found.body.totalResults !== 1) throw new Error(`the filter found ${JSON.stringify(found.body)}`);

  const auth = { authorization: `Bearer ${small.seed.apiToken}` };
  let created = 0;
  let flip = 0;
  const run = Math.random().toString(36).slice(2, 7);
  const createUser: Spec = {
    path: '/graphql',
    headers: { ...auth, 'content-type': 'application/json' },
    nextBody: () => {
      const username = `c${run}${(created++).toString(36)}`;
      return JSON.stringify({
        query: 'mutation ($input: CreateUserInput!) { createUser(input: $input) { __typename ... on CreateUserSuccess { user { id } } } }',
        variables: { input: { email: `${username}@bench.example`, username } },
      });
    },
  };
  const lookup = (users: number, headers: Record<string, string>): Spec => ({
    method: 'GET',
    path: filterPath('userName eq "user1"'),
    headers,
    nextPath: () => filterPath(`userName eq "${member(users)}"`),
  });
  const deactivate: Spec = {
    method: 'PATCH',
    path: `/scim/v2/Users/${ids[0]}`,
    headers: { ...auth, 'content-type': SCIM },
    // Each request changes something: every user's `active` flips on each of its turns.
    nextPath: () => `/scim/v2/Users/${ids[flip % ids.length]}?excludedAttributes=emails`,
    nextBody: () => {
      const active = Math.floor(flip++ / ids.length) % 2 === 1;
      return JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: active }] });
    },
  };

  console.log('1. beside createUser, on 1,000 members');
  const [u, f, d] = await sideBySide([
    { server: small, spec: createUser },
    { server: small, spec: lookup(SMALL, auth) },
    { server: small, spec: deactivate },
  ]);
  for (const [name, r] of [['createUser', u!], ['filter', f!], ['deactivate', d!]] as const) failuresOf(name, r);
  const base = cpuPerRequestUs(u!);
  console.log(
    table(
      [
        ['GraphQL createUser', u!],
        ['GET /Users?filter=userName eq', f!],
        ['PATCH /Users/{id} active', d!],
      ].map(([name, r]) => ({
        operation: name as string,
        'req/s': fmt((r as LoadResult).requestsPerSecond),
        'CPU µs/req': fmt(cpuPerRequestUs(r as LoadResult)),
        '× createUser (CPU)': fmt(cpuPerRequestUs(r as LoadResult) / base, 2),
        'p50 ms': fmt((r as LoadResult).p50Ms, 1),
      })),
    ),
  );

  console.log(`\n2. the filter lookup at ${SMALL.toLocaleString('en')} and ${LARGE.toLocaleString('en')} members`);
  // A fresh group of 1,000: the first one grew by every createUser above.
  const fresh = await serve('fresh', SMALL);
  const freshAuth = { authorization: `Bearer ${fresh.seed.apiToken}` };
  const [at1k, at1m] = await sideBySide([
    { server: fresh, spec: lookup(SMALL, freshAuth) },
    { server: large, spec: lookup(LARGE, { authorization: `Bearer ${large.seed.apiToken}` }) },
  ]);
  failuresOf('filter 1k', at1k!);
  failuresOf('filter 1M', at1m!);
  // For contrast: a filter no index serves tests every member of the group.
  const scanPath = filterPath('name.givenName eq "nobody"');
  const scanSpec: Spec = { method: 'GET', path: scanPath, headers: freshAuth, nextPath: () => scanPath };
  const [scan] = await sideBySide([{ server: fresh, spec: scanSpec }]);
  failuresOf('scan', scan!);
  console.log(
    table([
      { filter: `userName eq, ${SMALL.toLocaleString('en')} members`, 'req/s': fmt(at1k!.requestsPerSecond), 'CPU µs/req': fmt(cpuPerRequestUs(at1k!)), 'p50 ms': fmt(at1k!.p50Ms, 1), 'p99 ms': fmt(at1k!.p99Ms, 1) },
      { filter: `userName eq, ${LARGE.toLocaleString('en')} members`, 'req/s': fmt(at1m!.requestsPerSecond), 'CPU µs/req': fmt(cpuPerRequestUs(at1m!)), 'p50 ms': fmt(at1m!.p50Ms, 1), 'p99 ms': fmt(at1m!.p99Ms, 1) },
      { filter: `name.givenName eq (a scan), ${SMALL.toLocaleString('en')} members`, 'req/s': fmt(scan!.requestsPerSecond), 'CPU µs/req': fmt(cpuPerRequestUs(scan!)), 'p50 ms': fmt(scan!.p50Ms, 1), 'p99 ms': fmt(scan!.p99Ms, 1) },
    ]),
  );
  console.log(`CPU per lookup at ${LARGE.toLocaleString('en')} ÷ at ${SMALL.toLocaleString('en')}: ${fmt(cpuPerRequestUs(at1m!) / cpuPerRequestUs(at1k!), 2)} ×`);

  // One request at a time: the lookup's own latency, without a queue in front of it.
  const SEQUENTIAL = 2000;
  const SCANS = 200;
  const agents = [new Agent({ keepAlive: true, maxSockets: 1 }), new Agent({ keepAlive: true, maxSockets: 1 })] as const;
  const servers = [fresh, large] as const;
  const sizes = [SMALL, LARGE] as const;
  const lookupTimes: [number[], number[]] = [[], []];
  for (let i = 0; i < 100; i++) for (const s of [0, 1] as const) await timedGet(servers[s], agents[s], filterPath(`userName eq "${member(sizes[s])}"`));
  for (let i = 0; i < SEQUENTIAL; i++) {
    // Interleaved, the order swapped every other request, so drift falls on both alike.
    for (const s of i % 2 === 0 ? ([0, 1] as const) : ([1, 0] as const)) {
      lookupTimes[s].push(await timedGet(servers[s], agents[s], filterPath(`userName eq "${member(sizes[s])}"`)));
    }
  }
  const scanTimes: number[] = [];
  for (let i = 0; i < SCANS; i++) scanTimes.push(await timedGet(fresh, agents[0], scanPath));
  for (const agent of agents) agent.destroy();
  const [seq1k, seq1m, seqScan] = [lookupTimes[0], lookupTimes[1], scanTimes].map((t) => [...t].sort((a, b) => a - b));
  console.log(`\none request at a time (${SEQUENTIAL.toLocaleString('en')} lookups on each server, interleaved; ${SCANS} scans):`);
  console.log(
    table([
      { filter: `userName eq, ${SMALL.toLocaleString('en')} members`, 'median ms': fmt(percentile(seq1k!, 50), 2), 'p99 ms': fmt(percentile(seq1k!, 99), 2) },
      { filter: `userName eq, ${LARGE.toLocaleString('en')} members`, 'median ms': fmt(percentile(seq1m!, 50), 2), 'p99 ms': fmt(percentile(seq1m!, 99), 2) },
      { filter: `name.givenName eq (a scan), ${SMALL.toLocaleString('en')} members`, 'median ms': fmt(percentile(seqScan!, 50), 2), 'p99 ms': fmt(percentile(seqScan!, 99), 2) },
    ]),
  );
  console.log(
    `median lookup at ${LARGE.toLocaleString('en')} ÷ at ${SMALL.toLocaleString('en')}: ${fmt(percentile(seq1m!, 50) / percentile(seq1k!, 50), 2)} × ` +
      `(p99 ${fmt(percentile(seq1m!, 99) / percentile(seq1k!, 99), 2)} ×): an index lookup; the scan grows with the group`,
  );

  console.log(`\n3. one PATCH adding 1,000 members to a directory group, on ${LARGE.toLocaleString('en')} members (5 fresh groups)`);
  const db = new Database(large.path, { readonly: true });
  const times: number[] = [];
  for (let run = 0; run < 5; run++) {
    const members = (db.prepare('SELECT user_id AS id FROM memberships ORDER BY created_at LIMIT 1000 OFFSET ?').all(run * 1000) as Array<{ id: string }>).map(
      ({ id }) => ({ value: id }),
    );
    const group = await call(large, 'POST', '/scim/v2/Groups', { displayName: `bench ${run}` });
    const before = performance.now();
    const patched = await call(large, 'PATCH', `/scim/v2/Groups/${group.body.id}?excludedAttributes=members`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'add', path: 'members', value: members }],
    });
    times.push(performance.now() - before);
    if (patched.status !== 200) throw new Error(`PATCH /Groups: ${patched.status} ${JSON.stringify(patched.body)}`);
  }
  db.close();
  const counted = new Database(large.path, { readonly: true }).prepare('SELECT count(*) AS n FROM directory_group_members').get() as { n: number };
  if (counted.n !== 5000) throw new Error(`expected 5,000 directory group members, found ${counted.n}`);
  const median = [...times].sort((a, b) => a - b)[2]!;
  console.log(`times (ms): ${times.map((t) => fmt(t)).join(', ')}; median ${fmt(median)} ms: ${median < 1000 ? 'under' : 'OVER'} one second`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
