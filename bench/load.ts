/** One load run with autocannon against a URL, sampling the server's resident memory meanwhile. */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Builds each request's body (for operations that need unique input). */
  nextBody?: () => string;
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
  const nextBody = spec.nextBody;
  const result = await autocannon({
    url: spec.url,
    method: spec.method ?? 'POST',
    headers: spec.headers,
    body: spec.body,
    connections: spec.connections,
    duration: spec.durationSeconds,
    requests: nextBody ? [{ setupRequest: (request: any) => ({ ...request, body: nextBody() }) }] : undefined,
  });
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
  };
}
