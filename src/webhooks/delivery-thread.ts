/**
 * The entry of the webhook delivery thread (see delivery.ts): opens its own runtime
 * (its own connection to the database) and runs the delivery worker until told to stop.
 * Loaded only as a worker thread's script.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { loadConfig } from '../config/config.ts';
import { createLogger } from '../observability/logger.ts';
import { openRuntime } from '../runtime.ts';
import { type DeliveryThreadData, STATS_INTERVAL_MS } from './delivery.ts';
import { WebhookWorker } from './worker.ts';

async function run(data: DeliveryThreadData): Promise<void> {
  const config = loadConfig(data.env);
  const runtime = await openRuntime(config, {
    // Its own, smaller share of connections (README: connection pool sizing).
    poolSize: Math.max(2, Math.ceil(config.databasePoolSize / 2)),
    // Progress lost to a power cut is only sent again (at least once): no fsync per commit,
    // so the requests' own commits seldom wait for this connection's write lock.
    sqliteSynchronous: 'NORMAL',
  });
  const worker = new WebhookWorker({ store: runtime.store, config, logger: createLogger({ level: config.logLevel }) });
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
      .finally(() => runtime.close())
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
