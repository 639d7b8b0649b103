/**
 * Starts webhook delivery for a server process. The worker runs on a thread of its
 * own, with its own connection to the database, so that deliveries neither wait for
 * the server's event loop (busy with requests, and on SQLite blocked by each commit's
 * fsync) nor take time from it: one endpoint's deliveries go one at a time, so their
 * pace is the pace of the loop that runs them. A thread, with its own V8 heap and
 * connection, costs about 40 MB: it is started only once the database holds a live
 * endpoint, made here or by another instance, and runs from then on. An in-memory
 * database cannot be shared with a thread: there the worker runs on the server's own
 * loop, over its store.
 */
import type { Worker } from 'node:worker_threads';
import type { Config } from '../config/config.ts';
import type { Store } from '../db/store.ts';
import type { Logger } from '../observability/logger.ts';
import type { WebhookDeliveryStats } from '../observability/metrics.ts';
import { startThread } from '../threads.ts';
import { addAttempts, noAttempts, WebhookWorker } from './worker.ts';

export interface WebhookDelivery {
  /** Lets deliveries in flight finish (briefly), records them and gives the leases up. */
  stop(): Promise<void>;
  /** Attempts made so far, by outcome (a thread reports its own every second). */
  stats(): WebhookDeliveryStats;
}

/** How often a delivery thread reports its attempts to the server's thread (for the metrics). */
export const STATS_INTERVAL_MS = 1_000;

/** The message a delivery thread is started with. */
export interface DeliveryThreadData {
  teamApiWebhookDelivery: true;
  /** The environment the configuration is read from (a Config does not cross threads). */
  env: Record<string, string | undefined>;
}

/** How often a server without a delivery thread looks for a first live endpoint. */
const ENDPOINT_WATCH_MS = 1_000;

/** How long `stop` waits for the thread to finish its work before ending it. */
const STOP_TIMEOUT_MS = 10_000;

export function startWebhookDelivery(deps: {
  config: Config;
  env: Record<string, string | undefined>;
  store: Store;
  logger: Pick<Logger, 'error' | 'info'>;
}): WebhookDelivery {
  const { logger } = deps;
  if (/^(file:)?:memory:$/.test(deps.config.databaseUrl)) {
    const worker = new WebhookWorker({ store: deps.store, config: deps.config, logger });
    worker.start();
    return { stop: () => worker.stop(), stats: () => worker.stats };
  }
  const data: DeliveryThreadData = { teamApiWebhookDelivery: true, env: deps.env };
  let stopping = false;
  // What earlier threads counted, plus the running one's latest report.
  let before = noAttempts();
  let current = noAttempts();
  let thread: Worker | null = null;
  let looking = false;
  const lookForEndpoints = async () => {
    if (thread || stopping || looking) return;
    looking = true;
    try {
      if (!(await deps.store.hasWebhookEndpoints()) || stopping) return;
      clearInterval(watch);
      thread = spawn();
      logger.info({}, 'webhook delivery thread started');
    } catch (error) {
      if (!stopping) logger.error({ err: error }, 'looking for webhook endpoints failed');
    } finally {
      looking = false;
    }
  };
  const watch = setInterval(() => void lookForEndpoints(), ENDPOINT_WATCH_MS);
  watch.unref();
  void lookForEndpoints();

  function spawn(): Worker {
    const worker = startThread(import.meta.url, 'delivery-thread', data, deps.env);
    // A thread's message: its attempts so far, or 'stopped'.
    worker.on('message', (message: { teamApiWebhookStats: WebhookDeliveryStats } | string) => {
      if (typeof message === 'object' && message.teamApiWebhookStats) current = message.teamApiWebhookStats;
    });
    worker.on('error', (error) => logger.error({ err: error }, 'webhook delivery thread failed'));
    worker.on('exit', (code) => {
      before = addAttempts(before, current);
      current = noAttempts();
      if (stopping) return;
      // Its leases expire and it starts again from the stored cursors: nothing is lost.
      logger.error({ code }, 'webhook delivery thread exited; restarting it');
      setTimeout(() => {
        if (!stopping) thread = spawn();
      }, 1_000).unref();
    });
    // Never what keeps the process alive: the server decides when to stop.
    worker.unref();
    return worker;
  }

  return {
    async stop() {
      if (stopping) return;
      stopping = true;
      clearInterval(watch);
      const worker = thread;
      if (!worker) return;
      const stopped = new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.on('message', (message) => message === 'stopped' && resolve());
      });
      worker.postMessage('stop');
      const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
      await stopped;
      clearTimeout(timer);
      await worker.terminate();
    },
    stats: () => addAttempts(before, current),
  };
}
