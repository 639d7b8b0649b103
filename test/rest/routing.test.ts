import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/harness.ts';
import { get } from '../support/rest.ts';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
});
afterEach(() => t.close());

describe('routes under /-/api/', () => {
  it('answers an unknown route with a JSON 404 that names no catalog code', async () => {
    const res = await get(t, '/-/api/user/delete');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { status: 404, message: expect.any(String) } });
  });

  it('answers a known route with the wrong method with 405 and Allow', async () => {
    const createUser = await get(t, '/-/api/user/create');
    expect(createUser.status).toBe(405);
    expect(createUser.headers.get('allow')).toBe('POST');
    expect(createUser.body.error.status).toBe(405);

    const login = await t.request('/-/api/ssotoken/login?token=x', { method: 'PUT' });
    expect(login.status).toBe(405);
    expect(login.headers.get('allow')).toBe('GET, HEAD, POST');
    expect(login.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('does not treat object keys as routes, or as methods', async () => {
    expect((await get(t, '/-/api/constructor')).status).toBe(404);
    const method = await t.request('/-/api/ssotoken/login?token=x', { method: 'constructor' });
    expect(method.status).toBe(405);
  });
});
