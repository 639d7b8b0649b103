/**
 * The Prometheus metrics: one registry per app, made by the process (server.ts) and
 * passed in, never prom-client's global one, so tests each read their own.
 *
 * Every metric is a named field of `Metrics`, created here against the registry.
 * To add one (webhook deliveries by outcome, event-feed lag, …): create it in
 * `createMetrics` with `registers: [registry]`, add it to the returned object, and
 * record it where the thing happens, from the `Metrics` that module was given. A
 * value that is cheaper to read than to track (a queue length, a lag) is a Gauge
 * with a `collect()` that reads it at scrape time. Label values must come from a
 * fixed set (route names, schema type names, catalog codes), never from a request.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from '../db/store.ts';

export interface MetricsOptions {
  /** Node's process metrics (CPU, memory, event-loop lag, GC, handles): on for a server process. */
  processMetrics?: boolean;
}

const PREFIX = 'team_api_';

/** Request latencies, in seconds: most answers take a few milliseconds, a durable write a few more. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(options: MetricsOptions = {}) {
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics) collectDefaultMetrics({ register: registry });

  const httpRequests = new Counter({
    name: `${PREFIX}http_requests_total`,
    help: 'HTTP requests answered, by route (graphql, a REST path, page, health, ready, other) and status.',
    labelNames: ['route', 'status'] as const,
    registers,
  });
  const httpRequestDuration = new Histogram({
    name: `${PREFIX}http_request_duration_seconds`,
    help: 'Time from the request reaching the app to its answer being ready, by route and status.',
    labelNames: ['route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const graphqlResults = new Counter({
    name: `${PREFIX}graphql_results_total`,
    help:
      'Results of GraphQL root fields: field name, result __typename (empty when null or raised) and error code ' +
      '(of an error union member, or of the error the field raised; empty on success).',
    labelNames: ['field', 'typename', 'code'] as const,
    registers,
  });
  const rateLimitRefusals = new Counter({
    name: `${PREFIX}rate_limit_refusals_total`,
    help: 'Requests refused with TooManyRequests, by limit (login, write, failedApiToken).',
    labelNames: ['limit'] as const,
    registers,
  });

  /** The store whose usage the database gauges read; set by the app (`watchStore`). */
  let store: Pick<Store, 'usage'> | null = null;
  const usage = () => store?.usage() ?? null;
  new Gauge({
    name: `${PREFIX}db_pool_connections`,
    help: 'PostgreSQL pool connections by state: open (total), idle, and max (the pool ceiling).',
    labelNames: ['state'] as const,
    registers,
    collect() {
      const now = usage();
      if (now?.dialect !== 'postgres') return;
      this.set({ state: 'total' }, now.pool.total);
      this.set({ state: 'idle' }, now.pool.idle);
      this.set({ state: 'max' }, now.pool.max);
    },
  });
  new Gauge({
    name: `${PREFIX}db_pool_waiting_queries`,
    help: 'PostgreSQL queries waiting for a free pooled connection.',
    registers,
    collect() {
      const now = usage();
      if (now?.dialect === 'postgres') this.set(now.pool.waiting);
    },
  });
  new Gauge({
    name: `${PREFIX}db_write_queue_pending`,
    help: 'SQLite units of work queued for the next group commit.',
    registers,
    collect() {
      const now = usage();
      if (now?.dialect === 'sqlite') this.set(now.writeQueue.pending);
    },
  });
  // Counted by the store and read at scrape time. Their rates are commits per second
  // and, divided, the mean number of writes one fsync made durable.
  new Counter({
    name: `${PREFIX}db_group_commits_total`,
    help: 'SQLite group commits (one transaction, one fsync) made since start.',
    registers,
    collect() {
      const now = usage();
      if (now?.dialect !== 'sqlite') return;
      this.reset();
      this.inc(now.writeQueue.commits);
    },
  });
  new Counter({
    name: `${PREFIX}db_group_commit_units_total`,
    help: 'SQLite units of work (one write each) committed by group commits since start.',
    registers,
    collect() {
      const now = usage();
      if (now?.dialect !== 'sqlite') return;
      this.reset();
      this.inc(now.writeQueue.units);
    },
  });

  // Each series' child looked up once: prom-client hashes the labels of every call otherwise.
  const requestSeries = new Map<string, { count: Counter.Internal; duration: Histogram.Internal<'route' | 'status'> }>();
  const resultSeries = new Map<string, Counter.Internal>();

  return {
    registry,
    httpRequests,
    httpRequestDuration,
    graphqlResults,
    rateLimitRefusals,

    /** One answered request: its route, status and how long it took. */
    observeRequest(route: string, status: number, seconds: number): void {
      const key = `${route} ${status}`;
      let series = requestSeries.get(key);
      if (!series) {
        const labels = { route, status: String(status) };
        series = { count: httpRequests.labels(labels), duration: httpRequestDuration.labels(labels) };
        requestSeries.set(key, series);
      }
      series.count.inc();
      series.duration.observe(seconds);
    },

    /** One root field's result: field name, result __typename ('' if none) and error code ('' if none). */
    countFieldResult(field: string, typename: string, code: string): void {
      const key = `${field} ${typename} ${code}`;
      let series = resultSeries.get(key);
      if (!series) {
        series = graphqlResults.labels({ field, typename, code });
        resultSeries.set(key, series);
      }
      series.inc();
    },

    /** The database whose pool or write queue the gauges report. */
    watchStore(watched: Pick<Store, 'usage'>): void {
      store = watched;
    },

    /** The scrape: Prometheus text format and its content type. */
    async scrape(): Promise<{ contentType: string; body: string }> {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
