/**
 * SCIM under the limits and refusals every route has (API.md §18): writes count
 * against RATE_LIMIT_WRITES (429 with Retry-After) and reads do not; a body past
 * MAX_BODY_BYTES is 413; an unexpected failure is masked as InternalError; a token
 * used on another group's domain is InvalidRequestDomain (request-context.ts); and
 * every refusal is a SCIM error body with exactly the keys RFC 7644 §3.12 has.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type ErrorCode, envelopeOf } from '../../src/errors/catalog.ts';
import { MemoryRateLimiter } from '../../src/rate-limits/limiter.ts';
import { CREATE_SSO_TOKEN } from '../support/documents.ts';
import { acmeApp, type TestApp, TestClock } from '../support/harness.ts';
import { ERROR_SCHEMA, GROUP_SCHEMA, patchOps, SCIM, type ScimResponse, scimClient, userBody } from '../support/scim.ts';

/** The scimType values RFC 7644 §3.12 defines. */
const RFC_SCIM_TYPES = ['invalidFilter', 'tooMany', 'uniqueness', 'mutability', 'invalidSyntax', 'invalidPath', 'noTarget', 'invalidValue', 'invalidVers', 'sensitive'];

const apps: TestApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

/** A fresh app and database with group `acme` and its API token, closed after the test. */
async function start(options: Parameters<typeof acmeApp>[0] = {}) {
  const app = await acmeApp(options);
  apps.push(app.t);
  return app;
}

interface Expected {
  status: number;
  scimType?: string;
  /** The catalog code in Team-Api-Error-Code, whose message is then `detail`; none for a 404, 405 or 412. */
  code?: ErrorCode;
}

/**
 * A SCIM error body exactly: `schemas` the error schema alone, `status` the HTTP
 * status as a string, `scimType` only when expected, `detail`, and no other key.
 */
function expectScimError(res: ScimResponse, expected: Expected): void {
  const context = JSON.stringify({ status: res.status, body: res.body });
  expect(res.status, context).toBe(expected.status);
  expect(res.headers.get('content-type'), context).toBe('application/scim+json; charset=utf-8');
  const keys = expected.scimType === undefined ? ['detail', 'schemas', 'status'] : ['detail', 'schemas', 'scimType', 'status'];
  expect(Object.keys(res.body).sort(), context).toEqual(keys);
  expect(res.body.schemas).toEqual([ERROR_SCHEMA]);
  expect(res.body.status).toBe(String(expected.status));
  if (expected.scimType !== undefined) {
    expect(res.body.scimType).toBe(expected.scimType);
    expect(RFC_SCIM_TYPES).toContain(res.body.scimType);
  }
  expect(typeof res.body.detail).toBe('string');
  expect(res.body.detail.length).toBeGreaterThan(0);
  expect(res.headers.get('team-api-error-code'), context).toBe(expected.code ?? null);
  if (expected.code !== undefined) expect(res.body.detail).toBe(envelopeOf(expected.code).message);
}

