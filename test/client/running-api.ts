/**
 * A real server process for the typed client's tests, on a database of the run's
 * dialect seeded with group `acme` and an API token, and clients of it: the
 * group's backend (API token, the platform's fetch, on the bare domain), a
 * browser-like caller on acme's domain, and a signed-in admin.
 */
import { TeamApiClient, type TeamApiClientOptions } from '../../client/src/index.ts';
import { loopbackFetch } from '../support/loopback-fetch.ts';
import { type RunningServer, startServer } from '../support/processes.ts';
import { type ServerDatabase, serverDatabase } from '../support/server-database.ts';

export interface RunningApi {
  server: RunningServer;
  database: ServerDatabase;
  token: string;
  /** The bare domain's endpoint, http://localhost:{port}/graphql. */
  url: string;
  /** acme's backend: its API token, on the bare domain, with the platform's fetch. */
  backend(options?: Partial<TeamApiClientOptions>): TeamApiClient;
  /** A caller on a group's own domain (no credentials unless given), as a browser or app is. */
  onGroupDomain(slug: string, options?: Partial<TeamApiClientOptions>): TeamApiClient;
  /** Signs `username` in with an SSO token the backend mints: a client with that session, on acme's domain. */
  signIn(username: string): Promise<TeamApiClient>;
  /** Kills the server at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and database. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startApi(env: Record<string, string> = {}): Promise<RunningApi> {
  const database = await serverDatabase();
  let server: RunningServer;
  try {
    server = await startServer({ ...database.env, ...env });
  } catch (error) {
    await database.close();
    throw error;
  }
  const port = server.port;
  const url = `http://localhost:${port}/graphql`;
  const api: RunningApi = {
    get server() {
      return server;
    },
    database,
    token: database.token,
    url,
    backend: (options = {}) => new TeamApiClient({ url, apiToken: database.token, ...options }),
    onGroupDomain: (slug, options = {}) =>
      new TeamApiClient({ url: `http://${slug}.localhost:${port}/graphql`, fetch: loopbackFetch(port), ...options }),
    async signIn(username) {
      const minted = await api.backend().createSSOToken(username);
      if (minted.__typename !== 'CreateSSOTokenSuccess') throw new Error(`createSSOToken(${username}): ${minted.__typename}`);
      const site = api.onGroupDomain('acme');
      const login = await site.loginWithSSO(minted.token);
      if (login.__typename !== 'LoginWithSSOSuccess' || !login.session.token) throw new Error(`loginWithSSO: ${login.__typename}`);
      return site.withOptions({ sessionToken: login.session.token });
    },
    async kill() {
      await server.stop('SIGKILL');
    },
    async start() {
      server = await startServer({ ...database.env, ...env, PORT: String(port) });
    },
    async close() {
      await server.stop('SIGKILL');
      await database.close();
    },
  };
  return api;
}
