/**
 * Hundreds of hostile requests over real HTTP against GraphQL and the REST routes
 * (generated from a printed seed: ADVERSARIAL_SEED=<n> replays a run). Every answer
 * must be a documented envelope or union member, never a 5xx or anything internal;
 * the server must stay up; and the database must hold exactly what the few
 * requests that succeeded wrote, nothing from the ones refused.
 */
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../src/config/config.ts';
import { openSqliteStore, type SqliteStore } from '../../src/db/sqlite/store.ts';
import { type App, createApp } from '../../src/http/app.ts';
import { openRuntime } from '../../src/runtime.ts';
import { createHttpServer } from '../../src/http/node-server.ts';
import { HIGH_RATE_LIMITS, TEST_SSO_SECRET } from '../support/harness.ts';
import { HttpClient, type RawResponse } from '../support/http-client.ts';
import { forgeSsoTokens, generateHostileRequests, type HostileFixture, type HostileRequest } from '../support/hostile-requests.ts';
import { Prng, runSeed } from '../support/prng.ts';
import { responseProblems } from '../support/response-checks.ts';
import { CLI_CALLER } from '../../src/domain/events.ts';

const STRESS = process.env.STRESS === '1';
const REQUESTS = Number(process.env.ADVERSARIAL_REQUESTS ?? (STRESS ? 5000 : 800));
const CONCURRENCY = 6;
const SEED = runSeed('ADVERSARIAL_SEED');

const TABLES = ['groups', 'users', 'memberships', 'api_tokens', 'sessions', 'sso_token_uses', 'settings'] as const;
type Counts = Record<(typeof TABLES)[number], number>;

let config: Config;
let store: SqliteStore;
let app: App;
let server: Server;
let client: HttpClient;
let fixture: HostileFixture;

