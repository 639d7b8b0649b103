/**
 * Nothing secret is ever logged (API.md §15). A real server process at LOG_LEVEL=debug
 * gets every kind of request (GraphQL on the fast and the full path, REST, the login
 * URL, pages, GraphiQL, refusals, an unexpected storage failure, bytes that are not
 * HTTP) with secrets in every place a client can put them: headers, cookies, bodies,
 * query strings, variables. Then everything the process wrote is searched for each
 * secret, including the session it handed out. Every request's line must be there,
 * so a server that logged nothing could not pass.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_CALLER } from '../../src/domain/events.ts';
import { injectFault } from '../support/databases.ts';
import { CREATE_SSO_TOKEN, CREATE_USER, LOGIN_WITH_SSO, VIEWER } from '../support/documents.ts';
import { HttpClient, type RawRequest } from '../support/http-client.ts';
import { type RunningServer, startServer } from '../support/processes.ts';
import { type ServerDatabase, serverDatabase } from '../support/server-database.ts';

let database: ServerDatabase;
let running: RunningServer;
let client: HttpClient;

beforeAll(async () => {
  database = await serverDatabase();
  await database.acme.user('alice', { email: 'alice.secret@example.com' });
  running = await startServer({ ...database.env, LOG_LEVEL: 'debug' });
  client = new HttpClient(running.port, 4);
}, 60_000);

afterAll(async () => {
  client?.close();
  await running?.stop();
  await database?.close();
});

const random = () => randomBytes(18).toString('base64url');

describe('logs', () => {
  it('hold no token, cookie, Authorization, SSO token, session, webhook secret or email, whatever the request', async () => {
    const { acme, token } = database;
    const acmeHost = `acme.localhost:${running.port}`;
    const json = { 'content-type': 'application/json' };
    const webhookSecret = `whsec_${random()}`;
    const forgedToken = `tapi_${random()}${random()}`.slice(0, 48);
    const forgedSession = random();
    const otherCookie = random();
    const basicAuth = Buffer.from(`admin:${random()}`).toString('base64');
    const headerSecret = random();
    const querySecret = random();
    const ssoTokens = await Promise.all(Array.from({ length: 5 }, () => acme.ssoToken('alice')));
    const emails = ['alice.secret@example.com', 'grace.rest@example.com', 'ada.graphql@example.com', 'fault.victim@example.com', 'huge.body@example.com'];
    const secrets = [token, webhookSecret, forgedToken, forgedSession, otherCookie, basicAuth, headerSecret, querySecret, ...ssoTokens, ...emails];

    const sentIds: string[] = [];
    const send = async (request: RawRequest) => {
      const id = `secret-test-${sentIds.length}`;
      sentIds.push(id);
      return client.send({ ...request, headers: { ...request.headers, 'x-request-id': id } });
    };
    const everywhere = {
      cookie: `session=${forgedSession}; theme=${otherCookie}`,
      'x-api-key': headerSecret,
      'x-webhook-secret': webhookSecret,
    };
    const gqlBody = (query: string, variables: Record<string, unknown> = {}) =>
      JSON.stringify({ query, variables: { ...variables, webhookSecret }, extensions: { secret: headerSecret } });

    // GraphQL, fast path: provisioning with a token, in the body, the query string and every header.
    const created = await send({
      method: 'POST',
      path: `/graphql?token=${querySecret}`,
      headers: { ...json, ...everywhere, authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: CREATE_USER, variables: { input: { email: 'ada.graphql@example.com', username: 'ada-graphql' } } }),
    });
    expect(JSON.parse(created.text).data.createUser.__typename).toBe('CreateUserSuccess');
    await send({ method: 'POST', path: '/graphql', headers: { ...json, ...everywhere, authorization: `Bearer ${forgedToken}` }, body: gqlBody(CREATE_SSO_TOKEN, { username: 'alice' }) });
    await send({ method: 'POST', path: '/graphql', headers: { ...json, authorization: `Basic ${basicAuth}` }, body: gqlBody(VIEWER) });
    // A sign-in: the SSO token in the variables, the new session in the answer's cookie.
    const login = await send({ method: 'POST', path: '/graphql', headers: { ...json, ...everywhere, host: acmeHost }, body: JSON.stringify({ query: LOGIN_WITH_SSO, variables: { token: ssoTokens[0] } }) });
    const session = /session=([^;]+)/.exec(String(login.headers['set-cookie']))?.[1];
    expect(session).toBeDefined();
    secrets.push(session!, JSON.parse(login.text).data.loginWithSSO.session.token);
    await send({ method: 'POST', path: '/graphql', headers: { ...json, host: acmeHost, cookie: `session=${session}` }, body: gqlBody(VIEWER) });

    // GraphQL, full path: GET with the secrets in the query string, CORS, a form post, a variable of the wrong type.
    const getQuery = `/graphql?query=${encodeURIComponent(LOGIN_WITH_SSO)}&variables=${encodeURIComponent(JSON.stringify({ token: ssoTokens[1] }))}&secret=${querySecret}`;
    await send({ method: 'GET', path: getQuery, headers: { ...everywhere, accept: 'application/json', authorization: `Bearer ${token}` } });
    await send({ method: 'POST', path: '/graphql', headers: { ...json, ...everywhere, host: acmeHost, origin: 'https://elsewhere.example' }, body: JSON.stringify({ query: LOGIN_WITH_SSO, variables: { token: ssoTokens[2] } }) });
    await send({ method: 'POST', path: '/graphql', headers: { 'content-type': 'application/x-www-form-urlencoded', ...everywhere }, body: `query=${encodeURIComponent(VIEWER)}&token=${ssoTokens[3]}` });
    await send({ method: 'POST', path: '/graphql', headers: { ...json, authorization: `Bearer ${token}` }, body: JSON.stringify({ query: CREATE_USER, variables: { input: { email: 42, username: webhookSecret } } }) });
    await send({ method: 'POST', path: '/graphql', headers: { ...json, authorization: `Bearer ${token}` }, body: `{"query": "${headerSecret}` });

    // REST: both routes, and the login URL with its token in the query string (as a browser opens it).
    await send({ method: 'POST', path: '/-/api/user/create', headers: { ...json, ...everywhere, authorization: `Bearer ${token}` }, body: JSON.stringify({ email: 'grace.rest@example.com', username: 'grace-rest', webhookSecret }) });
    await send({ method: 'POST', path: '/-/api/ssotoken/create', headers: { ...json, authorization: `Bearer ${token}` }, body: JSON.stringify({ username: 'alice' }) });
    await send({ method: 'POST', path: '/-/api/ssotoken/create', headers: { ...json, authorization: `Bearer ${forgedToken}` }, body: JSON.stringify({ username: 'alice', secret: querySecret }) });
    const browserLogin = await send({ method: 'GET', path: `/-/api/ssotoken/login?token=${ssoTokens[4]}`, headers: { host: acmeHost, accept: 'text/html', ...everywhere } });
    expect(browserLogin.status).toBe(302);
    secrets.push(/session=([^;]+)/.exec(String(browserLogin.headers['set-cookie']))![1]!);
    await send({ method: 'GET', path: `/-/api/ssotoken/login?token=${ssoTokens[4]}`, headers: { host: acmeHost, accept: 'text/html' } });
    // A token minted to be confirmed: the page that holds it, then its form posting it back.
    const { token: confirmToken } = await database.t.app.services.signIn.createSsoToken(acme.group, 'alice', { requireConfirmation: true }, CLI_CALLER);
    secrets.push(confirmToken);
    const page = await send({ method: 'GET', path: `/-/api/ssotoken/login?token=${confirmToken}`, headers: { host: acmeHost, accept: 'text/html' } });
    expect(page.status).toBe(200);
    const confirmedLogin = await send({
      method: 'POST',
      path: '/-/api/ssotoken/login',
      headers: { host: acmeHost, origin: `http://${acmeHost}`, 'content-type': 'application/x-www-form-urlencoded', cookie: `theme=${otherCookie}` },
      body: new URLSearchParams({ token: confirmToken }).toString(),
    });
    expect(confirmedLogin.status, confirmedLogin.text).toBe(302);
    secrets.push(/session=([^;]+)/.exec(String(confirmedLogin.headers['set-cookie']))![1]!);

    // Pages, GraphiQL, health and readiness, with secrets in cookies and query strings.
    await send({ method: 'GET', path: `/?token=${querySecret}`, headers: { host: acmeHost, cookie: `session=${session}; theme=${otherCookie}` } });
    await send({ method: 'POST', path: '/-/sign-out', headers: { host: acmeHost, cookie: `session=${session}` } });
    await send({ method: 'GET', path: `/graphql?token=${querySecret}`, headers: { accept: 'text/html', ...everywhere } });
    await send({ method: 'GET', path: `/health?token=${querySecret}`, headers: everywhere });
    await send({ method: 'GET', path: `/ready?token=${querySecret}`, headers: everywhere });

    // Refusals: a body too large, a Host that is no host, a path that is no route.
    const huge = JSON.stringify({ query: CREATE_USER, variables: { input: { email: 'huge.body@example.com', username: 'huge' }, pad: 'x'.repeat(70_000) } });
    await send({ method: 'POST', path: '/graphql', headers: { ...json, authorization: `Bearer ${token}` }, body: huge });
    await send({ method: 'POST', path: '/graphql', headers: { ...json, host: '../../', authorization: `Bearer ${token}` }, body: gqlBody(VIEWER) });
    await send({ method: 'GET', path: `/-/api/nothing?token=${querySecret}`, headers: everywhere });

    // An unexpected failure: the database refuses the insert, and its error would carry the email.
    const heal = await injectFault(database.db.store, 'users');
    const failed = await send({
      method: 'POST',
      path: '/graphql',
      headers: { ...json, authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: CREATE_USER, variables: { input: { email: 'fault.victim@example.com', username: 'fault-victim', firstName: webhookSecret } } }),
    });
    expect(JSON.parse(failed.text).data.createUser.__typename).toBe('FailedToCreateUser');
    await heal();

    // Bytes that are not HTTP, carrying a token.
    await new Promise<void>((resolve, reject) => {
      const socket = connect(running.port, '127.0.0.1', () => socket.end(`BOGUS /graphql?token=${querySecret} HTTP/9\r\nAuthorization: Bearer ${token}\r\n\r\n`));
      socket.on('data', () => {});
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });

    // Stopping the server writes out whatever pino still buffers.
    expect(await running.stop()).toBe(0);
    const output = running.output();
    const lines = output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
    const loggedIds = new Set(lines.map((line) => line.requestId));
    expect(sentIds.filter((id) => !loggedIds.has(id))).toEqual([]);
    const unexpected = lines.find((line) => line.requestId === sentIds.at(-1));
    expect(unexpected).toMatchObject({ level: 'error', code: 'FailedToCreateUser' });
    expect(unexpected.err.stack).toMatch(/\n\s+at /);

    for (const secret of secrets) {
      expect(output.includes(secret), `a secret was logged: ${secret.slice(0, 12)}…`).toBe(false);
      expect(output.toLowerCase().includes(secret.toLowerCase()), `a secret was logged: ${secret.slice(0, 12)}…`).toBe(false);
    }
  }, 60_000);
});
