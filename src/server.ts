/**
 * Starts the HTTP server: the only module that listens. With WORKERS=N it forks N
 * processes (node:cluster) sharing the port and the database; the primary prepares
 * the database first so workers never race to migrate or seed it. Each serving
 * process opens the runtime (runtime.ts), makes the logger and the metrics and hands
 * them to the app, starts webhook delivery and the housekeeping (maintenance.ts)
 * beside it, opens the metrics listener (METRICS_PORT), and on SIGTERM or SIGINT
 * stops everything in order (shutdown.ts).
 */
import cluster from 'node:cluster';
import type { Server } from 'node:http';
import { AggregatorRegistry } from 'prom-client';
import { type Config, ConfigError, loadConfig } from './config/config.ts';
import { DEMO_GROUP, seedDemoGroup } from './demo-group.ts';
import { createApp } from './http/app.ts';
import { createHttpServer, drainHttpServer } from './http/node-server.ts';
import { startMaintenance } from './maintenance.ts';
import { createLogger, flushLogger, type Logger } from './observability/logger.ts';
import { closeMetricsServer, createMetricsServer, type Scrape } from './observability/metrics-server.ts';
import { createMetrics } from './observability/metrics.ts';
import { openRuntime } from './runtime.ts';
import { Shutdown } from './shutdown.ts';
import { startWebhookDelivery } from './webhooks/delivery.ts';

/** Past the drain's own timeout, how long the rest of a shutdown may take before the process gives up on it. */
const SHUTDOWN_GRACE_MS = 10_000;

/** Migrates, settles the SSO secret and seeds the demo group; returns the demo token when one was made. */
async function prepare(config: Config): Promise<string | null> {
  const runtime = await openRuntime(config);
  try {
    return await seedDemoGroup(runtime);
  } finally {
    await runtime.close();
  }
}

function banner(config: Config, port: number, metricsPort: number | null, demoToken: string | null): string {
  const lines = [`Team API listening on http://${config.host}:${port} (GraphiQL at /graphql)`];
  if (config.workers > 1) lines[0] += ` with ${config.workers} workers`;
  if (metricsPort !== null) lines.push(`Metrics at http://${config.metricsHost}:${metricsPort}/metrics`);
  if (demoToken) {
    lines.push(
      `Created group "${DEMO_GROUP}". Its API token, shown once:`,
      '',
      `  ${demoToken}`,
      '',
      `Try it: http://localhost:${port}/graphql`,
    );
  }
  return lines.join('\n');
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/**
 * Calls `stop` on the first SIGTERM or SIGINT. Later ones are ignored: a Ctrl-C reaches
 * a cluster's workers both from the terminal and from the primary.
 */
function onStopSignal(logger: Logger, stop: (signal: NodeJS.Signals) => void): void {
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      stop(signal);
    });
  }
}

/** If a shutdown outlasts its time (a connection or a query that never ends), exit anyway, and say so. */
function exitIfStillRunningAfter(ms: number, logger: Logger): void {
  setTimeout(() => {
    logger.fatal({ afterMs: ms }, 'shutdown did not finish in time; exiting');
    process.exit(1);
  }, ms).unref();
}

/** Serves `scrape` on HOST:METRICS_PORT until the shutdown closes it; resolves with the port. */
async function serveMetrics(config: Config, logger: Logger, shutdown: Shutdown, scrape: Scrape): Promise<number> {
  const metricsServer = createMetricsServer(scrape, logger);
  const port = await listen(metricsServer, config.metricsPort!, config.metricsHost);
  shutdown.add('telemetry', 'metrics listener', () => closeMetricsServer(metricsServer));
  return port;
}

