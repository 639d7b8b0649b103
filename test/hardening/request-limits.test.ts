import { getIntrospectionQuery } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { CREATE_USER, LOGIN_WITH_SSO, VIEWER } from '../support/documents.ts';
import { createTestApp, envelopeOf, type TestApp, type TestResponse } from '../support/harness.ts';

const apps: TestApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((t) => t.close()));
});
async function app(env: Record<string, string> = {}) {
  const t = await createTestApp({ env });
  apps.push(t);
  return t;
}

/** The transport-level InvalidInput: 400, the catalog envelope, what was wrong in the top-level message. */
function expectInvalidInput(res: TestResponse, message?: RegExp) {
  expect(res.status).toBe(400);
  expect(res.body.data ?? null).toBeNull();
  for (const error of res.body.errors) expect(error.extensions).toMatchObject({ code: 'InvalidInput', error: envelopeOf('InvalidInput') });
  if (message) expect(res.body.errors.map((e: { message: string }) => e.message).join('\n')).toMatch(message);
}

const asTestResponse = async (response: Response): Promise<TestResponse> => ({
  status: response.status,
  headers: response.headers,
  body: await response.json(),
});

const nested = (depth: number) => `{ viewer { ${'user { '.repeat(depth)}username${' }'.repeat(depth)} } }`;
const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: viewer { token }`).join(' ')} }`;

describe('query limits (graphql-armor)', () => {
  it('refuses an operation deeper than GRAPHQL_MAX_DEPTH', async () => {
    const t = await app({ GRAPHQL_MAX_DEPTH: '3' });
    const refused = await t.gql(nested(4));
    expectInvalidInput(refused, /depth limit of 3 exceeded/);
    // The same document again is validated once: refused again, in the same words.
    expect((await t.gql(nested(4))).body).toEqual(refused.body);
    expect((await t.gql('{ viewer { user { username } } }')).status).toBe(200);
  });

  it('refuses more aliases than GRAPHQL_MAX_ALIASES', async () => {
    const t = await app({ GRAPHQL_MAX_ALIASES: '5' });
    expectInvalidInput(await t.gql(aliased(6)), /Aliases limit of 5 exceeded/);
    expect((await t.gql(aliased(5))).status).toBe(200);
  });

  it('stops parsing past GRAPHQL_MAX_TOKENS', async () => {
    const t = await app({ GRAPHQL_MAX_TOKENS: '50' });
    expectInvalidInput(await t.gql(`{ ${'__typename '.repeat(60)} }`), /Token limit of 50 exceeded/);
  });

  it('refuses an operation costlier than GRAPHQL_MAX_COST', async () => {
    const t = await app({ GRAPHQL_MAX_COST: '20', GRAPHQL_MAX_ALIASES: '100' });
    expectInvalidInput(await t.gql(aliased(10)), /Cost limit of 20 exceeded/);
  });

  it('refuses more directives than GRAPHQL_MAX_DIRECTIVES', async () => {
    const t = await app({ GRAPHQL_MAX_DIRECTIVES: '2' });
    expectInvalidInput(await t.gql('{ a: viewer @include(if: true) { token @skip(if: false) } b: __typename @skip(if: false) }'), /Directives limit of 2/);
  });

  it('lets every document the clients and tests use through the defaults, and GraphiQL’s introspection', async () => {
    const t = await app();
    for (const query of [VIEWER, LOGIN_WITH_SSO, CREATE_USER]) {
      const res = await t.gql(query, { variables: { token: 'x', input: { email: 'a@example.com' } } });
      expect(res.body.errors?.filter((e: { extensions: { code: string } }) => e.extensions.code === 'InvalidInput') ?? []).toEqual([]);
    }
    const introspection = await t.gql(getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true }));
    expect(introspection.status).toBe(200);
    expect(introspection.body.data.__schema.queryType.name).toBe('Query');
  });

  it('does not say what the limit is in production', async () => {
    const t = await app({ NODE_ENV: 'production', GRAPHQL_MAX_DEPTH: '3', GRAPHQL_MAX_ALIASES: '2', GRAPHQL_MAX_TOKENS: '40' });
    for (const query of [nested(4), aliased(3), `{ ${'__typename '.repeat(50)} }`]) {
      const res = await t.gql(query);
      expectInvalidInput(res, /Query validation error/);
      expect(JSON.stringify(res.body)).not.toMatch(/\b(3|2|40)\b/);
    }
  });
});

