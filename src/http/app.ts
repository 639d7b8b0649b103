/**
 * The application: GraphQL (Yoga) at /graphql, health, the REST routes under
 * /-/api/ and the sign-in pages, as a node:http listener and as a fetch handler
 * that take the same paths. `createApp` builds it from its dependencies; nothing
 * here listens.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServerAdapter } from '@whatwg-node/server';
import { GraphQLError } from 'graphql';
import { createYoga } from 'graphql-yoga';
import type { Config } from '../config/config.ts';
import { envelopeOf } from '../errors/catalog.ts';
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
import { openRateLimiter, RateLimits } from '../rate-limits/rate-limits.ts';
import { bodyTooLarge, withBoundedBody } from './body-limit.ts';
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
import { createRequestContext, type RequestContext } from './request-context.ts';
import { API_PREFIX, handleApiRequest } from './rest.ts';
import { jsonReply } from './error-responses.ts';

export interface AppDeps {
  config: Config;
  store: Store;
  /** HS256 key material for SSO tokens (see resolveSsoSecret). */
  ssoSecret: string;
  now?: () => number;
  /** An API token to pre-fill in GraphiQL's headers (the demo token, in development). */
  graphiqlApiToken?: string | null;
  /** Where unexpected errors are reported; silent by default in tests. */
  logger?: Pick<Console, 'error' | 'info'> | false;
  /** Where rate-limit counts live; by default the one the configuration names, owned (and closed) by the app. */
  rateLimiter?: RateLimiter;
}

/** What the node adapter passes along with each request. */
interface ServerContext {
  req?: { url?: string; socket?: { remoteAddress?: string } };
}

export interface App {
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** A node:http request listener. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  services: Services;
  /** Stops the timers, writes what is pending and releases the rate limiter. */
  close(): Promise<void>;
}

const LAST_USE_FLUSH_MS = 5_000;

function isOwnRoute(pathname: string): boolean {
  return pathname === '/health' || pathname.startsWith(API_PREFIX) || pathname === HOME_PATH || pathname === SIGN_OUT_PATH;
}

