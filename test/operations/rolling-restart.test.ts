/**
 * A rolling restart (API.md §17, SHUTDOWN_DRAIN_SECONDS): after SIGTERM the server
 * answers /ready 503 at once but keeps accepting and serving for the drain, so a
 * load balancer that has not yet seen /ready fail sends it nothing that is lost.
 * A stream of clients, each on a new connection, runs across the signal: none is
 * reset or refused, and the process exits 0.
 */
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../support/processes.ts';

let running: RunningServer | null = null;
afterEach(async () => {
  await running?.stop('SIGKILL');
  running = null;
});

interface Outcome {
  status?: number;
  error?: string;
}

/** One GET on a connection of its own (no keep-alive pool), with its outcome. */
function getOnce(port: number, path: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false, headers: { host: `localhost:${port}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode! }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end();
  });
}

describe('a rolling restart with SHUTDOWN_DRAIN_SECONDS', () => {
  it('resets and refuses no connection across SIGTERM, answers /ready 503 while draining, and exits 0', async () => {
    running = await startServer({ SHUTDOWN_DRAIN_SECONDS: '3' });
    const { port } = running;
    const exited = new Promise<number | null>((resolve) => running!.process.once('exit', (code) => resolve(code)));
    const outcomes: Outcome[] = [];
    const readiness: number[] = [];
    let signalled = false;
    let stop = false;

    // Eight clients in a loop, each request on a fresh connection, as a load balancer's would be.
    const clients = Array.from({ length: 8 }, async () => {
      while (!stop) {
        const outcome = await getOnce(port, '/health');
        outcomes.push(outcome);
        if (signalled) {
          const ready = await getOnce(port, '/ready');
          if (ready.status !== undefined) readiness.push(ready.status);
          else outcomes.push(ready);
        }
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    running.process.kill('SIGTERM');
    // The signal arrives when it arrives: /ready is held to 503 from the server's word that it drains.
    const draining = /"msg":"draining: \/ready answers 503, still accepting"/;
    while (!draining.test(running.output())) await new Promise((resolve) => setTimeout(resolve, 5));
    signalled = true;
    // The load balancer stops sending once it has seen /ready fail, well within the drain.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    stop = true;
    await Promise.all(clients);
    const code = await exited;

    const failures = outcomes.filter((o) => o.error !== undefined || o.status !== 200);
    expect(failures, running.output()).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(50);
    expect(readiness.length).toBeGreaterThan(0);
    expect(new Set(readiness)).toEqual(new Set([503]));
    expect(code, running.output()).toBe(0);
    expect(running.output()).toMatch(draining);
  }, 60_000);
});
