/**
 * The entry of the webhook delivery thread (see delivery.ts): opens its own
 * connection to the database and runs the delivery worker until told to stop.
 * Loaded only as a worker thread's script.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { loadConfig } from '../config/config.ts';
import { openStore } from '../startup.ts';
import type { DeliveryThreadData } from './delivery.ts';
import { WebhookWorker } from './worker.ts';

async function run(data: DeliveryThreadData): Promise<void> {
  const config = loadConfig(data.env);
  // Its own, smaller share of connections on PostgreSQL (README: connection pool sizing).
  const store = await openStore({ ...config, databasePoolSize: Math.max(2, Math.ceil(config.databasePoolSize / 2)) });
  const worker = new WebhookWorker({ store, config });
  worker.start();
  parentPort!.on('message', (message) => {
    if (message !== 'stop') return;
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
