/**
 * Real server processes (`src/server.ts` under tsx) for tests about deployment:
 * several instances on one database. Each listens on a free port (PORT=0) and is
 * reached over HTTP with the Host header a browser would send.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface ServerProcess {
  port: number;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** POSTs a GraphQL operation with the given Host header (`{slug}.localhost`, port added). */
  gql<T = any>(
    query: string,
    options: { host: string; variables?: Record<string, unknown>; token?: string; cookie?: string },
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: T }>;
  stop(): Promise<void>;
}

/**
 * Starts `src/server.ts` with only the given environment (plus PATH/HOME), and
 * resolves once it listens. The server's own config rules apply: no SSO_SECRET
 * means the secret kept in the database, shared by every instance.
 */
export async function startServer(env: Record<string, string>, timeoutMs = 30_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`server did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = () => {
      const match = /listening on http:\/\/[^:\s]+:(\d+)/.exec(output);
      if (match) done(() => resolve(Number(match[1])));
    };
    const onExit = (code: number | null) => fail(new Error(`server exited (${code}) before listening:\n${output}`));
    function done(then: () => void) {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      then();
    }
    function fail(error: Error) {
      done(() => reject(error));
      child.kill('SIGKILL');
    }
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });

  return {
    port,
    output: () => output,
    gql: (query, options) => {
      const headers: Record<string, string> = { 'content-type': 'application/json', host: `${options.host}:${port}` };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      if (options.cookie) headers.cookie = options.cookie;
      return post(port, '/graphql', headers, JSON.stringify({ query, variables: options.variables }));
    },
    stop: () => stop(child),
  };
}

function post(
  port: number,
  path: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: any }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) });
        } catch {
          reject(new Error(`not JSON (${res.statusCode}): ${text}`));
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
