/**
 * Request logs (API.md §15) through app.fetch, with the app's own pino logger
 * writing into memory: one line per request with its fields, the GraphQL
 * operation name and first error code, unexpected errors once at `error` with a
 * stack, and LOG_LEVEL deciding what is written.
 */
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store, UserPlan } from '../../src/db/store.ts';
import { createTestDatabase } from '../support/databases.ts';
import { CREATE_SSO_TOKEN, CREATE_USER, GROUP } from '../support/documents.ts';
import { acmeApp, createTestApp, type GroupSeed, type TestApp } from '../support/harness.ts';
import { type CapturedLogs, captureLogs } from '../support/logs.ts';

let t: TestApp;
let acme: GroupSeed;
let token: string;
let logs: CapturedLogs;

async function start(level: Parameters<typeof captureLogs>[0] = 'info') {
  logs = captureLogs(level);
  ({ t, acme, token } = await acmeApp({ logger: logs.logger }));
}
afterEach(() => t.close());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function createUser(username: string, options: { operationName?: string; headers?: Record<string, string> } = {}) {
  return t.request('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...options.headers },
    body: JSON.stringify({
      query: CREATE_USER,
      operationName: options.operationName,
      variables: { input: { email: `${username}@example.com`, username } },
    }),
  });
}

describe('request logs', () => {
  it('write one JSON line per request: time, level, requestId, method, path, status, ms', async () => {
    await start();
    const res = await t.request('/health?probe=1');
    expect(res.status).toBe(200);
    const lines = logs.lines();
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).toMatchObject({ level: 'info', method: 'GET', path: '/health', status: 200, msg: 'request' });
    expect(line.requestId).toBe(res.headers.get('x-request-id'));
    expect(line.requestId).toMatch(UUID);
    expect(typeof line.time).toBe('number');
    expect(typeof line.ms).toBe('number');
    expect(line.ms).toBeGreaterThanOrEqual(0);
    // Nothing of a GraphQL request on a line that is none.
    expect(line).not.toHaveProperty('operationName');
    expect(line).not.toHaveProperty('code');
  });

  it("write a request's line exactly as pino writes the same fields (keys, order, types)", async () => {
    await start();
    await createUser('dora', { operationName: 'CreateUser', headers: { 'x-request-id': 'order-1' } });
    await createUser('dora', { operationName: 'CreateUser', headers: { 'x-request-id': 'order-2' } });
    const [built, taken] = logs.text().split('\n');
    // What pino itself writes for the second request's fields.
    const parsed = JSON.parse(taken!);
    const { level: _level, time: _time, pid: _pid, msg, ...fields } = parsed;
    const reference = captureLogs();
    reference.logger.info(fields, msg);
    const fromPino = JSON.parse(reference.text());
    expect(Object.keys(parsed)).toEqual(Object.keys(fromPino));
    expect({ ...parsed, time: 0 }).toEqual({ ...fromPino, time: 0 });
    expect(Object.keys(JSON.parse(built!))).toEqual(['level', 'time', 'pid', 'requestId', 'method', 'path', 'status', 'ms', 'operationName', 'msg']);
    expect(Object.keys(parsed)).toEqual(['level', 'time', 'pid', 'requestId', 'method', 'path', 'status', 'ms', 'operationName', 'code', 'msg']);
  });

  it('name the GraphQL operation, and the code of a union-member error', async () => {
    await start();
    await createUser('alice', { operationName: 'CreateUser' });
    await createUser('alice', { operationName: 'CreateUser' });
    const [created, taken] = logs.lines();
    expect(created).toMatchObject({ method: 'POST', path: '/graphql', status: 200, operationName: 'CreateUser' });
    expect(created).not.toHaveProperty('code');
    expect(taken).toMatchObject({ status: 200, operationName: 'CreateUser', code: 'UsernameAlreadyExists' });
  });

  it('give the code of the first transport error, on the fast and the full GraphQL path alike', async () => {
    await start();
    // Fast path: a JSON POST; full path: the same operation over GET.
    await t.gql(GROUP, { token: 'tapi_not-a-real-token' });
    const query = encodeURIComponent('query Who { group { slug } }');
    await t.request(`/graphql?query=${query}&operationName=Who`, { headers: { accept: 'application/json' } });
    const [fast, full] = logs.lines();
    expect(fast).toMatchObject({ status: 400, code: 'InvalidApiToken' });
    expect(full).toMatchObject({ method: 'GET', path: '/graphql', status: 401, code: 'UnauthorizedRequest', operationName: 'Who' });
  });

  it('write the same line for the same operation on the fast path and on the full path', async () => {
    await start();
    await createUser('erin');
    // Once as a plain JSON POST (answered on the exchange), once with an Origin (CORS: Yoga's own path).
    await createUser('erin', { operationName: 'CreateUser' });
    await createUser('erin', { operationName: 'CreateUser', headers: { origin: 'https://app.example' } });
    const [, fast, full] = logs.lines();
    const comparable = ({ time: _t, ms: _m, requestId: _r, pid: _p, ...rest }: Record<string, unknown>) => rest;
    expect(comparable(full!)).toEqual(comparable(fast!));
    expect(comparable(fast!)).toEqual({ level: 'info', method: 'POST', path: '/graphql', status: 200, operationName: 'CreateUser', code: 'UsernameAlreadyExists', msg: 'request' });
    expect(Object.keys(full!)).toEqual(Object.keys(fast!));
  });

  it('name the operation the document runs when the client names none, and log no operationName that is no GraphQL name', async () => {
    await start();
    await t.gql('query Mine { group { slug } }', { token });
    await t.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ group { slug } }', operationName: 'no such name; tapi_x' }),
    });
    const [named, odd] = logs.lines();
    expect(named).toMatchObject({ status: 200, operationName: 'Mine' });
    expect(odd).not.toHaveProperty('operationName');
    expect(logs.text()).not.toContain('no such name');
  });

  it('give the code of a REST refusal, and never the query string', async () => {
    await start();
    const res = await t.request('/-/api/ssotoken/login?token=not-a-jwt', { host: acme.host });
    expect(res.status).toBe(400);
    expect(logs.lines()).toEqual([
      expect.objectContaining({ method: 'GET', path: '/-/api/ssotoken/login', status: 400, code: 'SSOTokenFailedToParse' }),
    ]);
    expect(logs.text()).not.toContain('not-a-jwt');
  });

  it('keep a valid incoming X-Request-Id and replace one that is not', async () => {
    await start();
    const kept = await t.request('/health', { headers: { 'x-request-id': 'lb-7f3a.9_Z-1' } });
    expect(kept.headers.get('x-request-id')).toBe('lb-7f3a.9_Z-1');
    for (const bad of ['', 'has space', 'x'.repeat(129), 'semi;colon', 'ünïcode']) {
      const replaced = await t.request('/health', { headers: { 'x-request-id': bad } });
      expect(replaced.headers.get('x-request-id'), JSON.stringify(bad)).toMatch(UUID);
    }
    const longest = 'a'.repeat(128);
    expect((await t.request('/health', { headers: { 'x-request-id': longest } })).headers.get('x-request-id')).toBe(longest);
    expect(logs.lines().map((l) => l.requestId)).toContain('lb-7f3a.9_Z-1');
  });

  it('log an unexpected error once, at error, with its stack and the request id', async () => {
    await start();
    await t.breakTable('api_tokens');
    const res = await t.gql(GROUP, { token });
    expect(res.status).toBe(500);
    expect(res.body.errors[0].extensions.code).toBe('InternalError');
    const lines = logs.lines();
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toMatchObject({ level: 'error', status: 500, code: 'InternalError', requestId: res.headers.get('x-request-id') });
    expect(line!.err.stack).toMatch(/\n\s+at /);
    expect(line!.err.message).toMatch(/api_tokens/);
  });

  it('log the storage failure behind a FailedToCreateUser, without the values of its query', async () => {
    await start();
    await t.injectFault('users');
    const res = await createUser('mallory');
    expect((await res.json()).data.createUser.__typename).toBe('FailedToCreateUser');
    const [line] = logs.lines();
    expect(line).toMatchObject({ level: 'error', status: 200, code: 'FailedToCreateUser' });
    expect(JSON.stringify(line!.err)).toMatch(/injected fault/);
    expect(logs.text()).not.toContain('mallory@example.com');
  });

  it("log an unexpected error's SQL but not its parameters, nor any email, API token or JWT in its message", async () => {
    logs = captureLogs();
    const database = await createTestDatabase();
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const apiToken = `tapi_${'k'.repeat(43)}`;
    // A store whose user insert fails the way a driver does, values and all.
    const failing = new Proxy(database.store, {
      get(target, property, receiver) {
        if (property !== 'insertUsers') return Reflect.get(target, property, receiver);
        return async (_groupId: string, _role: string, plan: UserPlan) => {
          const { user } = plan.decide({ usernames: new Set(), emails: new Set() })[0]!;
          const cause = Object.assign(new Error(`duplicate key: (email)=(${user.email}) near ${apiToken} and ${jwt}`), {
            detail: `Key (email_normalized)=(${user.email}) already exists.`,
            code: '23505',
          });
          throw new DrizzleQueryError('insert into "users" ("id", "email") values ($1, $2)', [user.username, user.email], cause);
        };
      },
    }) as Store;
    t = await createTestApp({ store: failing, logger: logs.logger });
    const acmeGroup = await t.seed.group('acme');
    token = await acmeGroup.token();
    const res = await createUser('leaky');
    expect(res.status).toBe(500);
    const [line] = logs.lines();
    expect(line).toMatchObject({ level: 'error', code: 'InternalError' });
    expect(line!.err).toMatchObject({ type: 'DrizzleQueryError', message: 'Failed query: insert into "users" ("id", "email") values ($1, $2)\nparams: [2 redacted]' });
    expect(line!.err.cause).toMatchObject({ code: '23505' });
    expect(line!.err.cause.message).toMatch(/\[email redacted\].*tapi_\[redacted\].*\[jwt redacted\]/);
    expect(line!.err.stack).toMatch(/^DrizzleQueryError: Failed query: insert into "users"/);
    for (const secret of ['leaky@example.com', apiToken, jwt, 'email_normalized']) expect(logs.text()).not.toContain(secret);
  });

  it('write only failures at LOG_LEVEL=error, and nothing at silent', async () => {
    await start('error');
    await createUser('bob');
    await t.gql(CREATE_SSO_TOKEN, { token, variables: { username: 'nobody' } });
    const heal = await t.breakTable('api_tokens');
    await t.gql(GROUP, { token });
    expect(logs.lines().map((l) => [l.level, l.code])).toEqual([['error', 'InternalError']]);
    await heal();
    await t.close();

    await start('silent');
    await createUser('carol');
    expect(logs.text()).toBe('');
  });
});
