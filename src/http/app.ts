/**
 * The application as a fetch handler: GraphQL (Yoga) at /graphql, health, the
 * REST routes under /-/api/ and the sign-in pages. `createApp` builds it from its
 * dependencies; nothing here listens.
 */
import { createServerAdapter } from '@whatwg-node/server';
import { GraphQLError } from 'graphql';
import { createYoga } from 'graphql-yoga';
import type { Config } from '../config/config.ts';
import { envelopeOf } from '../errors/catalog.ts';
import type { Store } from '../db/store.ts';
import { createServices, type Services } from '../domain/services.ts';
import { graphiqlOptions, renderGraphiQL } from '../graphql/graphiql.ts';
import { useCsrfPrevention } from '../graphql/csrf-prevention.ts';
import { schema } from '../graphql/schema.ts';
import { toEnvelopeError, useTransportErrors } from '../graphql/transport-errors.ts';
import { handlePageRequest } from './pages.ts';
import { createRequestContext, type RequestContext } from './request-context.ts';
import { handleApiRequest } from './rest.ts';

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
}

/** What the node adapter passes along with each request. */
interface ServerContext {
  req?: { socket?: { remoteAddress?: string } };
}

export interface App {
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** A node:http request listener. */
  handle: ReturnType<typeof createServerAdapter>;
  services: Services;
  close(): Promise<void>;
}

const LAST_USE_FLUSH_MS = 5_000;

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

  const yoga = createYoga<{ requestContext: RequestContext }, RequestContext>({
    schema,
    // Yoga merges this into its own context: resolvers see GraphQLContext.
    context: ({ requestContext }) => requestContext,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    logging: logger ? { debug() {}, info() {}, warn: (...a) => logger.error(...a), error: (...a) => logger.error(...a) } : false,
    maskedErrors: {
      isDev,
      // Request-level GraphQL errors are enveloped later, where the request is known.
      maskError: (error) => (error instanceof GraphQLError && !error.path ? error : toEnvelopeError(error, { isDev })),
    },
    graphiql: config.production ? false : () => graphiqlOptions(deps.graphiqlApiToken ?? null),
    renderGraphiQL,
    // Any origin may call the API with a bearer token, but never with the browser's
    // cookies: a credentialed cross-origin request fails its preflight (see csrf-prevention.ts).
    cors: { credentials: false },
    plugins: [useCsrfPrevention(), useTransportErrors({ isDev })],
  });

  async function route(request: Request, serverContext: ServerContext): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === '/health') return health();
    const requestContext = createRequestContext(
      request,
      config,
      services,
      serverContext.req?.socket?.remoteAddress ?? 'unknown',
    );
    const response =
      (await handleApiRequest(request, pathname, requestContext, logger)) ??
      (await handlePageRequest(request, pathname, requestContext, logger)) ??
      envelopeBareRefusal(await yoga.handle(request, { requestContext }));
    for (const cookie of requestContext.responseCookies) response.headers.append('set-cookie', cookie);
    return response;
  }

  /**
   * Yoga answers some requests it cannot read (unsupported content type or method,
   * unacceptable Accept) with a bare status; give them the InvalidInput envelope too.
   */
  function envelopeBareRefusal(response: Response): Response {
    const reason = bareRefusalReasons[response.status];
    if (!reason || response.headers.get('content-type')?.includes('json')) return response;
    const error = toEnvelopeError(new GraphQLError(reason), { isDev });
    const status = envelopeOf('InvalidInput').status;
    const headers = new Headers(response.headers);
    headers.set('content-type', 'application/json; charset=utf-8');
    headers.delete('content-length');
    const { http: _http, ...extensions } = error.extensions;
    return new Response(JSON.stringify({ errors: [{ message: error.message, extensions }] }), { status, headers });
  }

  async function health(): Promise<Response> {
    try {
      await store.ping();
      return Response.json({ status: 'ok' });
    } catch {
      return Response.json({ status: 'unavailable' }, { status: 503 });
    }
  }

  const handle = createServerAdapter<ServerContext>(route);
  const flushTimer = setInterval(() => {
    services.apiTokens.flushLastUse().catch((error) => logger && logger.error(error));
  }, LAST_USE_FLUSH_MS);
  flushTimer.unref();

  return {
    fetch: (input, init) => {
      const request = input instanceof Request ? input : new Request(input, init);
      return Promise.resolve(handle.fetch(request));
    },
    handle,
    services,
    async close() {
      clearInterval(flushTimer);
      await services.apiTokens.flushLastUse();
    },
  };
}
