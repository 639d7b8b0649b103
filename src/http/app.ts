/**
 * The application: GraphQL (Yoga) at /graphql, health, the REST routes under
 * /-/api/, the sign-in pages and the admin console under /admin, as a node:http listener and as a fetch handler
 * that take the same paths. `createApp` builds it from its dependencies; nothing
 * here listens.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServerAdapter } from '@whatwg-node/server';
import { GraphQLError } from 'graphql';
import { createYoga } from 'graphql-yoga';
import type { Config } from '../config/config.ts';
import { type ErrorCode, envelopeOf } from '../errors/catalog.ts';
import type { Store } from '../db/store.ts';
import { createServices, type Services } from '../domain/services.ts';
import { type DomainError, Errors, findDomainError } from '../errors/domain-error.ts';
import { graphiqlOptions, renderGraphiQL } from '../graphql/graphiql.ts';
import { useCsrfPrevention } from '../graphql/csrf-prevention.ts';
import { useQueryLimits } from '../graphql/query-limits.ts';
import { useRequestParamErrors } from '../graphql/request-params.ts';
import { schema } from '../graphql/schema.ts';
import { toEnvelopeError, transportError, useTransportErrors } from '../graphql/transport-errors.ts';
import type { RateLimiter } from '../rate-limits/limiter.ts';
import { openRateLimiter, RATE_LIMITED_ACTIONS, RateLimits } from '../rate-limits/rate-limits.ts';
import { bodyTooLarge, withBoundedBody } from './body-limit.ts';
import { handleConsoleRequest, isConsolePath } from './console/console.ts';
import { clientAddressOf } from './client-address.ts';
import {
  type BodyLimit,
  type HeaderReader,
  type Exchange,
  exchangeFromNode,
  exchangeFromRequest,
  type Reply,
  replyToResponse,
  requestOf,
  writeReply,
  writeResponse,
} from './exchange.ts';
import { createGraphQLFastPath, fastGraphQLCandidate, graphqlReply, hostIsValid } from './graphql-fast-path.ts';
import { HOME_PATH, handlePageRequest, SIGN_OUT_PATH } from './pages.ts';
import { createRequestContext, type RequestContext } from '../requests/request-context.ts';
import { API_PREFIX, handleApiRequest, restRouteLabel } from './rest.ts';
import { jsonReply } from './error-responses.ts';
import { type Logger, silentLogger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { REQUEST_ID_HEADER, RequestObserver, type RequestTrace } from '../observability/request-trace.ts';

export interface AppDeps {
  config: Config;
  store: Store;
  /** HS256 key material for SSO tokens (see resolveSsoSecret). */
  ssoSecret: string;
  now?: () => number;
  /** An API token to pre-fill in GraphiQL's headers (the demo token, in development). */
  graphiqlApiToken?: string | null;
  /** Where each request's line and any unexpected error go (observability/logger.ts); nothing is written without one. */
  logger?: Logger;
  /** The metrics to record into (observability/metrics.ts); none are kept without them. */
  metrics?: Metrics;
  /** Where rate-limit counts live; by default the one the configuration names, owned (and closed) by the app. */
  rateLimiter?: RateLimiter;
}

/** What the node adapter passes along with each request. */
interface ServerContext {
  req?: { url?: string; socket?: { remoteAddress?: string } };
  /** The trace of a request the exchange path began and handed to the full path; it finishes it too. */
  trace?: RequestTrace;
}

export interface App {
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** A node:http request listener. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  services: Services;
  /**
   * The start of a graceful shutdown: from now on `/ready` answers 503 and every
   * answer asks its client to close the connection. Requests are still served.
   */
  beginShutdown(): void;
  /** Logs and counts a request Node refused before the app saw it (not HTTP); returns the id to answer with. */
  refusedByNode(code: ErrorCode): string;
  /** Stops the timers, writes what is pending (last-use times) and releases the rate limiter. */
  close(): Promise<void>;
}

const LAST_USE_FLUSH_MS = 5_000;

const GRAPHQL_PATH = '/graphql';
const HEALTH_PATH = '/health';
const READY_PATH = '/ready';

/** The metrics label of a path: a fixed set, whatever paths clients make up. */
function routeOf(pathname: string): string {
  if (pathname === GRAPHQL_PATH) return 'graphql';
  if (pathname === HEALTH_PATH) return 'health';
  if (pathname === READY_PATH) return 'ready';
  if (pathname === HOME_PATH || pathname === SIGN_OUT_PATH) return 'page';
  if (isConsolePath(pathname)) return 'admin';
  if (pathname.startsWith(API_PREFIX)) return restRouteLabel(pathname);
  return 'other';
}