const counts = (): Counts =>
  Object.fromEntries(TABLES.map((table) => [table, (store.sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n])) as Counts;

beforeAll(async () => {
  const databaseUrl = `file:${join(mkdtempSync(join(tmpdir(), 'team-api-hostile-')), 'hostile.db')}`;
  config = loadConfig({ DATABASE_URL: databaseUrl, SSO_SECRET: TEST_SSO_SECRET, ...HIGH_RATE_LIMITS });
  store = openSqliteStore(databaseUrl);
  app = createApp({ config, store, services: (await openRuntime(config, { store })).services });
  server = createHttpServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  client = new HttpClient(port, CONCURRENCY);

  const services = app.services;
  const acme = await services.groups.create('acme', { title: 'Acme' }, CLI_CALLER);
  const other = await services.groups.create('other', {}, CLI_CALLER);
  await services.users.create(acme, { username: 'alice', email: 'alice@example.com' }, CLI_CALLER);
  await services.users.create(other, { username: 'carol', email: 'carol@example.com' }, CLI_CALLER);
  const revoked = await services.apiTokens.create(acme, 'revoked', CLI_CALLER);
  await services.apiTokens.revoke(acme, revoked.apiToken.id, CLI_CALLER);
  // Half of them open a confirmation page (API.md §10), whose form post the requests try too.
  const goodSsoTokens = await Promise.all(
    Array.from(
      { length: 10 },
      async (_, i) => (await services.signIn.createSsoToken(acme, 'alice', { requireConfirmation: i % 2 === 0 }, CLI_CALLER)).token,
    ),
  );
  fixture = {
    baseDomain: config.baseDomain,
    port,
    acme: { slug: 'acme', token: (await services.apiTokens.create(acme, null, CLI_CALLER)).token, revokedToken: revoked.token, member: 'alice' },
    other: { slug: 'other', token: (await services.apiTokens.create(other, null, CLI_CALLER)).token, member: 'carol' },
    badSsoTokens: await forgeSsoTokens({
      key: new TextEncoder().encode(TEST_SSO_SECRET),
      group: 'acme',
      otherGroup: 'other',
      member: 'alice',
      now: Date.now(),
    }),
    goodSsoTokens,
  };
});

afterAll(async () => {
  client?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await app?.close();
  await store?.close();
});

/** What a request that succeeded wrote, read from its answer. */
function writesOf(request: HostileRequest, res: RawResponse): Partial<Counts> {
  if (res.status === 302 && request.path.startsWith('/-/api/ssotoken/login')) return { sessions: 1, sso_token_uses: 1 };
  let body: any;
  try {
    body = JSON.parse(res.text);
  } catch {
    return {};
  }
  if (request.path.startsWith('/-/api/user/create') && res.status === 200 && body?.data?.username) return { users: 1, memberships: 1 };
  const data = body?.data;
  if (!data || typeof data !== 'object') return {};
  const writes: Partial<Counts> = {};
  for (const value of Object.values(data) as any[]) {
    if (value?.__typename === 'CreateUserSuccess') {
      writes.users = (writes.users ?? 0) + 1;
      writes.memberships = (writes.memberships ?? 0) + 1;
    }
    if (value?.__typename === 'LoginWithSSOSuccess') {
      writes.sessions = (writes.sessions ?? 0) + 1;
      writes.sso_token_uses = (writes.sso_token_uses ?? 0) + 1;
    }
  }
  if (data.logout === true) writes.sessions = (writes.sessions ?? 0) - 1;
  return writes;
}

function describeRequest(request: HostileRequest): string {
  const body = request.body === undefined ? '' : ` body(${Buffer.byteLength(request.body)}B)=${String(request.body).slice(0, 120)}`;
  return `${request.kind}: ${request.method} ${request.path.slice(0, 120)} host=${request.noHost ? '(none)' : (request.headers.host ?? '(default)')}${body}`;
}

describe(`hostile requests (seed ${SEED}; replay with ADVERSARIAL_SEED=${SEED})`, () => {
  it(
    'answers every one with a documented envelope, leaks nothing, stays up and writes only what succeeded',
    async () => {
      console.info(`adversarial seed ${SEED}: ${REQUESTS} requests (replay with ADVERSARIAL_SEED=${SEED})`);
      const requests = generateHostileRequests(new Prng(SEED), fixture, REQUESTS);
      const before = counts();
      const expected: Counts = { ...before };
      const failures: string[] = [];
      const byKind = new Map<string, number>();
      let next = 0;

      async function worker() {
        while (next < requests.length) {
          const index = next++;
          const request = requests[index]!;
          byKind.set(request.kind, (byKind.get(request.kind) ?? 0) + 1);
          let res: RawResponse;
          try {
            res = await client.send(request);
          } catch (error) {
            failures.push(`#${index} ${describeRequest(request)}\n  -> no answer: ${(error as Error).message}`);
            continue;
          }
          const problems = responseProblems(request.method, request.path, res);
          if (problems.length > 0) {
            failures.push(`#${index} ${describeRequest(request)}\n  -> ${res.status} ${problems.join('; ')}\n  ${res.text.slice(0, 300)}`);
          }
          for (const [table, n] of Object.entries(writesOf(request, res))) expected[table as keyof Counts] += n!;
        }
      }
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));

      expect(failures, `seed ${SEED}: ${failures.length} bad answers; first ones:\n${failures.slice(0, 8).join('\n')}`).toEqual([]);

      // Still up, and still serving genuine requests.
      const health = await client.send({ method: 'GET', path: '/health', headers: {} });
      expect([health.status, health.text]).toEqual([200, JSON.stringify({ status: 'ok' })]);

      // Nothing written but what succeeded; nothing broken.
      await app.services.apiTokens.flushLastUse();
      expect(counts()).toEqual(expected);
      expect(store.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(store.sqlite.pragma('foreign_key_check')).toEqual([]);
      expect(store.sqlite.prepare('SELECT count(*) AS n FROM users WHERE id NOT IN (SELECT user_id FROM memberships)').get()).toEqual({ n: 0 });

      const summary = [...byKind.entries()].sort().map(([kind, n]) => `${kind} ${n}`).join(', ');
      const written = TABLES.map((t) => `${t} +${expected[t] - before[t]}`).join(', ');
      console.info(`adversarial seed ${SEED}: ${requests.length} requests, 0 bad answers; ${summary}; rows written by successes: ${written}`);
    },
    STRESS ? 600_000 : 120_000,
  );

  it('answers HTTP it cannot parse, and headers too large, with the InvalidInput envelope', async () => {
    const raw = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(fixture.port, '127.0.0.1', () => socket.end(text));
        let answer = '';
        socket.on('data', (d) => (answer += d));
        socket.on('close', () => resolve(answer));
        socket.on('error', reject);
      });
    for (const text of [
      'NONSENSE\r\n\r\n',
      'GET /graphql HTTP/9.9\r\n\r\n',
      `GET /graphql HTTP/1.1\r\nHost: acme.localhost\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`,
      'POST /graphql HTTP/1.1\r\nHost: acme.localhost\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello',
      'POST /graphql HTTP/1.1\r\nHost: acme.localhost\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc',
    ]) {
      const answer = await raw(text);
      expect(answer, text.slice(0, 40)).toMatch(/^HTTP\/1\.1 400 /);
      const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
      expect(body.errors[0].extensions).toMatchObject({ code: 'InvalidInput', error: { status: 400, message: 'One of the request inputs is invalid.', code: 'InvalidInput' } });
    }
    const health = await client.send({ method: 'GET', path: '/health', headers: {} });
    expect(health.status).toBe(200);
  });

  it('found by the generator: an unparsable Host, TRACE, and paths merely ending in /graphql', async () => {
    const invalidInput = { code: 'InvalidInput', error: { status: 400, message: 'One of the request inputs is invalid.', code: 'InvalidInput' } };
    // A Host the URL cannot be built from was a 500 with a stack trace.
    const badHost = await client.send({ method: 'POST', path: '/graphql', headers: { host: 'acme.localhost:notaport', 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
    expect(badHost.status).toBe(400);
    expect(JSON.parse(badHost.text).errors[0].extensions).toMatchObject(invalidInput);
    const badHostRest = await client.send({ method: 'GET', path: '/-/api/ssotoken/login?token=x', headers: { host: 'acme.localhost:notaport' } });
    expect([badHostRest.status, JSON.parse(badHostRest.text)]).toEqual([
      400,
      { error: invalidInput.error, details: { field: 'host', reason: 'The Host header is not a valid host.' } },
    ]);
    // TRACE could not be rebuilt into a Request: a 500 with a stack trace.
    const trace = await client.send({ method: 'TRACE', path: '/graphql', headers: { host: 'acme.localhost' } });
    expect(trace.status).toBe(400);
    expect(JSON.parse(trace.text).errors[0].extensions).toMatchObject(invalidInput);
    // Yoga serves any URL ending in /graphql; only /graphql is the endpoint.
    for (const path of ['/graphql/', '/-/graphql', '/x?next=/graphql', '/-/api/../graphql']) {
      const res = await client.send({ method: 'POST', path, headers: { host: 'acme.localhost', 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      expect(res.status, path).toBe(404);
    }
  });
});