/** A SCIM request with a Host of the test's choosing (the harness sets `localhost:4000` otherwise). */
async function scimOn(app: TestApp, host: string, token: string, method: string, path: string, body?: unknown): Promise<ScimResponse> {
  const headers: Record<string, string> = { accept: 'application/scim+json', authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/scim+json';
  const response = await app.request(`${SCIM}${path}`, { method, host, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? null : JSON.parse(text) };
}

async function eventCount(app: TestApp): Promise<number> {
  await app.feedCaughtUp();
  return app.count('events');
}

describe('RATE_LIMIT_WRITES', () => {
  it('counts every SCIM write per token: past the limit 429 TooManyRequests with Retry-After, nothing written; reads are not counted', async () => {
    const clock = new TestClock();
    const app = await start({ env: { RATE_LIMIT_WRITES: '2' }, rateLimiter: new MemoryRateLimiter({ now: clock.now }) });
    const t = app.t;
    const c = scimClient(t, app.token);

    // Two writes of two kinds use the budget up.
    const user = await c.post('/Users', userBody('one@example.com'));
    expect(user.status).toBe(201);
    const group = await c.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Engineering' });
    expect(group.status).toBe(201);
    const id = user.body.id as string;
    const before = await eventCount(t);

    // Every write method past it is refused, in the SCIM error schema.
    const refused = [
      await c.patch(`/Users/${id}`, patchOps({ op: 'replace', path: 'active', value: false })),
      await c.post('/Users', userBody('three@example.com')),
      await c.put(`/Users/${id}`, userBody('one@example.com', { externalId: 'x' })),
      await c.delete(`/Users/${id}`),
      await c.patch(`/Groups/${group.body.id}`, patchOps({ op: 'add', path: 'members', value: [{ value: id }] })),
      await c.delete(`/Groups/${group.body.id}`),
    ];
    for (const res of refused) {
      expectScimError(res, { status: 429, code: 'TooManyRequests' });
      expect(res.body).toEqual({ schemas: [ERROR_SCHEMA], status: '429', detail: 'Too many requests, please try again later.' });
      // The whole window is left: the clock has not moved.
      expect(res.headers.get('retry-after')).toBe('60');
    }
    // Nothing was written.
    expect(await t.count('users')).toBe(1);
    expect(await t.count('directory_groups')).toBe(1);
    expect(await t.count('directory_group_members')).toBe(0);
    expect(await eventCount(t)).toBe(before);

    // Reads are not writes: all of them still answer, as often as asked.
    for (let round = 0; round < 3; round++) {
      for (const path of ['/Users', `/Users/${id}`, '/Users?filter=userName%20eq%20%22one%40example.com%22', '/Groups', `/Groups/${group.body.id}`, '/ServiceProviderConfig', '/Schemas', '/ResourceTypes']) {
        expect((await c.get(path)).status, path).toBe(200);
      }
    }
    expect((await c.get(`/Users/${id}`)).body.active).toBe(true);

    // SCIM and GraphQL share the token's budget; another token of the group has its own.
    const graphql = await t.gql(CREATE_SSO_TOKEN, { token: app.token, variables: { username: 'one' } });
    expect(graphql.status).toBe(429);
    expect(graphql.body.errors[0].extensions.code).toBe('TooManyRequests');
    const other = scimClient(t, await app.acme.token(true));
    expect((await other.patch(`/Users/${id}`, patchOps({ op: 'replace', path: 'active', value: false }))).status).toBe(200);

    // A new window, a new budget.
    clock.advance(60_000);
    const later = await c.patch(`/Users/${id}`, patchOps({ op: 'replace', path: 'active', value: true }));
    expect(later.status).toBe(200);
    expect(later.body.active).toBe(true);
  });
});

describe('MAX_BODY_BYTES', () => {
  it('answers a body past the limit 413 in the SCIM error schema, without scimType, and writes nothing', async () => {
    const app = await start({ env: { MAX_BODY_BYTES: '2048' } });
    const t = app.t;
    const c = scimClient(t, app.token);
    // Just under the limit is taken: the size is what is refused.
    const small = userBody('small@example.com', { title: 'x'.repeat(1500) });
    expect(JSON.stringify(small).length).toBeLessThan(2048);
    const created = await c.post('/Users', small);
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const before = await eventCount(t);

    const big = userBody('big@example.com', { title: 'x'.repeat(4096) });
    expect(JSON.stringify(big).length).toBeGreaterThan(2048);
    const post = await c.post('/Users', big);
    expectScimError(post, { status: 413, code: 'InvalidInput' });
    expect(post.body).toEqual({ schemas: [ERROR_SCHEMA], status: '413', detail: 'One of the request inputs is invalid.' });

    // PUT and PATCH too, the member unchanged.
    expectScimError(await c.put(`/Users/${id}`, { ...big, userName: 'small@example.com', externalId: 'changed' }), { status: 413, code: 'InvalidInput' });
    const manyOps = patchOps(...Array.from({ length: 100 }, (_, i) => ({ op: 'replace', path: 'externalId', value: `changed-${i}` })));
    expect(JSON.stringify(manyOps).length).toBeGreaterThan(2048);
    expectScimError(await c.patch(`/Users/${id}`, manyOps), { status: 413, code: 'InvalidInput' });
    const members = Array.from({ length: 100 }, (_, i) => ({ value: `id-${i}-${'y'.repeat(20)}` }));
    expectScimError(await c.post('/Groups', { displayName: 'Big', members }), { status: 413, code: 'InvalidInput' });
    // A body sent in chunks, without a Content-Length, is counted as it comes.
    const bytes = new TextEncoder().encode(JSON.stringify(big));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += 512) controller.enqueue(bytes.slice(at, at + 512));
        controller.close();
      },
    });
    const chunked = await t.request(`${SCIM}/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.token}`, 'content-type': 'application/scim+json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expectScimError({ status: chunked.status, headers: chunked.headers, body: await chunked.json() }, { status: 413, code: 'InvalidInput' });

    expect(await t.count('users')).toBe(1);
    expect(await t.count('directory_groups')).toBe(0);
    expect(await eventCount(t)).toBe(before);
    expect((await c.get(`/Users/${id}`)).body).not.toHaveProperty('externalId');
  });
});