describe('field suggestions', () => {
  it.each([
    ['a field', '{ viewr { token } }'],
    ['a nested field', '{ viewer { usr { username } } }'],
    ['a type condition', '{ viewer { ... on Sesion { token } } }'],
    ['an argument', 'mutation { loginWithSSO(tokn: "x") { __typename } }'],
    ['an input type', 'mutation($i: CreateUserInpt!) { createUser(input: $i) { __typename } }'],
  ])('never suggests names for %s, in any mode', async (_what, query) => {
    for (const env of [{}, { NODE_ENV: 'development' }, { NODE_ENV: 'production' }] as Record<string, string>[]) {
      const t = await app(env);
      // Twice: the second answer comes from the document's remembered validation.
      for (const res of [await t.gql(query), await t.gql(query)]) {
        expectInvalidInput(res);
        expect(JSON.stringify(res.body)).not.toMatch(/did you mean/i);
      }
    }
  });

  it('never suggests input fields when a variable does not coerce', async () => {
    const t = await app();
    const token = await (await t.seed.group('acme')).token();
    const res = await t.gql(CREATE_USER, { token, variables: { input: { emial: 'a@example.com', email: 'a@example.com', usernme: 'x' } } });
    expectInvalidInput(res, /emial/);
    expect(JSON.stringify(res.body)).not.toMatch(/did you mean/i);
  });
});

describe('string length', () => {
  it('refuses a string variable over GRAPHQL_MAX_STRING_LENGTH before any resolver, even nested in an input', async () => {
    const t = await app({ GRAPHQL_MAX_STRING_LENGTH: '300' });
    const acme = await t.seed.group('acme');
    const token = await acme.token();
    const res = await t.gql(CREATE_USER, { token, variables: { input: { email: 'a@example.com', username: 'alice', firstName: 'x'.repeat(301) } } });
    expectInvalidInput(res, /Variable "\$input" is too long/);
    expect(await t.count('users')).toBe(0);
    expectInvalidInput(await t.gql(LOGIN_WITH_SSO, { variables: { token: 'x'.repeat(301) } }), /too long/);
    // Within this limit, the domain's own tighter limits answer in the union.
    const domain = await t.gql(CREATE_USER, { token, variables: { input: { email: 'a@example.com', username: 'alice', firstName: 'x'.repeat(101) } } });
    expect(domain.body.data.createUser).toMatchObject({ __typename: 'InvalidInput', field: 'firstName' });
  });

  it('refuses a string written in the document over the limit', async () => {
    const t = await app({ GRAPHQL_MAX_STRING_LENGTH: '300' });
    expectInvalidInput(await t.gql(`mutation { loginWithSSO(token: "${'x'.repeat(301)}") { __typename } }`), /string argument is too long/);
    expectInvalidInput(await t.gql(`mutation { loginWithSSO(token: """${'x'.repeat(301)}""") { __typename } }`), /too long/);
  });

  it('keeps the documented answer for a long SSO token under the default limit', async () => {
    const t = await app();
    const res = await t.gql(LOGIN_WITH_SSO, { host: 'acme.localhost', variables: { token: 'x'.repeat(5000) } });
    expect(res.body.data.loginWithSSO.__typename).toBe('SSOTokenFailedToParse');
  });
});

