/** Starts the HTTP server: the only module that listens. */
import { ConfigError, loadConfig } from './config/config.ts';
import { createServices } from './domain/services.ts';
import { createApp } from './http/app.ts';
import { createHttpServer } from './http/node-server.ts';
import { DEMO_GROUP, openStore, resolveSsoSecret, seedDemoGroup } from './startup.ts';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const store = await openStore(config);
  const ssoSecret = await resolveSsoSecret(config, store);
  const seedServices = createServices({ config, store, now: Date.now, ssoKey: new TextEncoder().encode(ssoSecret) });
  const demoToken = await seedDemoGroup(config, store, seedServices);

  const app = createApp({ config, store, ssoSecret, graphiqlApiToken: demoToken });
  const server = createHttpServer(app);
  server.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const banner = [`Team API listening on http://${config.host}:${port} (GraphiQL at /graphql)`];
    if (demoToken) {
      banner.push(
        `Created group "${DEMO_GROUP}". Its API token, shown once:`,
        '',
        `  ${demoToken}`,
        '',
        `Try it: http://localhost:${port}/graphql`,
      );
    }
    // One write, so a reader that waits for "listening" also has the token.
    console.info(banner.join('\n'));
  });

  const shutdown = () => {
    server.close();
    server.closeAllConnections();
    void app.close().finally(() => store.close());
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