/** A fetch Response, the global one or the adapter's ponyfill, rather than a Reply. */
function isResponse(answer: Reply | Response): answer is Response {
  return typeof (answer as Response).arrayBuffer === 'function';
}
const GRAPHQL_PATH = '/graphql';

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
  const logger = deps.logger === undefined ? console : deps.logger;
  const rateLimiter = deps.rateLimiter ?? openRateLimiter(config);
  const rateLimits = new RateLimits(rateLimiter, config.rateLimits, logger);

  const yoga = createYoga<{ requestContext: RequestContext }, RequestContext>({
    schema,
    // Yoga merges this into its own context: resolvers see GraphQLContext.
    context: ({ requestContext }) => requestContext,
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    logging: logger ? { debug() {}, info() {}, warn: (...a) => logger.error(...a), error: (...a) => logger.error(...a) } : false,
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
  function contextFor(headers: HeaderReader, socketAddress: string | undefined): RequestContext {
    const clientAddress = clientAddressOf(socketAddress, headers.get('x-forwarded-for'), config.trustProxyHops);
    return createRequestContext({ headers }, config, services, clientAddress, rateLimits);
  }

  /** Every request; whatever goes wrong, the answer is an envelope (Node's adapter would send a stack). */
  async function route(request: Request, serverContext: ServerContext): Promise<Response> {
    try {
      return await routeRequest(request, serverContext);
    } catch (error) {
      if (logger) logger.error(error);
      return graphqlErrorResponse(toEnvelopeError(error, { isDev }), new Headers());
    }
  }

  async function routeRequest(request: Request, serverContext: ServerContext): Promise<Response> {
    let pathname: string;
    try {
      // The URL is built from the Host header, so a Host such as `x:notaport` makes it unparsable.
      ({ pathname } = new URL(request.url));
    } catch {
      const rawPath = serverContext.req?.url ?? '';
      return refusal(rawPath, new Errors.InvalidInput({ field: 'host', reason: 'The Host header is not a valid host.' }));
    }
    try {
      request = await withBoundedBody(request, config.requestLimits.maxBodyBytes, { exposeLimit: !config.production });
    } catch (error) {
      return refusal(pathname, error);
    }
    const requestContext = contextFor(request.headers, serverContext.req?.socket?.remoteAddress);
    if (isOwnRoute(pathname)) {
      const exchange = exchangeFromRequest(request, serverContext.req?.socket?.remoteAddress ?? 'unknown', bodyLimit);
      return withCookies(replyToResponse((await answerOwnRoute(exchange, requestContext))!), requestContext);
    }
    // Yoga would also serve any URL that merely ends in /graphql.
    if (pathname !== GRAPHQL_PATH) return new Response(null, { status: 404 });
    return withCookies(envelopeBareRefusal(await yoga.handle(request, { requestContext })), requestContext);
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
  function envelopeBareRefusal(response: Response): Response {
    const reason = bareRefusalReasons[response.status];
    if (!reason || response.headers.get('content-type')?.includes('json')) return response;
    return graphqlErrorResponse(toEnvelopeError(new GraphQLError(reason), { isDev }), response.headers);
  }

  /** A request refused before it reached GraphQL or a route, in the envelope its path speaks. */
  function refusal(pathname: string, error: unknown): Response {
    const domainError: DomainError | null = findDomainError(error);
    if (!domainError) throw error;
    if (pathname.startsWith('/-/api/')) {
      return Response.json({ error: envelopeOf(domainError.code) }, { status: domainError.status, headers: domainError.headers });
    }
    return graphqlErrorResponse(transportError(domainError), new Headers(domainError.headers));
  }

  function graphqlErrorResponse(error: GraphQLError, headers: Headers): Response {
    const answer = graphqlReply({ errors: [error] }, isDev);
    headers.forEach((value, name) => {
      if (!(name in answer.headers) && name !== 'content-length') answer.headers[name] = value;
    });
    return replyToResponse(answer);
  }

  async function health(): Promise<Reply> {
    try {
      await store.ping();
      return jsonReply({ status: 'ok' });
    } catch {
      return jsonReply({ status: 'unavailable' }, 503);
    }
  }

  const adapter = createServerAdapter<ServerContext>(route);

  // POST /graphql with a JSON body, run through Yoga's own pipeline without fetch objects.
  const answerGraphQL = createGraphQLFastPath(yoga, { isDev });
  const bodyLimit: BodyLimit = {
    maxBytes: config.requestLimits.maxBodyBytes,
    tooLarge: () => bodyTooLarge(config.requestLimits.maxBodyBytes, { exposeLimit: !config.production }),
  };

  /** Our own routes (health, REST, pages), answered on the exchange; null for any other path. */
  async function answerOwnRoute(exchange: Exchange, requestContext: RequestContext): Promise<Reply | null> {
    const { pathname } = exchange;
    if (pathname === '/health') return health();
    return (
      (await handleApiRequest(exchange, pathname, requestContext, logger)) ??
      (await handlePageRequest(exchange, pathname, requestContext, logger))
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
    return hostIsValid(exchange.headers.get('host')) && (isOwnRoute(exchange.pathname) || fastGraphQLCandidate(exchange));
  }

  async function answerExchange(exchange: Exchange): Promise<Reply | Response> {
    try {
      const requestContext = contextFor(exchange.headers, exchange.clientAddress);
      const answer = isOwnRoute(exchange.pathname)
        ? await answerOwnRoute(exchange, requestContext)
        : await answerGraphQL(exchange, requestContext);
      if (!answer) {
        // A body the fast path declines goes the full way, replayed from what was read.
        const serverContext = { req: { url: exchange.target, socket: { remoteAddress: exchange.clientAddress } } };
        return await adapter.fetch(await requestOf(exchange), serverContext);
      }
      if (requestContext.responseCookies.length) answer.headers['set-cookie'] = requestContext.responseCookies;
      Object.assign(answer.headers, requestContext.responseHeaders);
      return answer;
    } catch (error) {
      if (logger) logger.error(error);
      return graphqlErrorResponse(toEnvelopeError(error, { isDev }), new Headers());
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const exchange = exchangeFromNode(req, bodyLimit);
    if (!servedOnExchange(exchange)) {
      void adapter(req, res);
      return;
    }
    void answerExchange(exchange).then(
      (answer) => (isResponse(answer) ? writeResponse(res, answer) : writeReply(res, answer)),
      (error: unknown) => {
        if (logger) logger.error(error);
        res.destroy();
      },
    );
  }

  async function fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const request = input instanceof Request ? input : new Request(input, init);
    const exchange = exchangeFromRequest(request, 'unknown', bodyLimit);
    if (!servedOnExchange(exchange)) return adapter.fetch(request);
    const answer = await answerExchange(exchange);
    return isResponse(answer) ? answer : replyToResponse(answer);
  }

  const flushTimer = setInterval(() => {
    services.apiTokens.flushLastUse().catch((error) => logger && logger.error(error));
  }, LAST_USE_FLUSH_MS);
  flushTimer.unref();
  const purgeTimer = setInterval(() => {
    services.sessions.purgeExpired().catch((error) => logger && logger.error(error));
    services.events.purgeExpired().catch((error) => logger && logger.error(error));
  }, config.sessionPurgeIntervalMs);
  purgeTimer.unref();

  return {
    fetch,
    handle,
    services,
    async close() {
      clearInterval(flushTimer);
      clearInterval(purgeTimer);
      try {
        await services.apiTokens.flushLastUse();
      } finally {
        if (!deps.rateLimiter) await rateLimiter.close();
      }
    },
  };
}