describe('body size', () => {
  const big = (bytes: number) => JSON.stringify({ query: VIEWER, variables: { pad: 'x'.repeat(bytes) } });

  it('refuses a declared Content-Length over MAX_BODY_BYTES unread, closing the connection', async () => {
    const t = await app({ MAX_BODY_BYTES: '1024' });
    const body = big(2000);
    const res = await t.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      body,
    });
    expect(res.headers.get('connection')).toBe('close');
    expectInvalidInput(await asTestResponse(res), /at most 1024 bytes/);
  });

  it('counts a streamed body without Content-Length and refuses it once over', async () => {
    const t = await app({ MAX_BODY_BYTES: '1024' });
    const chunk = new TextEncoder().encode('x'.repeat(512));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 100) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await t.request('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
    expectInvalidInput(await asTestResponse(res), /at most 1024 bytes/);
    // It stopped reading long before the end.
    expect(sent).toBeLessThan(100);
  });

  it('answers REST paths in the REST envelope', async () => {
    const t = await app({ MAX_BODY_BYTES: '1024' });
    const res = await t.request('/-/api/user/create', { method: 'POST', headers: { 'content-type': 'application/json' }, body: big(2000) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: envelopeOf('InvalidInput'), details: { field: 'body' } });
  });

  it('accepts a body at the limit, and hides the figure in production', async () => {
    const t = await app({ MAX_BODY_BYTES: '1024' });
    const body = JSON.stringify({ query: VIEWER }).padEnd(1024, ' ');
    expect((await t.request('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status).toBe(200);
    const prod = await app({ MAX_BODY_BYTES: '1024', NODE_ENV: 'production' });
    const res = await asTestResponse(await prod.request('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: big(2000) }));
    expectInvalidInput(res, /too large/);
    expect(JSON.stringify(res.body)).not.toMatch(/1024/);
  });
});

describe('batching', () => {
  it('refuses an array of operations as InvalidInput', async () => {
    const t = await app();
    const res = await t.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: VIEWER }, { query: VIEWER }]),
    });
    expectInvalidInput(await asTestResponse(res), /Batching/);
  });
});

describe('introspection and GraphiQL', () => {
  const introspect = (t: TestApp) => t.gql('{ __schema { queryType { name } } }');
  const typeQuery = (t: TestApp) => t.gql('{ __type(name: "User") { name } }');
  const graphiql = (t: TestApp) => t.request('/graphql', { headers: { accept: 'text/html' } });

  it('are on by default outside production', async () => {
    const t = await app();
    expect((await introspect(t)).body.data.__schema.queryType.name).toBe('Query');
    expect((await graphiql(t)).headers.get('content-type')).toMatch(/text\/html/);
  });

  it('are off by default in production: __schema and __type are InvalidInput, no GraphiQL page', async () => {
    const t = await app({ NODE_ENV: 'production' });
    expectInvalidInput(await introspect(t), /introspection has been disabled/);
    expectInvalidInput(await typeQuery(t), /introspection has been disabled/);
    expect((await t.gql('{ __typename }')).body.data).toEqual({ __typename: 'Query' });
    const page = await graphiql(t);
    expect(page.headers.get('content-type')).not.toMatch(/text\/html/);
    expect(page.status).toBe(400);
  });

  it('follow INTROSPECTION and GRAPHIQL when set', async () => {
    const prodOn = await app({ NODE_ENV: 'production', INTROSPECTION: 'true', GRAPHIQL: 'true' });
    expect((await introspect(prodOn)).status).toBe(200);
    expect((await graphiql(prodOn)).headers.get('content-type')).toMatch(/text\/html/);
    const devOff = await app({ INTROSPECTION: 'false', GRAPHIQL: 'false' });
    expectInvalidInput(await introspect(devOff));
    expect((await graphiql(devOff)).headers.get('content-type')).not.toMatch(/text\/html/);
  });
});

describe('malformed request parameters', () => {
  it('answers InvalidInput, not InternalError, for variables or extensions that are not JSON (GET and form posts)', async () => {
    const t = await app();
    const query = encodeURIComponent(VIEWER);
    for (const params of [`variables=%7B`, `extensions=nope`, `variables=%7B%22a%22%3A`]) {
      const res = await t.request(`/graphql?query=${query}&${params}`, { headers: { accept: 'application/json' } });
      expectInvalidInput(await asTestResponse(res), /not valid JSON/);
    }
    const form = await t.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `query=${query}&variables=%5B`,
    });
    // (Refused as InvalidInput either way: as broken JSON here, or earlier as a form post where CSRF prevention is on.)
    expectInvalidInput(await asTestResponse(form));
  });
});
