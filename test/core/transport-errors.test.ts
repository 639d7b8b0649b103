import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/errors/catalog.ts';
import { CREATE_SSO_TOKEN, CREATE_USER, GROUP } from '../support/documents.ts';
import { createTestApp, envelopeOf, type GroupSeed, type TestApp, type TestResponse } from '../support/harness.ts';
import { CLI_CALLER } from '../../src/domain/events.ts';

let t: TestApp;
let acme: GroupSeed;
let token: string;

beforeEach(async () => {
  t = await createTestApp();
  acme = await t.seed.group('acme', { title: 'Acme' });
  token = await acme.token();
});
afterEach(() => t.close());

/** Asserts a transport-level failure: HTTP status, envelope in extensions, no data for the field. */
function expectTransportError(res: TestResponse, code: ErrorCode, options: { message?: string | RegExp } = {}) {
  const envelope = envelopeOf(code);
  expect(res.status).toBe(envelope.status);
  const [error] = res.body.errors;
  expect(error.extensions).toEqual({ code, error: envelope });
  if (options.message instanceof RegExp) expect(error.message).toMatch(options.message);
  else expect(error.message).toBe(options.message ?? envelope.message);
}

const createUser = (opts: Parameters<TestApp['gql']>[1]) =>
  t.gql(CREATE_USER, { ...opts, variables: { input: { email: 'a@example.com', username: 'alice' } } });

