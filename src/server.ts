/**
 * Starts the HTTP server: the only module that listens. With WORKERS=N it forks N
 * processes (node:cluster) sharing the port and the database; the primary prepares
 * the database first so workers never race to migrate or seed it.
 */
import cluster from 'node:cluster';
import { type Config, ConfigError, loadConfig } from './config/config.ts';
import { createServices } from './domain/services.ts';
import { createApp } from './http/app.ts';
import { createHttpServer } from './http/node-server.ts';
import { DEMO_GROUP, openStore, resolveSsoSecret, seedDemoGroup } from './startup.ts';
import { startWebhookDelivery } from './webhooks/delivery.ts';

/** Migrates, settles the SSO secret and seeds the demo group; returns the demo token when one was made. */
async function prepare(config: Config): Promise<string | null> {
  const store = await openStore(config);
  try {
    const ssoSecret = await resolveSsoSecret(config, store);
    const services = createServices({ config, store, now: Date.now, ssoKey: new TextEncoder().encode(ssoSecret) });
    return await seedDemoGroup(config, store, services);
  } finally {
    await store.close();
  }
}

function banner(config: Config, port: number, demoToken: string | null): string {
  const lines = [`Team API listening on http://${config.host}:${port} (GraphiQL at /graphql)`];
  if (config.workers > 1) lines[0] += ` with ${config.workers} workers`;
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

async function serve(config: Config, onListening: (port: number) => void): Promise<void> {
  const store = await openStore(config);
  const ssoSecret = await resolveSsoSecret(config, store);
  const demoToken = process.env.TEAM_API_DEMO_TOKEN ?? null;
  const app = createApp({ config, store, ssoSecret, graphiqlApiToken: demoToken });
  const server = createHttpServer(app);
  // Beside the app, not in it: deliveries never run inside a request.
  const webhooks = startWebhookDelivery({ config, env: process.env, store });
  server.listen(config.port, config.host, () => {
    const address = server.address();
    onListening(typeof address === 'object' && address ? address.port : config.port);
  });
  const shutdown = () => {
    server.close();
    server.closeAllConnections();
    // A cluster worker's channel to the primary would keep it alive: let go of it last.
    void Promise.allSettled([app.close(), webhooks.stop()]).finally(() =>
      store.close().finally(() => cluster.worker?.disconnect()),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  if (cluster.isWorker) {
    await serve(config, () => process.send?.('listening'));
    return;
  }
  const demoToken = await prepare(config);
  if (config.workers <= 1) {
    if (demoToken) process.env.TEAM_API_DEMO_TOKEN = demoToken;
    // One write, so a reader that waits for "listening" also has the token.
    await serve(config, (port) => console.info(banner(config, port, demoToken)));
    return;
  }
  let listening = 0;
  for (let i = 0; i < config.workers; i++) {
    const worker = cluster.fork(demoToken ? { TEAM_API_DEMO_TOKEN: demoToken } : {});
    worker.on('message', (message) => {
      if (message === 'listening' && ++listening === config.workers) console.info(banner(config, config.port, demoToken));
    });
  }
  cluster.on('exit', (worker, code, signal) => {
    if (!shuttingDown) console.error(`worker ${worker.process.pid} exited (${signal ?? code})`);
  });
  let shuttingDown = false;
  const stop = () => {
    shuttingDown = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