describe('an unexpected failure', () => {
  it('is masked: 500 InternalError with the catalog message, no SQL, stack or path; nothing written', async () => {
    const app = await start();
    const t = app.t;
    const c = scimClient(t, app.token);
    const existing = await c.post('/Users', userBody('existing@example.com'));
    expect(existing.status).toBe(201);
    const before = await eventCount(t);

    const cure = await t.breakTable('scim_users');
    let answers: ScimResponse[];
    try {
      answers = [
        await c.post('/Users', userBody('broken@example.com')),
        await c.get('/Users'),
        await c.patch(`/Users/${existing.body.id}`, patchOps({ op: 'replace', path: 'name.givenName', value: 'Changed' })),
      ];
    } finally {
      await cure();
    }
    for (const res of answers) {
      expectScimError(res, { status: 500, code: 'InternalError' });
      expect(res.body).toEqual({ schemas: [ERROR_SCHEMA], status: '500', detail: 'The server encountered an internal error.' });
      const text = JSON.stringify(res.body);
      expect(text).not.toMatch(/scim_users|SELECT|INSERT|UPDATE|sqlite|postgres|relation|no such table/i);
      expect(text).not.toMatch(/\.ts\b|\/work\/|node_modules|\bat\s/);
    }

    // Nothing of the failed writes remains, and the route works again once the table is back.
    expect(await t.count('users')).toBe(1);
    expect(await eventCount(t)).toBe(before);
    expect((await c.get(`/Users/${existing.body.id}`)).body.name).toEqual({ givenName: 'Given', familyName: 'Family' });
    expect((await c.post('/Users', userBody('broken@example.com'))).status).toBe(201);
  });
});

describe('the request domain', () => {
  it('refuses a token on another group’s domain: 400 InvalidRequestDomain, nothing read or written', async () => {
    const app = await start();
    const t = app.t;
    const globex = await t.seed.group('globex');
    const globexToken = await globex.token();
    const acmeUser = await scimClient(t, app.token).post('/Users', userBody('mine@example.com'));
    expect(acmeUser.status).toBe(201);

    // globex's token on acme's domain: the catalog's InvalidRequestDomain, for a read and a write.
    const onAcme = (method: string, path: string, body?: unknown) => scimOn(t, app.acme.host, globexToken, method, path, body);
    expect(app.acme.host).toBe('acme.localhost:4000');
    const read = await onAcme('GET', '/Users');
    expectScimError(read, { status: 400, code: 'InvalidRequestDomain' });
    expect(read.body).toEqual({ schemas: [ERROR_SCHEMA], status: '400', detail: 'Request is invalid' });
    expectScimError(await onAcme('GET', `/Users/${acmeUser.body.id}`), { status: 400, code: 'InvalidRequestDomain' });
    expectScimError(await onAcme('POST', '/Users', userBody('stranger@example.com')), { status: 400, code: 'InvalidRequestDomain' });
    expectScimError(await onAcme('DELETE', `/Users/${acmeUser.body.id}`), { status: 400, code: 'InvalidRequestDomain' });
    // A host under the base domain that is no single group label is refused the same way.
    expectScimError(await scimOn(t, 'a.b.localhost:4000', app.token, 'GET', '/Users'), { status: 400, code: 'InvalidRequestDomain' });
    // A bad token is refused as such before the domain is looked at.
    expectScimError(await scimOn(t, app.acme.host, 'tapi_' + 'x'.repeat(43), 'GET', '/Users'), { status: 401, code: 'InvalidApiToken' });

    // On its own group's domain, and on the API host, a token answers its group.
    const own = await scimOn(t, 'globex.localhost:4000', globexToken, 'GET', '/Users');
    expect(own.status).toBe(200);
    expect(own.body.totalResults).toBe(0);
    const acmeOnAcme = await scimOn(t, app.acme.host, app.token, 'GET', '/Users');
    expect(acmeOnAcme.body.Resources.map((r: { id: string }) => r.id)).toEqual([acmeUser.body.id]);
    const globexOnApiHost = scimClient(t, globexToken);
    expect((await globexOnApiHost.get('/Users')).body.totalResults).toBe(0);
    expect((await globexOnApiHost.get(`/Users/${acmeUser.body.id}`)).status).toBe(404);

    // Nothing was written for the refused requests.
    expect(await t.count('users')).toBe(1);
    expect((await scimClient(t, app.token).get(`/Users/${acmeUser.body.id}`)).status).toBe(200);
  });
});