describe('API token checks', () => {
  it('answers the token’s group', async () => {
    const res = await t.gql(GROUP, { token });
    expect(res.status).toBe(200);
    expect(res.body.data.group).toEqual({ slug: 'acme', title: 'Acme', isApiEnabled: true, allowedDomains: [] });
  });

  it('UnauthorizedRequest (401) without an Authorization: Bearer header, on every operation that needs one', async () => {
    for (const query of [GROUP, CREATE_SSO_TOKEN, CREATE_USER]) {
      const res = await t.gql(query, { variables: { username: 'alice', input: { email: 'a@example.com' } } });
      expectTransportError(res, 'UnauthorizedRequest');
    }
    const basic = await createUser({ headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expectTransportError(basic, 'UnauthorizedRequest');
    expect(basic.body.errors[0].path).toEqual(['createUser']);
    expect(basic.body.data).toBeNull();
  });

  it('InvalidApiToken (400) for malformed, unknown and revoked tokens', async () => {
    expectTransportError(await createUser({ token: 'nope' }), 'InvalidApiToken');
    expectTransportError(await createUser({ headers: { authorization: 'Bearer ' } }), 'InvalidApiToken');
    expectTransportError(await createUser({ token: `tapi_${'A'.repeat(43)}` }), 'InvalidApiToken');
    expectTransportError(await createUser({ token: token.slice(0, -1) }), 'InvalidApiToken');
    const [listed] = await t.app.services.apiTokens.list(acme.group);
    await t.app.services.apiTokens.revoke(acme.group, listed!.id, CLI_CALLER);
    expectTransportError(await createUser({ token }), 'InvalidApiToken');
  });

  it('GroupNotFound (403) once the token’s group is deleted', async () => {
    await t.app.services.groups.delete('acme', CLI_CALLER);
    expectTransportError(await createUser({ token }), 'GroupNotFound');
    expectTransportError(await t.gql(GROUP, { token }), 'GroupNotFound');
  });

  it('ApiIsDisabled (403) when the group has its API switched off', async () => {
    await t.app.services.groups.update(acme.group, { isApiEnabled: false }, CLI_CALLER);
    expectTransportError(await createUser({ token }), 'ApiIsDisabled');
  });

  it('InvalidRequestDomain (400) for a token used on another group’s domain', async () => {
    await t.seed.group('other');
    expectTransportError(await createUser({ token, host: 'other.localhost:4000' }), 'InvalidRequestDomain');
    expectTransportError(await createUser({ token, host: 'a.b.localhost' }), 'InvalidRequestDomain');
    // The bare domain and the token's own domain are fine.
    expect((await t.gql(GROUP, { token, host: 'localhost' })).status).toBe(200);
    expect((await t.gql(GROUP, { token, host: 'ACME.localhost.' })).status).toBe(200);
  });
});

describe('request failures', () => {
  const post = (body: string, contentType = 'application/json') =>
    t.request('/graphql', { method: 'POST', headers: { 'content-type': contentType }, body });
  const asTestResponse = async (response: Response): Promise<TestResponse> => ({
    status: response.status,
    headers: response.headers,
    body: await response.json(),
  });

  it('InvalidInput (400) for a syntax error, saying what was wrong', async () => {
    expectTransportError(await t.gql('{ group ', { token }), 'InvalidInput', { message: /^Syntax Error/ });
  });

  it('InvalidInput (400) for a query that fails validation', async () => {
    expectTransportError(await t.gql('{ nope }', { token }), 'InvalidInput', { message: /Cannot query field "nope"/ });
  });

  it('InvalidInput (400) for variables that do not coerce', async () => {
    const res = await t.gql(CREATE_USER, { token, variables: { input: { email: 5, username: ['x'] } } });
    expectTransportError(res, 'InvalidInput', { message: /Variable "\$input"/ });
    const missing = await t.gql(CREATE_USER, { token, variables: {} });
    expectTransportError(missing, 'InvalidInput', { message: /Variable "\$input"/ });
  });

  it('InvalidInput (400) for a malformed or non-object JSON body', async () => {
    const anyMessage = { message: /./ };
    expectTransportError(await asTestResponse(await post('{"query": ')), 'InvalidInput', { message: /invalid JSON/ });
    expectTransportError(await asTestResponse(await post('[1,')), 'InvalidInput', anyMessage);
    expectTransportError(await asTestResponse(await post('"just a string"')), 'InvalidInput', anyMessage);
    expectTransportError(await asTestResponse(await post('{"query": 42}')), 'InvalidInput', anyMessage);
    expectTransportError(await asTestResponse(await post('query=%7Bgroup%7D', 'text/plain')), 'InvalidInput', anyMessage);
  });

  it('InvalidInput (400) for a mutation over GET', async () => {
    const res = await t.request(`/graphql?query=${encodeURIComponent('mutation { logout }')}`, {
      headers: { accept: 'application/json' },
    });
    expectTransportError(await asTestResponse(res), 'InvalidInput', { message: /POST/ });
  });

  it('MissingRequiredQueryParameter (400) for GET /graphql without a query from a non-browser client', async () => {
    const res = await t.request('/graphql', { headers: { accept: 'application/json' } });
    expectTransportError(await asTestResponse(res), 'MissingRequiredQueryParameter');
  });

  it('serves GraphiQL to a browser instead', async () => {
    const res = await t.request('/graphql', { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('createUser');
    expect(html).not.toMatch(/https?:\/\/(unpkg|cdn)/);
  });

  it('answers queries over GET', async () => {
    const res = await t.request(`/graphql?query=${encodeURIComponent('{ viewer { token } }')}`, {
      headers: { accept: 'application/json' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { viewer: null } });
  });

  it('runs the operation named, of a document holding two, over GET and POST alike', async () => {
    const document = 'query A { __typename } query B { viewer { token } }';
    const answers = { A: { data: { __typename: 'Query' } }, B: { data: { viewer: null } } };
    for (const name of ['A', 'B', 'A', 'B'] as const) {
      const viaGet = await t.request(`/graphql?query=${encodeURIComponent(document)}&operationName=${name}`, {
        headers: { accept: 'application/json' },
      });
      expect(await viaGet.json()).toEqual(answers[name]);
      const viaPost = await t.request('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: document, operationName: name }),
      });
      expect(await viaPost.json()).toEqual(answers[name]);
    }
  });

  it('takes the HTTP status from the first error', async () => {
    // Two fields fail: the first for want of a token (401).
    const res = await t.gql('{ a: group { slug } b: group { slug } }');
    expect(res.status).toBe(401);
    expect(res.body.errors).toHaveLength(2);
    for (const error of res.body.errors) expect(error.extensions.code).toBe('UnauthorizedRequest');
  });

  it('answers /health', async () => {
    const res = await t.request('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});
