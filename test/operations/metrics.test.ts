/**
 * Prometheus metrics (API.md §15) from a real server process with METRICS_PORT:
 * scraped over HTTP, parsed by a Prometheus text-format parser, and read before
 * and after a known set of requests, so each figure is seen to move by exactly
 * what was sent. Label values come only from the schema and the catalog. Then a
 * cluster (WORKERS=2), whose primary adds up its workers' metrics.
 */
import { type AddressInfo } from 'node:net';
import { createServer, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { PostgresStore } from '../../src/db/postgres/store.ts';
import { errorCodes } from '../../src/errors/catalog.ts';
import { schema } from '../../src/graphql/schema.ts';
import { CREATE_USER, GROUP, LOGIN_WITH_SSO } from '../support/documents.ts';
import { freePort, type RunningServer, startServer } from '../support/processes.ts';
import { histogramOf, labelsOf, scrape, scrapeMetrics, valueOf } from '../support/prometheus.ts';
import { type ServerDatabase, serverDatabase } from '../support/server-database.ts';

let database: ServerDatabase | null = null;
let running: RunningServer | null = null;
afterEach(async () => {
  await running?.stop();
  running = null;
  await database?.close();
  database = null;
});

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

/** A GET to a given address: the metrics listener's own, or the public one. */
function getAt(host: string, port: number, path: string): Promise<number | string> {
  return new Promise((resolve) => {
    request({ host, port, path, headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
      .end();
  });
}

describe('metrics', () => {
  it('listen on METRICS_HOST, not HOST (127.0.0.1 unless set)', async () => {
    const metricsPort = await freePort();
    // 127.0.0.2 is loopback too on Linux, but another address than the public listener's.
    running = await startServer({ METRICS_PORT: String(metricsPort), METRICS_HOST: '127.0.0.2' });
    expect(running.output()).toContain(`Metrics at http://127.0.0.2:${metricsPort}/metrics`);
    expect(await getAt('127.0.0.2', metricsPort, '/metrics')).toBe(200);
    expect(await getAt('127.0.0.1', metricsPort, '/metrics')).toBe('ECONNREFUSED');
    expect(await getAt('127.0.0.1', running.port, '/health')).toBe(200);
  });

  it('count requests, latencies, root-field results, rate-limit refusals and database use, and are served only on METRICS_PORT', async () => {
    database = await serverDatabase();
    await database.acme.user('alice');
    const metricsPort = await freePort();
    running = await startServer({ ...database.env, METRICS_PORT: String(metricsPort), RATE_LIMIT_LOGIN: '2' });
    expect(running.output()).toContain(`Metrics at http://127.0.0.1:${metricsPort}/metrics`);
    const { token, acme } = database;
    const gql = running.gql.bind(running);

    const before = await scrapeMetrics(metricsPort);
    const graphql200 = { route: 'graphql', status: '200' };
    const created = { field: 'createUser', typename: 'CreateUserSuccess', code: '' };
    const taken = { field: 'createUser', typename: 'UsernameAlreadyExists', code: 'UsernameAlreadyExists' };
    const raised = { field: 'group', typename: '', code: 'InvalidApiToken' };
    expect(valueOf(before, 'team_api_rate_limit_refusals_total', { limit: 'login' })).toBe(0);

    // Three users, one taken name (sent with a client-chosen operation name and alias
    // that must never become a label), a refused token, a REST call, three logins
    // against a limit of two, health and readiness.
    for (const username of ['ann-1', 'ann-2', 'ann-3']) {
      expect((await gql(CREATE_USER, { host: 'localhost', token, variables: { input: { email: `${username}@example.com`, username } } })).status).toBe(200);
    }
    const clientChosen = `mutation EvilClientName { weirdAlias: createUser(input: { email: "x@example.com", username: "ann-1" }) { __typename } }`;
    expect((await gql(clientChosen, { host: 'localhost', token })).body.data.weirdAlias.__typename).toBe('UsernameAlreadyExists');
    expect((await gql(GROUP, { host: 'localhost', token: 'tapi_not-a-token' })).status).toBe(400);
    for (let i = 0; i < 3; i++) {
      const ssoToken = await acme.ssoToken('alice');
      await gql(LOGIN_WITH_SSO, { host: 'acme.localhost', variables: { token: ssoToken } });
    }
    expect(await get(running.port, '/health')).toBe(200);
    expect(await get(running.port, '/ready')).toBe(200);

    const after = await scrapeMetrics(metricsPort);
    const moved = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);

    // Requests by route and status, and their latency histogram.
    expect(moved('team_api_http_requests_total', graphql200)).toBe(4 + 2);
    expect(moved('team_api_http_requests_total', { route: 'graphql', status: '400' })).toBe(1);
    expect(moved('team_api_http_requests_total', { route: 'graphql', status: '429' })).toBe(1);
    expect(moved('team_api_http_requests_total', { route: 'health', status: '200' })).toBe(1);
    expect(moved('team_api_http_requests_total', { route: 'ready', status: '200' })).toBe(1);
    const latency = histogramOf(after, 'team_api_http_request_duration_seconds', graphql200)!;
    expect(latency.count - (histogramOf(before, 'team_api_http_request_duration_seconds', graphql200)?.count ?? 0)).toBe(6);
    expect(latency.buckets['+Inf']).toBe(latency.count);
    // Cumulative: the counts never fall as the bounds rise.
    const bucketCounts = Object.entries(latency.buckets)
      .sort(([a], [b]) => Number(a.replace('+Inf', 'Infinity')) - Number(b.replace('+Inf', 'Infinity')))
      .map(([, count]) => count);
    expect(bucketCounts).toHaveLength(14);
    expect(bucketCounts).toEqual([...bucketCounts].sort((a, b) => a - b));
    expect(latency.sum).toBeGreaterThan(0);

    // Root-field results by field, __typename and code.
    expect(moved('team_api_graphql_results_total', created)).toBe(3);
    expect(moved('team_api_graphql_results_total', taken)).toBe(1);
    expect(moved('team_api_graphql_results_total', raised)).toBe(1);
    expect(moved('team_api_graphql_results_total', { field: 'loginWithSSO', typename: 'LoginWithSSOSuccess', code: '' })).toBe(2);
    expect(moved('team_api_graphql_results_total', { field: 'loginWithSSO', typename: '', code: 'TooManyRequests' })).toBe(1);
    // Bounded: every label value is a root field, a schema type or a catalog code.
    const rootFields = new Set([...Object.keys(schema.getQueryType()!.getFields()), ...Object.keys(schema.getMutationType()!.getFields())]);
    for (const labels of labelsOf(after, 'team_api_graphql_results_total')) {
      expect(rootFields.has(labels.field!), labels.field).toBe(true);
      expect(labels.typename === '' || schema.getType(labels.typename!) !== undefined, labels.typename).toBe(true);
      expect(labels.code === '' || (errorCodes as string[]).includes(labels.code!), labels.code).toBe(true);
    }
    const scraped = (await scrape(metricsPort)).text;
    expect(scraped).not.toMatch(/EvilClientName|weirdAlias/);

    // Rate-limit refusals by limit.
    expect(valueOf(after, 'team_api_rate_limit_refusals_total', { limit: 'login' })).toBe(1);
    expect(valueOf(after, 'team_api_rate_limit_refusals_total', { limit: 'write' })).toBe(0);

    // The database: the PostgreSQL pool, or SQLite's group commits (each write one unit).
    if (database.db.dialect === 'postgres') {
      expect(valueOf(after, 'team_api_db_pool_connections', { state: 'max' })).toBe(10);
      expect(valueOf(after, 'team_api_db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
      expect(after.team_api_db_pool_waiting_queries).toBeDefined();
      // Only the engine's own figures: nothing of SQLite's group commit.
      expect(after.team_api_db_write_queue_pending).toBeUndefined();
    } else {
      const commits = valueOf(after, 'team_api_db_group_commits_total') - valueOf(before, 'team_api_db_group_commits_total');
      const units = valueOf(after, 'team_api_db_group_commit_units_total') - valueOf(before, 'team_api_db_group_commit_units_total');
      // Three users and two sessions were written, each its own unit.
      expect(units).toBeGreaterThanOrEqual(5);
      expect(commits).toBeGreaterThanOrEqual(1);
      expect(commits).toBeLessThanOrEqual(units);
      expect(after.team_api_db_write_queue_pending).toBeDefined();
      expect(after.team_api_db_pool_connections).toBeUndefined();
      expect(after.team_api_db_pool_waiting_queries).toBeUndefined();
    }

    // Process metrics, on the app's own registry.
    expect(valueOf(after, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(valueOf(after, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);

    // Nothing of it on the public port; nothing but /metrics on the metrics port.
    expect(await get(running.port, '/metrics')).toBe(404);
    expect(await get(metricsPort, '/')).toBe(404);
    expect((await scrape(metricsPort)).contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('count webhook deliveries by outcome, and report the event feed\'s lag', async () => {
    database = await serverDatabase();
    // A receiver that takes the first delivery and refuses the second.
    let received = 0;
    const receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received++;
        res.writeHead(received === 1 ? 204 : 500).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const receiverPort = (receiver.address() as AddressInfo).port;
      const metricsPort = await freePort();
      running = await startServer({
        ...database.env,
        METRICS_PORT: String(metricsPort),
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
        WEBHOOK_RETRY_SECONDS: '60',
      });
      const { token } = database;
      const created = await running.gql(`mutation ($url: String!) { createWebhookEndpoint(url: $url, types: ["user.created"]) { __typename } }`, {
        host: 'localhost',
        token,
        variables: { url: `http://127.0.0.1:${receiverPort}/hook` },
      });
      expect(created.body.data.createWebhookEndpoint.__typename).toBe('CreateWebhookEndpointSuccess');
      for (const username of ['hook-1', 'hook-2']) {
        await running.gql(CREATE_USER, { host: 'localhost', token, variables: { input: { email: `${username}@example.com`, username } } });
      }
      // The delivery thread reports its attempts every second; the scrape reads the latest report.
      let after = await scrapeMetrics(metricsPort);
      for (let i = 0; i < 100 && valueOf(after, 'team_api_webhook_deliveries_total', { outcome: 'failed' }) < 1; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        after = await scrapeMetrics(metricsPort);
      }
      expect(valueOf(after, 'team_api_webhook_deliveries_total', { outcome: 'delivered' })).toBe(1);
      expect(valueOf(after, 'team_api_webhook_deliveries_total', { outcome: 'failed' })).toBe(1);
      expect(valueOf(after, 'team_api_webhook_deliveries_total', { outcome: 'gave_up' })).toBe(0);
      expect(valueOf(after, 'team_api_webhook_deliveries_total', { outcome: 'disabled' })).toBe(0);
      expect(received).toBe(2);
      // Nothing of ours holds the feed back (other tests' transactions on the same server may, for a moment).
      const lagReturnsToZero = async () => {
        for (let i = 0; i < 300; i++) {
          if (valueOf(await scrapeMetrics(metricsPort), 'team_api_event_feed_lag_seconds') === 0) return true;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return false;
      };
      expect(await lagReturnsToZero()).toBe(true);
      if (database.db.dialect === 'postgres') {
        // A transaction that took its place in the feed and has not committed holds back
        // the events committed after it: the lag is theirs, until it ends.
        const pool = (database.db.store as PostgresStore).pool;
        const holder = await pool.connect();
        try {
          await holder.query('BEGIN');
          await holder.query('SELECT pg_current_xact_id()');
          await running.gql(CREATE_USER, { host: 'localhost', token, variables: { input: { email: 'late@example.com', username: 'late-one' } } });
          await new Promise((resolve) => setTimeout(resolve, 20));
          expect(valueOf(await scrapeMetrics(metricsPort), 'team_api_event_feed_lag_seconds')).toBeGreaterThan(0);
        } finally {
          await holder.query('ROLLBACK');
          holder.release();
        }
        expect(await lagReturnsToZero()).toBe(true);
      }
    } finally {
      receiver.close();
    }
  });

  it(
    'with WORKERS=2 are served by the primary, adding up what every worker counted',
    async () => {
      database = await serverDatabase();
      const metricsPort = await freePort();
      running = await startServer({ ...database.env, METRICS_PORT: String(metricsPort), WORKERS: '2' });
      const health = { route: 'health', status: '200' };
      const before = valueOf(await scrapeMetrics(metricsPort), 'team_api_http_requests_total', health);
      // A connection each, so the cluster spreads them over both workers.
      for (let i = 0; i < 20; i++) expect(await get(running.port, '/health')).toBe(200);
      const after = await scrapeMetrics(metricsPort);
      expect(valueOf(after, 'team_api_http_requests_total', health) - before).toBe(20);
      expect(valueOf(after, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    },
    60_000,
  );
});
