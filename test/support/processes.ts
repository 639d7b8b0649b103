/** Spawning the real entry points (server, CLI) for tests that must go through them. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HIGH_RATE_LIMITS } from './harness.ts';

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const tsxLoader = ['--import', 'tsx'];
/** The compiled build of this run (test/support/build.ts), or the sources through the loader without one. */
const buildDir = process.env.TEST_BUILD_DIR;
const entry = (source: string): string[] => (buildDir ? [join(buildDir, source.replace(/\.ts$/, '.js'))] : [...tsxLoader, source]);

export function tempDatabaseUrl(): string {
  return `file:${join(mkdtempSync(join(tmpdir(), 'team-api-')), 'test.db')}`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RunningServer {
  port: number;
  process: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output: () => string;
  /** The API token of group `demo`, when this start created it. */
  demoToken: string | null;
  /** The bare domain: http://localhost:{port}. */
  origin: string;
  /** A group's domain: http://{slug}.localhost:{port}. */
  groupOrigin(slug: string): string;
  /** POSTs a GraphQL operation over HTTP with the given Host (`{slug}.localhost`; the port is added). */
  gql<T = any>(
    query: string,
    options: { host: string; variables?: Record<string, unknown>; token?: string; cookie?: string },
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: T }>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts the server (compiled; with `source`, src/server.ts through the loader as
 * `npm start` does) on a fresh temporary SQLite file unless DATABASE_URL is given,
 * and resolves once it listens; rejects with its output if it exits or takes longer
 * than `timeoutMs`.
 */
export async function startServer(
  env: Record<string, string> = {},
  { source = false, timeoutMs = 30_000 }: { source?: boolean; timeoutMs?: number } = {},
): Promise<RunningServer> {
  const port = Number(env.PORT ?? (await freePort()));
  const child = spawn(process.execPath, source ? [...tsxLoader, 'src/server.ts'] : serverEntry, {
    cwd: projectRoot,
    env: {
      ...process.env,
      NODE_ENV: '',
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://localhost:${port}`,
      DATABASE_URL: tempDatabaseUrl(),
      ...HIGH_RATE_LIMITS,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    // The banner, and the demo token with it, arrive in one write.
    const onData = () => output.includes('listening on') && (cleanup(), resolve());
    const onExit = (code: number | null) => (cleanup(), reject(new Error(`server exited (${code}):\n${output}`)));
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
  return {
    port,
    process: child,
    output: () => output,
    demoToken: /\b(tapi_[A-Za-z0-9_-]{43})\b/.exec(output)?.[1] ?? null,
    origin: `http://localhost:${port}`,
    groupOrigin: (slug) => `http://${slug}.localhost:${port}`,
    gql(query, options) {
      const headers: Record<string, string> = { 'content-type': 'application/json', host: `${options.host}:${port}` };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      if (options.cookie) headers.cookie = options.cookie;
      return postJson(port, '/graphql', headers, JSON.stringify({ query, variables: options.variables }));
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return exited;
    },
  };
}

/** A POST over node:http (fetch would drop the Host header), answered with parsed JSON. */
function postJson(
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

/** Runs a command to completion, capturing its output. */
export async function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { cwd: projectRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

/** The server's and the admin CLI's entries, for `run(process.execPath, …)`. */
export const serverEntry = entry('src/server.ts');
export const adminEntry = entry('src/cli/admin.ts');
