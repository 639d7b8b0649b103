/**
 * The server's housekeeping, beside the app as webhook delivery is (never inside a
 * request): API-token last-use times kept in memory are written every few seconds,
 * and every PURGE_INTERVAL_SECONDS expired sessions (with used SSO-token records and
 * expired idempotency keys), events past their retention and webhook attempts past
 * it are deleted. Started and stopped by the process (server.ts); importing it
 * starts nothing. A failure is logged and the next round tries again.
 */
import type { Config } from './config/config.ts';
import type { Services } from './domain/services.ts';
import type { Logger } from './observability/logger.ts';

/** How long an API token's last use may wait in memory before it is written. */
const LAST_USE_FLUSH_MS = 5_000;

export interface Maintenance {
  /** Stops the timers and writes the last-use times still pending: call it before the store closes. */
  stop(): Promise<void>;
}

export function startMaintenance(deps: {
  config: Pick<Config, 'purgeIntervalMs'>;
  services: Pick<Services, 'apiTokens' | 'sessions' | 'events' | 'webhooks'>;
  logger: Pick<Logger, 'error'>;
}): Maintenance {
  const { services, logger } = deps;
  const logFailure = (what: string) => (error: unknown) => logger.error({ err: error }, `${what} failed`);

  const flushTimer = setInterval(() => {
    services.apiTokens.flushLastUse().catch(logFailure('writing API-token last-use times'));
  }, LAST_USE_FLUSH_MS);
  const purgeTimer = setInterval(() => {
    services.sessions.purgeExpired().catch(logFailure('purging expired sessions'));
    services.events.purgeExpired().catch(logFailure('purging old events'));
    services.webhooks.purgeExpiredAttempts().catch(logFailure('purging old webhook attempts'));
  }, deps.config.purgeIntervalMs);
  // Never what keeps the process alive: the server decides when to stop.
  flushTimer.unref();
  purgeTimer.unref();

  let stopped: Promise<void> | null = null;
  return {
    stop() {
      stopped ??= (async () => {
        clearInterval(flushTimer);
        clearInterval(purgeTimer);
        await services.apiTokens.flushAllLastUse();
      })();
      return stopped;
    },
  };
}