describe('every refusal', () => {
  it('is a SCIM error with exactly the keys schemas, status, scimType (where RFC 7644 has one) and detail', async () => {
    const app = await start();
    const t = app.t;
    const c = scimClient(t, app.token);
    const user = (await c.post('/Users', userBody('taken@example.com', { roles: [{ value: 'admin' }] }))).body;
    const group = (await c.post('/Groups', { displayName: 'Taken' })).body;
    const globex = await t.seed.group('globex');
    await globex.user('outsider', { email: 'outsider@example.com' });
    const disabled = await t.seed.group('disabled', { isApiEnabled: false });
    const restricted = await t.seed.group('restricted', { allowedDomains: ['restricted.test'] });
    const [disabledToken, restrictedToken, globexToken] = [await disabled.token(), await restricted.token(), await globex.token()];

    const cases: Array<[string, () => Promise<ScimResponse>, Expected]> = [
      ['no token', () => scimClient(t, '').get('/Users'), { status: 401, code: 'UnauthorizedRequest' }],
      ['a bad token', () => scimClient(t, 'not-a-token').get('/Users'), { status: 401, code: 'InvalidApiToken' }],
      ['a disabled API', () => scimClient(t, disabledToken).get('/Users'), { status: 403, code: 'ApiIsDisabled' }],
      ['an unknown user', () => c.get('/Users/no-such-id'), { status: 404 }],
      ['an unknown group', () => c.delete('/Groups/no-such-id'), { status: 404 }],
      ['an unknown endpoint', () => c.get('/Widgets'), { status: 404 }],
      ['a method the endpoint does not take', () => c.delete('/ServiceProviderConfig'), { status: 405 }],
      ['a taken userName', () => c.post('/Users', userBody('TAKEN@example.com', { emails: [{ value: 'other@example.com' }] })), { status: 409, scimType: 'uniqueness', code: 'UsernameAlreadyExists' }],
      ['the email of a user outside the group', () => c.post('/Users', userBody('outsider@example.com')), { status: 409, scimType: 'uniqueness', code: 'EmailAlreadyExists' }],
      ['a taken displayName', () => c.post('/Groups', { displayName: 'TAKEN' }), { status: 409, scimType: 'uniqueness' }],
      ['a bad filter', () => c.get(`/Users?filter=${encodeURIComponent('userName eq')}`), { status: 400, scimType: 'invalidFilter', code: 'InvalidInput' }],
      ['an unknown filter attribute', () => c.get(`/Users?filter=${encodeURIComponent('nickName eq "x"')}`), { status: 400, scimType: 'invalidFilter', code: 'InvalidInput' }],
      ['malformed JSON', () => c.post('/Users', undefined, { raw: '{"userName":' }), { status: 400, scimType: 'invalidSyntax', code: 'InvalidInput' }],
      ['a PATCH without Operations', () => c.patch(`/Users/${user.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'] }), { status: 400, scimType: 'invalidSyntax', code: 'InvalidInput' }],
      ['no userName', () => c.post('/Users', { emails: [{ value: 'x@example.com' }] }), { status: 400, scimType: 'invalidValue', code: 'InvalidInput' }],
      ['a count that is no integer', () => c.get('/Users?count=many'), { status: 400, scimType: 'invalidValue', code: 'InvalidInput' }],
      ['an email outside the allowed domains', () => scimClient(t, restrictedToken).post('/Users', userBody('x@example.com')), { status: 400, scimType: 'invalidValue', code: 'InvalidEmailDomain' }],
      ['a bad path', () => c.patch(`/Users/${user.id}`, patchOps({ op: 'replace', path: 'emails[type eq', value: 'x' })), { status: 400, scimType: 'invalidPath', code: 'InvalidInput' }],
      ['a Group path that is not kept', () => c.patch(`/Groups/${group.id}`, patchOps({ op: 'replace', path: 'name.givenName', value: 'x' })), { status: 400, scimType: 'invalidPath', code: 'InvalidInput' }],
      ['a remove without a path', () => c.patch(`/Users/${user.id}`, patchOps({ op: 'remove' })), { status: 400, scimType: 'noTarget', code: 'InvalidInput' }],
      ['removing the last admin', () => c.delete(`/Users/${user.id}`), { status: 400, scimType: 'mutability', code: 'InvalidInput' }],
      ['a stale If-Match', () => c.put(`/Users/${user.id}`, userBody('taken@example.com'), { headers: { 'if-match': 'W/"stale"' } }), { status: 412 }],
      ['a token on another group’s domain', () => scimOn(t, app.acme.host, globexToken, 'GET', '/Users'), { status: 400, code: 'InvalidRequestDomain' }],
      ['a Host that is no host', () => scimOn(t, 'bad host!', app.token, 'GET', '/Users'), { status: 400, scimType: 'invalidValue', code: 'InvalidInput' }],
    ];
    for (const [name, send, expected] of cases) {
      const res = await send();
      try {
        expectScimError(res, expected);
      } catch (error) {
        throw new Error(`${name}: ${(error as Error).message}`);
      }
    }
    // None of the refusals changed anything.
    expect((await c.get(`/Users/${user.id}`)).body).toMatchObject({ userName: 'taken@example.com', active: true, roles: [{ value: 'admin' }] });
    expect((await c.get('/Users')).body.totalResults).toBe(1);
  });
});
