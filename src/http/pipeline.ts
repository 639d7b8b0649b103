/**
 * The one request pipeline: every request, from node:http or `app.fetch`, to
 * GraphQL, REST, the pages or the console, goes through `answer`. Here and only
 * here the trace starts and ends, the Host and the body limit are checked, the
 * request context is built, an unexpected error is enveloped, and the cookies and
 * headers the layers asked for are set.
 */
import type { Config } from '../config/config.ts';
import type { Store } from '../db/store.ts';
import type { Services } from '../domain/services.ts';
import { Errors, findDomainError } from '../errors/domain-error.ts';
import { GRAPHQL_PATH, type GraphQLRoute } from '../graphql/server.ts';
import { GRAPHIQL_ASSETS_PATH } from '../graphql/graphiql.ts';
import { REQUEST_ID_HEADER, type RequestObserver, type RequestTrace } from '../observability/request-trace.ts';
import type { RateLimits } from '../rate-limits/rate-limits.ts';
import { type Exchange, type Reply, reply } from '../requests/exchange.ts';
import { createRequestContext, type RequestContext } from '../requests/request-context.ts';
import { clientAddressOf } from './client-address.ts';
import { handleConsoleRequest, isConsolePath } from './console/console.ts';
import { answerableError, jsonError, jsonReply } from './error-responses.ts';
import { HOME_PATH, handlePageRequest, SIGN_OUT_PATH } from './pages.ts';
import { API_PREFIX, handleApiRequest, restRouteLabel } from './rest.ts';
import { scimErrorReply } from './scim/replies.ts';
import { handleScimRequest, SCIM_PREFIX, scimRouteLabel } from './scim/routes.ts';

export interface PipelineDeps {
  config: Config;
  store: Store;
  services: Services;
  graphql: GraphQLRoute;
  rateLimits: RateLimits;
  observer: RequestObserver;
  /** Whether a graceful shutdown has begun (`/ready` then answers 503). */
  shuttingDown(): boolean;
}

/** A route of the table: the paths it takes, its metrics label, and its handler. */
interface Route {
  matches(pathname: string): boolean;
  /** The metrics label: a fixed set, whatever paths clients make up. */
  label(pathname: string): string;
  answer(exchange: Exchange, ctx: RequestContext): Promise<Reply>;
  /** How it answers a refusal of the request itself (or a masked unexpected error): GraphQL's `errors[]` unless it says. */
  refuse?(error: unknown, trace: RequestTrace): Reply;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
// Underscores are not DNS, but container and compose service names use them.
const VALID_HOST = /^(?:[a-z0-9._-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

export function createPipeline(deps: PipelineDeps): (exchange: Exchange) => Promise<Reply> {
  const { config, store, services, graphql, rateLimits, observer } = deps;

  async function probe(ready: boolean): Promise<Reply> {
    if (ready && deps.shuttingDown()) return jsonReply({ status: 'shutting-down' }, 503);
    try {
      await store.ping();
    } catch {
      return jsonReply({ status: 'unavailable' }, 503);
    }
    if (ready && deps.shuttingDown()) return jsonReply({ status: 'shutting-down' }, 503);
    return jsonReply({ status: ready ? 'ready' : 'ok' });
  }

  const fixed = (path: string, label: string, answer: Route['answer']): Route => ({
    matches: (pathname) => pathname === path,
    label: () => label,
    answer,
  });
  const routes: Route[] = [
    fixed(GRAPHQL_PATH, 'graphql', (exchange, ctx) => graphql.answer(exchange, ctx)),
    {
      matches: (pathname) => pathname.startsWith(GRAPHIQL_ASSETS_PATH),
      label: () => 'graphiql-assets',
      answer: async (exchange) => graphql.asset(exchange),
    },
    fixed('/health', 'health', () => probe(false)),
    // Whether a load balancer should send this instance traffic: the database answers and no shutdown has begun.
    fixed('/ready', 'ready', () => probe(true)),
    {
      matches: (pathname) => pathname.startsWith(API_PREFIX),
      label: restRouteLabel,
      answer: handleApiRequest,
      refuse: (error, trace) => jsonError(answerableError(error, trace)),
    },
    {
      matches: (pathname) => pathname === SCIM_PREFIX || pathname.startsWith(`${SCIM_PREFIX}/`),
      label: scimRouteLabel,
      answer: handleScimRequest,
      refuse: scimErrorReply,
    },
    {
      matches: (pathname) => pathname === HOME_PATH || pathname === SIGN_OUT_PATH,
      label: () => 'page',
      answer: handlePageRequest,
    },
    {
      matches: isConsolePath,
      label: () => 'admin',
      answer: handleConsoleRequest,
    },
  ];
  const notFound: Route = { matches: () => true, label: () => 'other', answer: async () => reply(404, null) };

  /** A failure of the request itself (or an unexpected one, masked), in the envelope its route speaks. */
  function failure(route: Route, error: unknown, trace: RequestTrace): Reply {
    if (route.refuse) return route.refuse(error, trace);
    const domainError = findDomainError(error);
    if (!domainError) trace.noteUnexpected(error);
    return graphql.errorReply(error, trace, domainError?.headers);
  }

  return async function answer(exchange: Exchange): Promise<Reply> {
    const { headers, pathname } = exchange;
    const trace = observer.start(headers.get(REQUEST_ID_HEADER), exchange.method, pathname);
    const route = routes.find((r) => r.matches(pathname)) ?? notFound;
    trace.route = route.label(pathname);
    let answered: Reply;
    try {
      const host = headers.get('host');
      // No Host (HTTP/1.0, a bare client) is a request on no group; a Host that is no host is refused.
      if (host && !VALID_HOST.test(host)) {
        throw new Errors.InvalidInput({ field: 'host', reason: 'The Host header is not a valid host.' });
      }
      if (BODY_METHODS.has(exchange.method)) await exchange.bytes();
      const clientAddress = clientAddressOf(exchange.socketAddress, headers.get('x-forwarded-for'), config.trustProxyHops);
      const ctx = createRequestContext(headers, config, services, clientAddress, rateLimits, trace);
      answered = await route.answer(exchange, ctx);
      if (ctx.responseCookies.length) answered.headers['set-cookie'] = ctx.responseCookies;
      Object.assign(answered.headers, ctx.responseHeaders);
    } catch (error) {
      answered = failure(route, error, trace);
    }
    answered.headers[REQUEST_ID_HEADER] = trace.requestId;
    observer.finish(trace, answered.status);
    return answered;
  };
}
