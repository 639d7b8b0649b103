/**
 * The entry of the webhook delivery thread (see delivery.ts): opens its own
 * connection to the database and runs the delivery worker until told to stop.
 * Loaded only as a worker thread's script.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { loadConfig } from '../config/config.ts';
import { isPostgresUrl, openPostgresStore } from '../db/postgres/store.ts';
import { openSqliteStore } from '../db/sqlite/store.ts';
import type { Store } from '../db/store.ts';
import { createLogger } from '../observability/logger.ts';
import { type DeliveryThreadData, STATS_INTERVAL_MS } from './delivery.ts';
import { WebhookWorker } from './worker.ts';

async function run(data: DeliveryThreadData): Promise<void> {
  const config = loadConfig(data.env);
  const store: Store = isPostgresUrl(config.databaseUrl)
    ? // Its own, smaller share of connections (README: connection pool sizing).
      await openPostgresStore(config.databaseUrl, { poolSize: Math.max(2, Math.ceil(config.databasePoolSize / 2)) })
    : // Progress lost to a power cut is only sent again (at least once): no fsync per commit,
      // so the requests' own commits seldom wait for this connection's write lock.
      openSqliteStore(config.databaseUrl, { synchronous: 'NORMAL' });
  const worker = new WebhookWorker({ store, config, logger: createLogger({ level: config.logLevel }) });
  worker.start();
  // The server's metrics read these; they cannot reach into this thread.
  const report = setInterval(() => parentPort!.postMessage({ teamApiWebhookStats: { ...worker.stats } }), STATS_INTERVAL_MS);
  report.unref();
  parentPort!.on('message', (message) => {
    if (message !== 'stop') return;
    clearInterval(report);
    parentPort!.postMessage({ teamApiWebhookStats: { ...worker.stats } });
    void worker
      .stop()
      .finally(() => store.close())
      .finally(() => {
        parentPort!.postMessage('stopped');
        parentPort!.close();
      });
  });
}

const data = workerData as DeliveryThreadData | undefined;
if (!isMainThread && data?.teamApiWebhookDelivery) {
  run(data).catch((error: unknown) => {
    console.error('webhook delivery thread:', error);
    process.exit(1);
  });
}
