/**
 * The Prometheus metrics: one registry per app, made by the process (server.ts) and
 * passed in, never prom-client's global one, so tests each read their own.
 *
 * Every metric is a named field of `Metrics`, created here against the registry.
 * To add one (webhook deliveries by outcome, event-feed lag, …): create a prom-client
 * Counter, Gauge or Histogram in `createMetrics` with `registers: [registry]`, add it
 * to the returned object, and record it where the thing happens, from the `Metrics`
 * that module was given. A value that is cheaper to read than to track (a queue
 * length, a lag) is a Gauge with a `collect()` that reads it at scrape time. What is
 * counted on every request uses hot-series.ts instead, whose counting is an
 * addition. Label values must come from a fixed set (route names, schema type
 * names, catalog codes), never from a request.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Store } from '../db/store.ts';
import { type CounterSeries, type HistogramSeries, HotCounter, HotHistogram } from './hot-series.ts';

/** Attempts a webhook delivery worker has made since it started, by outcome. */
export interface WebhookDeliveryStats {
  delivered: number;
  failed: number;
  gaveUp: number;
  disabled: number;
}

const PREFIX = 'team_api_';

/** Request latencies, in seconds: most answers take a few milliseconds, a durable write a few more. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** `processMetrics`: Node's process metrics too (CPU, memory, event-loop lag, GC, handles), for a server process. */
export function createMetrics(options: { processMetrics?: boolean } = {}) {
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics) collectDefaultMetrics({ register: registry });

  const httpRequests = new HotCounter(
    `${PREFIX}http_requests_total`,
    'HTTP requests answered, by route (graphql, a REST path, page, health, ready, other) and status.',
    ['route', 'status'],
    registry,
  );
  const httpRequestDuration = new HotHistogram(
    `${PREFIX}http_request_duration_seconds`,
    'Time from the request reaching the app to its answer being ready, by route and status.',
    ['route', 'status'],
    LATENCY_BUCKETS,
    registry,
  );
  const graphqlResults = new HotCounter(
    `${PREFIX}graphql_results_total`,
    'Results of GraphQL root fields: field name, result __typename (empty when null or raised) and error code ' +
      '(of an error union member, or of the error the field raised; empty on success).',
    ['field', 'typename', 'code'],
    registry,
  );
  const rateLimitRefusals = new Counter({
    name: `${PREFIX}rate_limit_refusals_total`,
    help: 'Requests refused with TooManyRequests, by limit (login, write, failedApiToken).',
    labelNames: ['limit'] as const,
    registers,
  });

  const rateLimiterFallback = new Counter({
    name: `${PREFIX}rate_limiter_fallback_total`,
    help: 'Rate-limited events counted in process memory because the shared limiter (Redis) failed.',
    registers,
  });
  const rateLimiterFallingBack = new Gauge({
    name: `${PREFIX}rate_limiter_fallback_active`,
    help: '1 while limits are counted in process memory because the shared limiter (Redis) failed, else 0.',
    registers,
  });

  // Each route and status's two series, looked up by one string key.
  const requestSeries = new Map<string, { count: CounterSeries; duration: HistogramSeries }>();

  return {
    registry,
    rateLimitRefusals,
    rateLimiterFallback,
    rateLimiterFallingBack,

    /** One answered request: its route, status and how long it took. */
    observeRequest(route: string, status: number, seconds: number): void {
      const key = `${route} ${status}`;
      let series = requestSeries.get(key);
      if (!series) {
        series = { count: httpRequests.series(route, String(status)), duration: httpRequestDuration.series(route, String(status)) };
        requestSeries.set(key, series);
      }
      series.count.count++;
      httpRequestDuration.observe(series.duration, seconds);
    },

    /** One root field's result: field name, result __typename ('' if none) and error code ('' if none). */
    countFieldResult(field: string, typename: string, code: string): void {
      graphqlResults.series(field, typename, code).count++;
    },

    /** The database whose pool (PostgreSQL) or group-commit queue (SQLite) and feed lag the metrics report; once. */
    watchStore(store: Pick<Store, 'usage' | 'eventFeedLag'>): void {
      new Gauge({
        name: `${PREFIX}event_feed_lag_seconds`,
        help:
          'How far the event feed is behind what has committed: the age of the oldest committed event it cannot show ' +
          'yet because an older transaction still runs (PostgreSQL); 0 when it shows everything.',
        registers,
        async collect() {
          this.set((await store.eventFeedLag(Date.now())) / 1000);
        },
      });
      if (store.usage().dialect === 'postgres') {
        const pool = () => {
          const now = store.usage();
          return now.dialect === 'postgres' ? now.pool : null;
        };
        new Gauge({
          name: `${PREFIX}db_pool_connections`,
          help: 'PostgreSQL pool connections by state: open (total), idle, and max (the pool ceiling).',
          labelNames: ['state'] as const,
          registers,
          collect() {
            const now = pool();
            if (!now) return;
            this.set({ state: 'total' }, now.total);
            this.set({ state: 'idle' }, now.idle);
            this.set({ state: 'max' }, now.max);
          },
        });
        new Gauge({
          name: `${PREFIX}db_pool_waiting_queries`,
          help: 'PostgreSQL queries waiting for a free pooled connection.',
          registers,
          collect() {
            this.set(pool()?.waiting ?? 0);
          },
        });
        return;
      }
      const queue = () => {
        const now = store.usage();
        return now.dialect === 'sqlite' ? now.writeQueue : { pending: 0, commits: 0, units: 0 };
      };
      new Gauge({
        name: `${PREFIX}db_write_queue_pending`,
        help: 'SQLite units of work queued for the next group commit.',
        registers,
        collect() {
          this.set(queue().pending);
        },
      });
      // Counted by the store and read at scrape time. Their rates are commits per second
      // and, divided, the mean number of writes one fsync made durable.
      const queueTotal = (name: string, help: string, field: 'commits' | 'units') =>
        new Counter({
          name: `${PREFIX}${name}`,
          help,
          registers,
          collect() {
            this.reset();
            this.inc(queue()[field]);
          },
        });
      queueTotal('db_group_commits_total', 'SQLite group commits (one transaction, one fsync) made since start.', 'commits');
      queueTotal('db_group_commit_units_total', 'SQLite units of work (one write each) committed by group commits since start.', 'units');
    },

    /** Webhook delivery attempts by outcome, read from the delivery worker at each scrape; once. */
    watchWebhookDelivery(stats: () => WebhookDeliveryStats): void {
      new Counter({
        name: `${PREFIX}webhook_deliveries_total`,
        help:
          'Webhook delivery attempts since start, by outcome: delivered (2xx), failed (to be retried), gave_up ' +
          '(the last retry failed), disabled (410 Gone).',
        labelNames: ['outcome'] as const,
        registers,
        collect() {
          const now = stats();
          this.reset();
          this.inc({ outcome: 'delivered' }, now.delivered);
          this.inc({ outcome: 'failed' }, now.failed);
          this.inc({ outcome: 'gave_up' }, now.gaveUp);
          this.inc({ outcome: 'disabled' }, now.disabled);
        },
      });
    },

    /** The scrape: Prometheus text format and its content type. */
    async scrape(): Promise<{ contentType: string; body: string }> {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
