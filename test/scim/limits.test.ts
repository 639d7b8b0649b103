/** SCIM under the limits every route has (API.md §18): the write rate limit, the body limit, and masked failures. */
import { afterEach, describe, expect, it } from 'vitest';
import { envelopeOf } from '../../src/errors/catalog.ts';
import { acmeApp, type TestApp } from '../support/harness.ts';
import { errorOf, patchOps, scimClient, userBody } from '../support/scim.ts';

let t: TestApp;
afterEach(() => t.close());

describe('SCIM and the limits', () => {
  it('counts writes against RATE_LIMIT_WRITES: 429 in the SCIM error schema with Retry-After; reads are not counted', async () => {
    const app = await acmeApp({ env: { RATE_LIMIT_WRITES: '2' } });
    t = app.t;
    const c = scimClient(t, app.token);
    const first = await c.post('/Users', userBody('one@example.com'));
    expect(first.status).toBe(201);
    expect((await c.patch(`/Users/${first.body.id}`, patchOps({ op: 'replace', path: 'active', value: false }))).status).toBe(200);
    const third = await c.post('/Users', userBody('three@example.com'));
    expect(errorOf(third)).toEqual({ status: 429, scimType: null, code: 'TooManyRequests', keys: ['detail', 'schemas', 'status'] });
    expect(third.body).toEqual({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '429', detail: envelopeOf('TooManyRequests').message });
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await t.count('users')).toBe(1);
    for (let i = 0; i < 5; i++) expect((await c.get('/Users')).status).toBe(200);
  });

  it('refuses a body over MAX_BODY_BYTES: 413, no scimType, nothing written', async () => {
    const app = await acmeApp({ env: { MAX_BODY_BYTES: '2048' } });
    t = app.t;
    const c = scimClient(t, app.token);
    const res = await c.post('/Users', userBody('big@example.com', { title: 'x'.repeat(4096) }));
    expect(errorOf(res)).toEqual({ status: 413, scimType: null, code: 'InvalidInput', keys: ['detail', 'schemas', 'status'] });
    expect(res.body.detail).toBe(envelopeOf('InvalidInput').message);
    expect(await t.count('users')).toBe(0);
  });

  it('masks an unexpected failure: 500 InternalError, no SQL, stack or path, nothing written', async () => {
    const app = await acmeApp();
    t = app.t;
    const c = scimClient(t, app.token);
    const cure = await t.breakTable('scim_users');
    const res = await c.post('/Users', userBody('broken@example.com'));
    await cure();
    expect(errorOf(res)).toEqual({ status: 500, scimType: null, code: 'InternalError', keys: ['detail', 'schemas', 'status'] });
    expect(res.body.detail).toBe(envelopeOf('InternalError').message);
    expect(JSON.stringify(res.body)).not.toMatch(/scim_users|SELECT|INSERT|\.ts|at /);
    expect(await t.count('users')).toBe(0);
    expect((await c.post('/Users', userBody('broken@example.com'))).status).toBe(201);
  });

  it('answers the token’s group whatever the Host; a token of another group sees none of this one', async () => {
    const app = await acmeApp();
    t = app.t;
    const globex = await t.seed.group('globex');
    await scimClient(t, app.token).post('/Users', userBody('mine@example.com'));
    const other = scimClient(t, await globex.token());
    expect((await other.get('/Users')).body.totalResults).toBe(0);
    const mine = (await scimClient(t, app.token).get('/Users')).body.Resources[0].id;
    expect((await other.get(`/Users/${mine}`)).status).toBe(404);
    expect((await other.delete(`/Users/${mine}`)).status).toBe(404);
  });
});
