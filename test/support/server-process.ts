/**
 * The real server in a child process, as `npm start` runs it: a free port, a
 * temporary SQLite file, and the demo group's API token read from its output.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const STARTUP_TIMEOUT_MS = 20_000;

export interface RunningServer {
  port: number;
  /** The bare domain, for the API: http://localhost:{port}. */
  origin: string;
  /** A group's domain: http://{slug}.localhost:{port}. */
  groupOrigin(slug: string): string;
  /** The API token of group `demo`, printed on first start. */
  demoToken: string;
  output(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  probe.close();
  await once(probe, 'close');
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

export async function startServer(): Promise<RunningServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'team-api-browser-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: `file:${join(dir, 'team-api.db')}`,
    PUBLIC_URL: `http://localhost:${port}`,
    SSO_SECRET: 'browser-test-secret-browser-test-secret',
    NODE_ENV: 'test',
  };
  delete env.BASE_DOMAIN;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: projectRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const demoToken = await waitForStart(child, () => output);
    return {
      port,
      origin: `http://localhost:${port}`,
      groupOrigin: (slug) => `http://${slug}.localhost:${port}`,
      demoToken,
      output: () => output,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Resolves with the demo token once the server listens and has printed it. */
function waitForStart(child: ChildProcess, output: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`server did not start in time:\n${output()}`)), STARTUP_TIMEOUT_MS);
    const poll = setInterval(check, 50);
    const onExit = () => done(new Error(`server exited during startup:\n${output()}`));
    child.once('exit', onExit);
    function check() {
      const token = /\b(tapi_[A-Za-z0-9_-]{43})\b/.exec(output());
      if (token && output().includes('listening on')) done(null, token[1]);
    }
    function done(error: Error | null, token?: string) {
      clearTimeout(timer);
      clearInterval(poll);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(token!);
    }
  });
}
