/**
 * X-Request-Id on every answer (API.md §15), over real HTTP to the node listener
 * (createHttpServer, as server.ts serves it): GraphQL on the fast and the full
 * path, REST, pages, health, readiness, refusals before any route, and Node's own
 * refusals of requests that are not HTTP. Each id is also the one on the request's
 * log line. And a Host that is no host is refused with the InvalidInput envelope.
 */
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/http/node-server.ts';
import { GROUP } from '../support/documents.ts';
import { acmeApp, envelopeOf, type GroupSeed, type TestApp } from '../support/harness.ts';
import { HttpClient, type RawRequest, type RawResponse } from '../support/http-client.ts';
import { type CapturedLogs, captureLogs } from '../support/logs.ts';

let t: TestApp;
let acme: GroupSeed;
let token: string;
let logs: CapturedLogs;
let server: Server;
let client: HttpClient;

beforeAll(async () => {
  logs = captureLogs();
  ({ t, acme, token } = await acmeApp({ logger: logs.logger }));
  await acme.user('alice');
  server = createHttpServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new HttpClient((server.address() as { port: number }).port);
});
afterAll(async () => {
  client.close();
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const json = { 'content-type': 'application/json' };

/** Sends the request twice: without an id (one is made) and with one (it is kept); both are logged. */
async function expectRequestIds(request: RawRequest | (() => RawRequest), expectStatus: number): Promise<RawResponse> {
  const next = typeof request === 'function' ? request : () => request;
  const made = await client.send(next());
  expect(made.status, made.text).toBe(expectStatus);
  expect(made.headers['x-request-id']).toMatch(UUID);
  const id = `test-${Math.random().toString(36).slice(2)}`;
  const second = next();
  const kept = await client.send({ ...second, headers: { ...second.headers, 'x-request-id': id } });
  expect(kept.status).toBe(expectStatus);
  expect(kept.headers['x-request-id']).toBe(id);
  const logged = logs.lines().map((line) => line.requestId);
  expect(logged).toContain(made.headers['x-request-id']);
  expect(logged).toContain(id);
  return made;
}

describe('X-Request-Id', () => {
  it('is on GraphQL answers, fast path and full path, success and refusal', async () => {
    const body = JSON.stringify({ query: GROUP });
    await expectRequestIds({ method: 'POST', path: '/graphql', headers: { ...json, authorization: `Bearer ${token}` }, body }, 200);
    await expectRequestIds({ method: 'POST', path: '/graphql', headers: json, body }, 401);
    // The full path: a GET, a CORS request, a content type Yoga must read itself, GraphiQL.
    await expectRequestIds({ method: 'GET', path: `/graphql?query=${encodeURIComponent(GROUP)}`, headers: { accept: 'application/json', authorization: `Bearer ${token}` } }, 200);
    await expectRequestIds({ method: 'POST', path: '/graphql', headers: { ...json, origin: 'https://elsewhere.example', authorization: `Bearer ${token}` }, body }, 200);
    await expectRequestIds({ method: 'POST', path: '/graphql', headers: { 'content-type': 'text/plain' }, body }, 400);
    await expectRequestIds({ method: 'POST', path: '/graphql', headers: { 'content-type': 'application/graphql-response+json' }, body }, 400);
    const graphiql = await expectRequestIds({ method: 'GET', path: '/graphql', headers: { accept: 'text/html' } }, 200);
    expect(graphiql.headers['content-type']).toMatch(/text\/html/);
  });

  it('is on REST answers, pages, health and readiness', async () => {
    let n = 0;
    const createUser = (): RawRequest => {
      const username = `bobby-${n++}`;
      return { method: 'POST', path: '/-/api/user/create', headers: { ...json, authorization: `Bearer ${token}` }, body: JSON.stringify({ email: `${username}@example.com`, username }) };
    };
    await expectRequestIds(createUser, 200);
    await expectRequestIds({ method: 'POST', path: '/-/api/user/create', headers: json, body: '[]' }, 400);
    await expectRequestIds({ method: 'GET', path: '/-/api/ssotoken/login', headers: { host: acme.host, accept: 'text/html' } }, 400);
    await expectRequestIds({ method: 'GET', path: '/-/api/no/such/route', headers: {} }, 404);
    await expectRequestIds({ method: 'GET', path: '/', headers: { host: acme.host } }, 200);
    await expectRequestIds({ method: 'POST', path: '/-/sign-out', headers: { host: acme.host } }, 303);
    await expectRequestIds({ method: 'GET', path: '/health', headers: {} }, 200);
    await expectRequestIds({ method: 'GET', path: '/ready', headers: {} }, 200);
    await expectRequestIds({ method: 'GET', path: '/nothing-here', headers: {} }, 404);
    // A path that needs normalising takes the full path.
    await expectRequestIds({ method: 'GET', path: '/x/../health', headers: {} }, 200);
  });

  it('is on refusals before any route: a body too large, a Host that is no host', async () => {
    const huge = JSON.stringify({ query: GROUP, variables: { pad: 'x'.repeat(70_000) } });
    await expectRequestIds({ method: 'POST', path: '/graphql', headers: json, body: huge }, 400);
    await expectRequestIds({ method: 'POST', path: '/graphql', headers: { ...json, host: 'acme.localhost:notaport' }, body: '{}' }, 400);
  });

  it('is on the answer Node gives a request that is not HTTP, with a fresh id (nothing of the request is trusted)', async () => {
    const { port } = server.address() as { port: number };
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end('GARBAGE / NOT-HTTP\r\nX-Request-Id: mine\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => (text += chunk));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    const id = /\r\nX-Request-Id: ([^\r]+)\r\n/i.exec(answer)?.[1];
    expect(id).toMatch(UUID);
    expect(logs.lines()).toContainEqual(expect.objectContaining({ requestId: id, status: 400, code: 'InvalidInput' }));
  });
});

describe('a Host header that is no host', () => {
  it('is refused with the InvalidInput envelope, on GraphQL, REST and pages, even when it parses into a URL', async () => {
    for (const host of ['../../', 'a?b', 'a#b', 'x/y', '@evil', 'a\\b', 'a b']) {
      const graphql = await client.send({ method: 'POST', path: '/graphql', headers: { ...json, host }, body: JSON.stringify({ query: GROUP }) });
      expect(graphql.status, host).toBe(400);
      const error = JSON.parse(graphql.text).errors[0];
      expect(error.extensions).toMatchObject({ code: 'InvalidInput', error: envelopeOf('InvalidInput'), field: 'host' });
      expect(graphql.headers['x-request-id']).toMatch(UUID);

      const rest = await client.send({ method: 'POST', path: '/-/api/user/create', headers: { ...json, host }, body: '{}' });
      expect(rest.status, host).toBe(400);
      expect(JSON.parse(rest.text)).toEqual({
        error: envelopeOf('InvalidInput'),
        details: { field: 'host', reason: 'The Host header is not a valid host.' },
      });
      // Refused before any route, yet with the headers of every REST error.
      expect(rest.headers).toMatchObject({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });

      const page = await client.send({ method: 'GET', path: '/', headers: { host } });
      expect(page.status, host).toBe(400);
      expect(JSON.parse(page.text).errors[0].extensions.code).toBe('InvalidInput');
    }
  });

  it('still lets a missing or empty Host, and container names with underscores, through', async () => {
    expect((await client.send({ method: 'GET', path: '/health', headers: {}, noHost: true })).status).toBe(200);
    expect((await client.send({ method: 'GET', path: '/health', headers: { host: '' } })).status).toBe(200);
    const res = await client.send({ method: 'POST', path: '/graphql', headers: { ...json, host: 'team_api:4000', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: GROUP }) });
    expect(res.status).toBe(200);
  });
});
