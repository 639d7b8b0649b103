/**
 * One load run with autocannon against a URL, sampling the server's resident memory
 * meanwhile, and reading the CPU time its processes used over the run.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  method?: 'GET' | 'POST' | 'PATCH';
  headers?: Record<string, string>;
  body?: string;
  /** Builds each request's body (for operations that need unique input). */
  nextBody?: () => string;
  /** Builds headers each request adds (an idempotency key per request). */
  nextHeaders?: () => Record<string, string>;
  /** Builds each request's path and query (for reads that look up a different row each time). */
  nextPath?: () => string;
  connections: number;
  durationSeconds: number;
  /** Process ids whose RSS is summed and sampled during the run. */
  pids: number[];
}

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMb: number;
  requests: number;
  errors: number;
  non2xx: number;
  /** User + system CPU time of the server's processes over the run, in milliseconds. */
  cpuMs: number;
}

/** The server's CPU time per request answered, in microseconds. */
export function cpuPerRequestUs(result: Pick<LoadResult, 'cpuMs' | 'requests'>): number {
  return result.requests > 0 ? (result.cpuMs * 1000) / result.requests : 0;
}

/** Clock ticks per second, the unit of /proc/<pid>/stat's CPU times. */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/**
 * User + system CPU time the processes have used, in milliseconds, from /proc/<pid>/stat
 * (utime and stime, the 14th and 15th fields; the command name before them may hold spaces).
 */
export function cpuTimeMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process is gone; it uses no more CPU.
    }
  }
  return (ticks * 1000) / CLOCK_TICKS;
}

function rssMb(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      kb += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {
      // The process is gone; it holds no memory.
    }
  }
  return kb / 1024;
}

export async function load(spec: LoadSpec): Promise<LoadResult> {
  let peak = rssMb(spec.pids);
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(spec.pids));
  }, 100);
  const { nextBody, nextHeaders, nextPath } = spec;
  const cpuBefore = cpuTimeMs(spec.pids);
  const result = await autocannon({
    url: spec.url,
    method: spec.method ?? 'POST',
    headers: spec.headers,
    body: spec.body,
    connections: spec.connections,
    duration: spec.durationSeconds,
    requests:
      nextBody || nextHeaders || nextPath
        ? [
            {
              setupRequest: (request: any) => ({
                ...request,
                ...(nextPath ? { path: nextPath() } : {}),
                ...(nextBody ? { body: nextBody() } : {}),
                ...(nextHeaders ? { headers: { ...request.headers, ...nextHeaders() } } : {}),
              }),
            },
          ]
        : undefined,
  });
  const cpuMs = cpuTimeMs(spec.pids) - cpuBefore;
  clearInterval(sampler);
  peak = Math.max(peak, rssMb(spec.pids));
  return {
    // Not requests.average, a mean of whole-second samples that a run of a fraction of a second would skew.
    requestsPerSecond: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    peakRssMb: Math.round(peak),
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    cpuMs,
  };
}

/** A port free on loopback now, for a process to listen on. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Rounds of equal length, as one result: mean rates and latencies, the highest memory, summed counts and CPU time. */
export function combine(runs: LoadResult[]): LoadResult {
  const meanOf = (pick: (r: LoadResult) => number) => runs.reduce((sum, r) => sum + pick(r), 0) / runs.length;
  const sumOf = (pick: (r: LoadResult) => number) => runs.reduce((sum, r) => sum + pick(r), 0);
  return {
    requestsPerSecond: meanOf((r) => r.requestsPerSecond),
    p50Ms: meanOf((r) => r.p50Ms),
    p99Ms: meanOf((r) => r.p99Ms),
    peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    requests: sumOf((r) => r.requests),
    errors: sumOf((r) => r.errors),
    non2xx: sumOf((r) => r.non2xx),
    cpuMs: sumOf((r) => r.cpuMs),
  };
}

export const fmt = (n: number, digits = 0) => n.toFixed(digits);

export function table(rows: Array<Record<string, string>>): string {
  const keys = Object.keys(rows[0]!);
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => r[k]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(keys), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(keys.map((k) => r[k]!)))].join('\n');
}