/** One server process (the only one, or a cluster worker): app, listener, and what stops them. */
async function serve(config: Config, logger: Logger, onListening: (port: number, metricsPort: number | null) => void): Promise<void> {
  const metrics = config.metricsPort === null ? null : createMetrics({ processMetrics: true });
  const runtime = await openRuntime(config);
  const { store, services } = runtime;
  const demoToken = process.env.TEAM_API_DEMO_TOKEN ?? null;
  const app = createApp({ config, store, services, graphiqlApiToken: demoToken, logger, metrics: metrics ?? undefined });
  const server = createHttpServer(app, config.httpTimeouts);
  // Beside the app, not in it: deliveries and housekeeping never run inside a request.
  const webhooks = startWebhookDelivery({ config, env: process.env, store, logger });
  metrics?.watchWebhookDelivery(() => webhooks.stats());
  const maintenance = startMaintenance({ config, services, logger });
  const shutdown = new Shutdown(logger);

  shutdown.add('requests', 'HTTP listener', async () => {
    app.beginShutdown();
    if (config.shutdownDrainMs > 0) {
      // The load balancer sees /ready fail on its next check; until then it may still
      // send connections here, and they are taken and served, not reset.
      logger.info({ drainMs: config.shutdownDrainMs }, 'draining: /ready answers 503, still accepting');
      await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainMs));
    }
    const { forced } = await drainHttpServer(server, config.shutdownTimeoutMs);
    if (forced) logger.warn({ timeoutMs: config.shutdownTimeoutMs }, 'requests still in flight at the shutdown timeout were cut off');
  });
  shutdown.add('background', 'webhook delivery', () => webhooks.stop());
  shutdown.add('background', 'housekeeping (purges, API-token last-use times)', () => maintenance.stop());
  shutdown.add('app', 'app (rate limiter)', () => app.close());
  shutdown.add('storage', 'database', () => runtime.close());

  let metricsPort: number | null = null;
  if (metrics && cluster.isWorker) {
    // The primary serves the cluster's metrics: it asks each worker for its registry.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([metrics.registry]);
  } else if (metrics) {
    metricsPort = await serveMetrics(config, logger, shutdown, () => metrics.scrape());
  }
  shutdown.add('telemetry', 'log', () => flushLogger(logger));

  // The process then exits by itself once nothing is left open (0 if every step succeeded).
  onStopSignal(logger, () => {
    exitIfStillRunningAfter(config.shutdownDrainMs + config.shutdownTimeoutMs + SHUTDOWN_GRACE_MS, logger);
    void shutdown.run().then((ok) => {
      process.exitCode = ok ? 0 : 1;
      // A cluster worker's channel to the primary would keep it alive: let go of it last.
      cluster.worker?.disconnect();
    });
  });
  onListening(await listen(server, config.port, config.host), metricsPort);
}

/** The cluster's primary: forks the workers, serves their metrics, and on a signal stops them and waits. */
async function supervise(config: Config, logger: Logger, demoToken: string | null): Promise<void> {
  const shutdown = new Shutdown(logger);
  let metricsPort: number | null = null;
  if (config.metricsPort !== null) {
    const aggregator = new AggregatorRegistry();
    const scrape: Scrape = async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() });
    metricsPort = await serveMetrics(config, logger, shutdown, scrape);
  }
  shutdown.add('telemetry', 'log', () => flushLogger(logger));

  let listening = 0;
  let stopping = false;
  const failedWorkers: number[] = [];
  for (let i = 0; i < config.workers; i++) {
    const worker = cluster.fork(demoToken ? { TEAM_API_DEMO_TOKEN: demoToken } : {});
    worker.on('message', (message) => {
      if (message === 'listening' && ++listening === config.workers) console.info(banner(config, config.port, metricsPort, demoToken));
    });
  }
  const exited = new Promise<void>((resolve) => {
    cluster.on('exit', (worker, code, signal) => {
      if (code !== 0) failedWorkers.push(worker.process.pid ?? 0);
      if (!stopping) logger.error({ pid: worker.process.pid, code, signal }, 'worker exited');
      if (Object.keys(cluster.workers ?? {}).length === 0) resolve();
    });
  });
  // The workers drain themselves; the primary passes the signal on and waits for them all.
  shutdown.add('requests', 'workers', async () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    await exited;
    if (failedWorkers.length) throw new Error(`workers ${failedWorkers.join(', ')} did not exit cleanly`);
  });
  onStopSignal(logger, () => {
    stopping = true;
    exitIfStillRunningAfter(config.shutdownDrainMs + config.shutdownTimeoutMs + 2 * SHUTDOWN_GRACE_MS, logger);
    void shutdown.run().then((ok) => process.exit(ok ? 0 : 1));
  });
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger({ level: config.logLevel });
  // Once per start: the workers read the same environment.
  if (!cluster.isWorker) for (const warning of config.warnings) logger.warn({}, warning);
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    void flushLogger(logger).finally(() => process.exit(1));
  });
  if (cluster.isWorker) {
    await serve(config, logger, () => process.send?.('listening'));
    return;
  }
  const demoToken = await prepare(config);
  if (config.workers <= 1) {
    if (demoToken) process.env.TEAM_API_DEMO_TOKEN = demoToken;
    // One write, so a reader that waits for "listening" also has the token.
    await serve(config, logger, (port, metricsPort) => console.info(banner(config, port, metricsPort, demoToken)));
    return;
  }
  await supervise(config, logger, demoToken);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