/** Whether a route (a label of routeOf) is one of our own, answered here rather than by Yoga. */
function isOwnRoute(route: string): boolean {
  return route !== 'graphql' && route !== 'other';
}

/** The path of the request line, without its query string, as the client sent it. */
function rawPathOf(request: Request, serverContext: ServerContext): string {
  const target = serverContext.req?.url;
  if (target !== undefined) {
    const query = target.indexOf('?');
    return query < 0 ? target : target.slice(0, query);
  }
  try {
    return new URL(request.url).pathname;
  } catch {
    return '';
  }
}

/** A fetch Response, the global one or the adapter's ponyfill, rather than a Reply. */
function isResponse(answer: Reply | Response): answer is Response {
  return typeof (answer as Response).arrayBuffer === 'function';
}

const bareRefusalReasons: Record<number, string> = {
  405: 'Method not allowed: use GET or POST.',
  406: 'Not acceptable: accept application/json or application/graphql-response+json.',
  415: 'Unsupported content type: send application/json.',
};

export function createApp(deps: AppDeps): App {
  const { config, store } = deps;
  const now = deps.now ?? Date.now;
  const services = createServices({ config, store, now, ssoKey: new TextEncoder().encode(deps.ssoSecret) });
  const isDev = config.development;
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
  });
  let shuttingDown = false;

  const yoga = createYoga<{ requestContext: RequestContext }, RequestContext>({
    schema,
    // Yoga merges this into its own context: resolvers see GraphQLContext.
    context: ({ requestContext }) => requestContext,
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    // Yoga would log every error it masks, expected ones included; the request's own
    // line reports the unexpected ones, once, with its request id.
    logging: { debug() {}, info() {}, warn: (...a: unknown[]) => logger.warn({ yoga: a.map(String) }, 'graphql-yoga warning'), error() {} },
    maskedErrors: {
      isDev,
      // Request-level GraphQL errors are enveloped later, where the request is known.
      maskError: (error) => (error instanceof GraphQLError && !error.path ? error : toEnvelopeError(error, { isDev })),
    },
    graphiql: config.graphiql ? () => graphiqlOptions(deps.graphiqlApiToken ?? null) : false,
    renderGraphiQL,
    // Any origin may call the API with a bearer token, but never with the browser's
    // cookies: a credentialed cross-origin request fails its preflight (see csrf-prevention.ts).
    cors: { credentials: false },
    // One operation per request: a batched array is refused as InvalidInput.
    batching: false,
    plugins: [
      useCsrfPrevention(),
      useRequestParamErrors(),
      ...useQueryLimits({ limits: config.requestLimits, exposeLimits: !config.production, introspection: config.introspection }),
      useTransportErrors({ isDev }),
    ],
  });

  /** The request context of a request with these headers, from this socket address. */
  function contextFor(headers: HeaderReader, socketAddress: string | undefined, trace: RequestTrace): RequestContext {
    const clientAddress = clientAddressOf(socketAddress, headers.get('x-forwarded-for'), config.trustProxyHops);
    return createRequestContext({ headers }, config, services, clientAddress, rateLimits, trace);
  }

  /**
   * Every request of the full path; whatever goes wrong, the answer is an envelope
   * (Node's adapter would send a stack), and it carries the request id.
   */
  async function route(request: Request, serverContext: ServerContext): Promise<Response> {
    const handedOver = serverContext.trace;
    const trace = handedOver ?? observer.start(request.headers.get(REQUEST_ID_HEADER), request.method, rawPathOf(request, serverContext));
    let response: Response;
    try {
      response = await routeRequest(request, serverContext, trace);
    } catch (error) {
      trace.noteUnexpected(error);
      response = replyToResponse(graphqlErrorReply(toEnvelopeError(error, { isDev }), new Headers(), trace));
    }
    response.headers.set(REQUEST_ID_HEADER, trace.requestId);
    if (!handedOver) observer.finish(trace, response.status);
    return response;
  }

  async function routeRequest(request: Request, serverContext: ServerContext, trace: RequestTrace): Promise<Response> {
    // A Host that is no host may still make a URL (`../../`, `a?b`), just not the one the client meant.
    const host = request.headers.get('host');
    let pathname: string | null = null;
    if (!host || hostIsValid(host)) {
      try {
        ({ pathname } = new URL(request.url));
      } catch {
        // The URL is built from the Host header, so a Host such as `x:notaport` makes it unparsable.
      }
    }
    if (pathname === null) {
      trace.route = routeOf(trace.path);
      return refusal(trace.path, new Errors.InvalidInput({ field: 'host', reason: 'The Host header is not a valid host.' }), trace);
    }
    trace.route = routeOf(pathname);
    try {
      request = await withBoundedBody(request, config.requestLimits.maxBodyBytes, { exposeLimit: !config.production });
    } catch (error) {
      return refusal(pathname, error, trace);
    }
    const requestContext = contextFor(request.headers, serverContext.req?.socket?.remoteAddress, trace);
    if (isOwnRoute(trace.route)) {
      const exchange = exchangeFromRequest(request, serverContext.req?.socket?.remoteAddress ?? 'unknown', bodyLimit);
      return withCookies(replyToResponse((await answerOwnRoute(exchange, requestContext))!), requestContext);
    }
    // Yoga would also serve any URL that merely ends in /graphql.
    if (pathname !== GRAPHQL_PATH) return new Response(null, { status: 404 });
    return withCookies(envelopeBareRefusal(await yoga.handle(request, { requestContext }), trace), requestContext);
  }

  function withCookies(response: Response, requestContext: RequestContext): Response {
    for (const cookie of requestContext.responseCookies) response.headers.append('set-cookie', cookie);
    for (const [name, value] of Object.entries(requestContext.responseHeaders)) response.headers.set(name, value);
    return response;
  }

  /**
   * Yoga answers some requests it cannot read (unsupported content type or method,
   * unacceptable Accept) with a bare status; give them the InvalidInput envelope too.
   */
  function envelopeBareRefusal(response: Response, trace: RequestTrace): Response {
    const reason = bareRefusalReasons[response.status];
    if (!reason || response.headers.get('content-type')?.includes('json')) return response;
    return replyToResponse(graphqlErrorReply(toEnvelopeError(new GraphQLError(reason), { isDev }), response.headers, trace));
  }

  /** A request refused before it reached GraphQL or a route, in the envelope its path speaks. */
  function refusal(pathname: string, error: unknown, trace: RequestTrace): Response {
    const domainError: DomainError | null = findDomainError(error);
    if (!domainError) throw error;
    if (pathname.startsWith(API_PREFIX)) {
      trace.noteErrorCode(domainError.code);
      return Response.json({ error: envelopeOf(domainError.code) }, { status: domainError.status, headers: domainError.headers });
    }
    return replyToResponse(graphqlErrorReply(transportError(domainError), new Headers(domainError.headers), trace));
  }

  /** A GraphQL error answer (noted on the trace), keeping the given headers it does not set itself. */
  function graphqlErrorReply(error: GraphQLError, headers: Headers, trace: RequestTrace): Reply {
    const answer = graphqlReply({ errors: [error] }, isDev, trace);
    headers.forEach((value, name) => {
      if (!(name in answer.headers) && name !== 'content-length') answer.headers[name] = value;
    });
    return answer;
  }

  async function health(): Promise<Reply> {
    try {
      await store.ping();
      return jsonReply({ status: 'ok' });
    } catch {
      return jsonReply({ status: 'unavailable' }, 503);
    }
  }

  /** Whether a load balancer should send this instance traffic: the database answers and no shutdown has begun. */
  async function ready(): Promise<Reply> {
    if (shuttingDown) return jsonReply({ status: 'shutting-down' }, 503);
    try {
      await store.ping();
    } catch {
      return jsonReply({ status: 'unavailable' }, 503);
    }
    return shuttingDown ? jsonReply({ status: 'shutting-down' }, 503) : jsonReply({ status: 'ready' });
  }

  const adapter = createServerAdapter<ServerContext>(route);

  // POST /graphql with a JSON body, run through Yoga's own pipeline without fetch objects.
  const answerGraphQL = createGraphQLFastPath(yoga, { isDev });
  const bodyLimit: BodyLimit = {
    maxBytes: config.requestLimits.maxBodyBytes,
    tooLarge: () => bodyTooLarge(config.requestLimits.maxBodyBytes, { exposeLimit: !config.production }),
  };

  /** Our own routes (health, readiness, REST, pages, the console), answered on the exchange; null for any other path. */
  async function answerOwnRoute(exchange: Exchange, requestContext: RequestContext): Promise<Reply | null> {
    const { pathname } = exchange;
    if (pathname === HEALTH_PATH) return health();
    if (pathname === READY_PATH) return ready();
    return (
      (await handleApiRequest(exchange, pathname, requestContext)) ??
      (await handlePageRequest(exchange, pathname, requestContext)) ??
      (await handleConsoleRequest(exchange, pathname, requestContext))
    );
  }

  /**
   * What is answered on the exchange: our own routes, and POST /graphql with a JSON
   * body (skipping the fetch Request and Response the adapter builds per call, the
   * larger part of a request's cost). A request whose Host is no host, or whose path
   * needs normalising, takes the full path.
   */
  function servedOnExchange(exchange: Exchange): boolean {
    // Dot segments and escapes need the URL normalisation of the full path.
    if (/\/\.|%/.test(exchange.pathname)) return false;
    return hostIsValid(exchange.headers.get('host')) && (isOwnRoute(routeOf(exchange.pathname)) || fastGraphQLCandidate(exchange));
  }

  /** The answer to an exchange, carrying its request id; never throws. */
  async function answerExchange(exchange: Exchange, trace: RequestTrace): Promise<Reply | Response> {
    trace.route = routeOf(exchange.pathname);
    let answer: Reply | null;
    try {
      const requestContext = contextFor(exchange.headers, exchange.clientAddress, trace);
      answer = isOwnRoute(trace.route)
        ? await answerOwnRoute(exchange, requestContext)
        : await answerGraphQL(exchange, requestContext);
      if (!answer) {
        // A body the fast path declines goes the full way, replayed from what was read;
        // the full path adds the request id, and this trace stays the request's one.
        const serverContext: ServerContext = { req: { url: exchange.target, socket: { remoteAddress: exchange.clientAddress } }, trace };
        return await adapter.fetch(await requestOf(exchange), serverContext);
      }
      if (requestContext.responseCookies.length) answer.headers['set-cookie'] = requestContext.responseCookies;
      Object.assign(answer.headers, requestContext.responseHeaders);
    } catch (error) {
      trace.noteUnexpected(error);
      answer = graphqlErrorReply(toEnvelopeError(error, { isDev }), new Headers(), trace);
    }
    answer.headers[REQUEST_ID_HEADER] = trace.requestId;
    return answer;
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    // While shutting down, each connection closes after its answer, so none stays idle.
    if (shuttingDown) res.setHeader('connection', 'close');
    const exchange = exchangeFromNode(req, bodyLimit);
    if (!servedOnExchange(exchange)) {
      void adapter(req, res);
      return;
    }
    const trace = observer.start(exchange.headers.get(REQUEST_ID_HEADER), exchange.method, exchange.pathname);
    answerExchange(exchange, trace)
      .then((answer) => {
        if (!isResponse(answer)) {
          writeReply(res, answer);
          return answer.status;
        }
        return writeResponse(res, answer).then(() => answer.status);
      })
      .then(
        (status) => observer.finish(trace, status),
        (error: unknown) => {
          // The answer could not be written: there is nothing left to send.
          trace.noteUnexpected(error);
          observer.finish(trace, 500);
          res.destroy();
        },
      );
  }

  async function fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const request = input instanceof Request ? input : new Request(input, init);
    const exchange = exchangeFromRequest(request, 'unknown', bodyLimit);
    if (!servedOnExchange(exchange)) return adapter.fetch(request);
    const trace = observer.start(exchange.headers.get(REQUEST_ID_HEADER), exchange.method, exchange.pathname);
    const answer = await answerExchange(exchange, trace);
    const response = isResponse(answer) ? answer : replyToResponse(answer);
    observer.finish(trace, response.status);
    return response;
  }

  const flushTimer = setInterval(() => {
    services.apiTokens.flushLastUse().catch((error: unknown) => logger.error({ err: error }, 'writing API-token last-use times failed'));
  }, LAST_USE_FLUSH_MS);
  flushTimer.unref();
  const purgeTimer = setInterval(() => {
    services.sessions.purgeExpired().catch((error: unknown) => logger.error({ err: error }, 'purging expired sessions failed'));
    services.events.purgeExpired().catch((error: unknown) => logger.error({ err: error }, 'purging old events failed'));
    services.webhooks.purgeExpiredAttempts().catch((error: unknown) => logger.error({ err: error }, 'purging old webhook attempts failed'));
  }, config.sessionPurgeIntervalMs);
  purgeTimer.unref();

  return {
    fetch,
    handle,
    services,
    beginShutdown() {
      shuttingDown = true;
    },
    refusedByNode: (code) => observer.refusedByNode(code),
    async close() {
      clearInterval(flushTimer);
      clearInterval(purgeTimer);
      try {
        await services.apiTokens.flushAllLastUse();
      } finally {
        if (!deps.rateLimiter) await rateLimiter.close();
      }
    },
  };
}
