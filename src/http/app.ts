/**
 * The application: the pipeline (pipeline.ts) over the parts the process built,
 * with its two entry points, a node:http listener and a fetch handler, each a thin
 * adapter (adapters.ts). `createApp` builds nothing long-lived of its own and
 * listens on nothing: the runtime (services, store) and the housekeeping timers
 * belong to the process (runtime.ts, maintenance.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config/config.ts';
import type { Store } from '../db/store.ts';
import type { Services } from '../domain/services.ts';
import type { ErrorCode } from '../errors/catalog.ts';
import { Errors } from '../errors/domain-error.ts';
import { createGraphQLRoute } from '../graphql/server.ts';
import { type Logger, silentLogger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { RequestObserver } from '../observability/request-trace.ts';
import type { RateLimiter } from '../rate-limits/limiter.ts';
import { openRateLimiter, RATE_LIMITED_ACTIONS, RateLimits } from '../rate-limits/rate-limits.ts';
import { type BodyLimit, FetchExchange, NodeExchange, toResponse, writeReply } from './adapters.ts';
import { createPipeline } from './pipeline.ts';

export interface AppDeps {
  config: Config;
  store: Store;
  services: Services;
  /** An API token to pre-fill in GraphiQL's headers (the demo token, in development). */
  graphiqlApiToken?: string | null;
  /** Where each request's line and any unexpected error go (observability/logger.ts); nothing is written without one. */
  logger?: Logger;
  /** The metrics to record into (observability/metrics.ts); none are kept without them. */
  metrics?: Metrics;
  /** Where rate-limit counts live; by default the one the configuration names, owned (and closed) by the app. */
  rateLimiter?: RateLimiter;
}

export interface App {
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  handle(req: IncomingMessage, res: ServerResponse): void;
  services: Services;
  /**
   * The start of a graceful shutdown: from now on `/ready` answers 503 and every
   * answer asks its client to close the connection. Requests are still served.
   */
  beginShutdown(): void;
  /** Logs and counts a request Node refused before the app saw it (not HTTP); returns the id to answer with. */
  refusedByNode(code: ErrorCode): string;
  /** Releases what the app owns (its rate limiter). */
  close(): Promise<void>;
}

export function createApp(deps: AppDeps): App {
  const { config, store, services } = deps;
  const logger = deps.logger ?? silentLogger();
  const metrics = deps.metrics ?? null;
  const observer = new RequestObserver(logger, metrics);
  if (metrics) {
    metrics.watchStore(store);
    // Every limit shows in a scrape from the start, at 0.
    for (const limit of RATE_LIMITED_ACTIONS) metrics.rateLimitRefusals.inc({ limit }, 0);
  }
  const rateLimiter = deps.rateLimiter ?? openRateLimiter(config);
  const rateLimits = new RateLimits(rateLimiter, config.rateLimits, {
    logger,
    onRefused: metrics ? (limit) => metrics.rateLimitRefusals.inc({ limit }) : undefined,
    onFallback: metrics
      ? (event) => {
          if (event === 'counted') metrics.rateLimiterFallback.inc();
          else metrics.rateLimiterFallingBack.set(event === 'started' ? 1 : 0);
        }
      : undefined,
  });
  let shuttingDown = false;
  const answer = createPipeline({
    config,
    store,
    services,
    graphql: createGraphQLRoute({ config, logger, graphiqlApiToken: deps.graphiqlApiToken ?? null }),
    rateLimits,
    observer,
    shuttingDown: () => shuttingDown,
  });
  const { maxBodyBytes } = config.requestLimits;
  // The figure only where limits may be shown; the rest of the body may still be on
  // its way, so the connection cannot carry another request.
  const reason = config.production ? 'the request body is too large' : `the request body must be at most ${maxBodyBytes} bytes`;
  const tooLarge = () => new Errors.InvalidInput({ field: 'body', reason, headers: { connection: 'close' } });
  const bodyLimit: BodyLimit = { maxBytes: maxBodyBytes, tooLarge };

  return {
    services,
    handle(req, res) {
      // While shutting down, each connection closes after its answer, so none stays idle.
      if (shuttingDown) res.setHeader('connection', 'close');
      answer(new NodeExchange(req, bodyLimit)).then(
        (reply) => writeReply(res, reply),
        // The pipeline answers every failure itself; this is a bug in it: nothing can be sent.
        (error: unknown) => {
          logger.error({ err: error }, 'the request pipeline failed');
          res.destroy();
        },
      );
    },
    async fetch(input, init) {
      const request = input instanceof Request ? input : new Request(input, init);
      return toResponse(await answer(new FetchExchange(request, bodyLimit)));
    },
    beginShutdown() {
      shuttingDown = true;
    },
    refusedByNode: (code) => observer.refusedByNode(code),
    async close() {
      if (!deps.rateLimiter) await rateLimiter.close();
    },
  };
}
