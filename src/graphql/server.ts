/**
 * GraphQL over HTTP: the Yoga server (schema, limits, masking, GraphiQL) and the
 * one route the pipeline calls for /graphql. A POST with a JSON body holding one
 * operation is run straight on Yoga's envelop instance (parse and validation
 * caches, query limits, masking, the schema): no fetch Request or Response per
 * call, the larger part of a request's cost. Anything else (GET, GraphiQL, other
 * media types, CORS, batches) goes through `yoga.handle` with a real Request.
 */
import { type DocumentNode, type ExecutionResult, GraphQLError, getOperationAST } from 'graphql';
import { createYoga, type GraphQLParams } from 'graphql-yoga';
import type { Config } from '../config/config.ts';
import type { Logger } from '../observability/logger.ts';
import type { RequestTrace } from '../observability/request-trace.ts';
import type { RequestContext } from '../requests/request-context.ts';
import { type Exchange, type Reply, reply, replyOfResponse, requestOf } from '../requests/exchange.ts';
import { compiledOperation, useCompiledExecution, variableErrors } from './compiled-execution.ts';
import { useCsrfPrevention } from './csrf-prevention.ts';
import { graphiqlAsset, graphiqlOptions, graphiqlPageHeaders, isLocalRequest, renderGraphiQL } from './graphiql.ts';
import { useQueryLimits, variableLengthRefusal } from './query-limits.ts';
import { useRequestParamErrors } from './request-params.ts';
import { schema } from './schema.ts';
import { envelopeErrors, httpOf, noteErrors, toEnvelopeError, useTransportErrors } from './transport-errors.ts';

export const GRAPHQL_PATH = '/graphql';

const JSON_TYPE = 'application/json; charset=utf-8';
const PARAM_KEYS = new Set(['query', 'variables', 'operationName', 'extensions']);

/** What the pipeline hands Yoga with each request it handles. */
interface YogaServerContext {
  requestContext: RequestContext;
  /** Whether the request surely comes from this machine (see isLocalRequest). */
  localRequest: boolean;
}

export interface GraphQLOptions {
  config: Config;
  logger: Logger;
  /** An API token to pre-fill in GraphiQL's headers (the demo token, in development). */
  graphiqlApiToken: string | null;
}

/** What the pipeline routes /graphql to. */
export interface GraphQLRoute {
  answer(exchange: Exchange, ctx: RequestContext): Promise<Reply>;
  /** GraphiQL's script, style and worker files (404 where GraphiQL is off). */
  asset(exchange: Exchange): Reply;
  /** A request's own failure (a refusal before GraphQL ran), as a GraphQL error answer. */
  errorReply(error: unknown, trace: RequestTrace, headers?: Record<string, string>): Reply;
}

interface Params {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
  extensions?: Record<string, unknown> | null;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** One operation's parameters, or null when the body is anything else (Yoga then says what is wrong). */
function asParams(value: unknown): Params | null {
  if (!isObject(value) || typeof value.query !== 'string') return null;
  for (const key in value) if (!PARAM_KEYS.has(key)) return null;
  const { variables, operationName, extensions } = value;
  if (variables != null && !isObject(variables)) return null;
  if (operationName != null && typeof operationName !== 'string') return null;
  if (extensions != null && !isObject(extensions)) return null;
  return value as unknown as Params;
}

/** Whether the JSON step can answer before the body is even read: the rest needs Yoga's HTTP handling. */
function jsonStepCandidate(exchange: Exchange): boolean {
  if (exchange.method !== 'POST') return false;
  const contentType = exchange.headers.get('content-type');
  if (!contentType || !/^application\/json\s*(;|$)/i.test(contentType)) return false;
  // CORS needs Yoga's headers; other media types need its result processors.
  if (exchange.headers.get('origin') !== null) return false;
  const accept = exchange.headers.get('accept');
  return accept === null || accept === '*/*' || accept.includes('application/json');
}

/** A GraphQL result as an HTTP answer: errors enveloped (and noted on the trace), the status (and headers) of the first. */
function graphqlReply(result: ExecutionResult, isDev: boolean, trace: RequestTrace): Reply {
  if (!result.errors?.length) return reply(200, JSON.stringify(result), { 'content-type': JSON_TYPE });
  const errors = envelopeErrors(result.errors, { isDev });
  noteErrors(trace, errors);
  const { status, headers } = httpOf(errors);
  const body = JSON.stringify({
    ...result,
    errors: errors.map((error) => {
      const { http: _http, ...extensions } = error.extensions;
      return { ...error.toJSON(), extensions };
    }),
  });
  return reply(status, body, { ...headers, 'content-type': JSON_TYPE });
}

const FETCH_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Bare statuses Yoga answers some requests it cannot read with; they get the InvalidInput envelope too. */
const bareRefusalReasons: Record<number, string> = {
  405: 'Method not allowed: use GET or POST.',
  406: 'Not acceptable: accept application/json or application/graphql-response+json.',
  415: 'Unsupported content type: send application/json.',
};

/**
 * The JSON step runs a compiled operation itself, doing what these hooks do: building
 * the context (Yoga's `context` option, the only `onContextBuilding`) and executing
 * (the four `onExecute`: Yoga's engine setting graphql-js's executor, which
 * useCompiledExecution's two replace with graphql-js's variable errors and the
 * compiled function, and Yoga's masking). A plugin added with a hook of either kind
 * must be taught to that run first: until then the server refuses to start, rather
 * than answer without it.
 */
function assertDirectRunCovers(plugins: ReadonlyArray<{ onContextBuilding?: unknown; onExecute?: unknown } | false | null | undefined> | undefined): void {
  if (!plugins) throw new Error('cannot list the GraphQL plugins to check what the direct run covers (src/graphql/server.ts)');
  const building = plugins.filter((plugin) => plugin && plugin.onContextBuilding).length;
  const executing = plugins.filter((plugin) => plugin && plugin.onExecute).length;
  if (building !== 1 || executing !== 4) {
    throw new Error(`the GraphQL plugins hook into context building ${building} times and execution ${executing} times; the direct run covers 1 and 4 (src/graphql/server.ts)`);
  }
}

export function createGraphQLRoute({ config, logger, graphiqlApiToken }: GraphQLOptions): GraphQLRoute {
  const isDev = config.development;
  const exposeLimits = !config.production;
  // Request-level GraphQL errors are enveloped later, where the request is known.
  const maskError = (error: unknown) => (error instanceof GraphQLError && !error.path ? error : toEnvelopeError(error, { isDev }));
  const yoga = createYoga<YogaServerContext, RequestContext>({
    schema,
    // Yoga merges this into its own context: resolvers see GraphQLContext.
    context: ({ requestContext }) => requestContext,
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    // Yoga would log every error it masks, expected ones included; the request's own
    // line reports the unexpected ones, once, with its request id.
    logging: { debug() {}, info() {}, warn: (...a: unknown[]) => logger.warn({ yoga: a.map(String) }, 'graphql-yoga warning'), error() {} },
    maskedErrors: { isDev, maskError },
    // The demo token goes only to a page opened on this machine itself.
    graphiql: config.graphiql ? (_request, { localRequest }) => graphiqlOptions(localRequest ? graphiqlApiToken : null) : false,
    renderGraphiQL,
    // Any origin may call the API with a bearer token, but never with the browser's
    // cookies: a credentialed cross-origin request fails its preflight (see csrf-prevention.ts).
    cors: { credentials: false },
    // One operation per request: a batched array is refused as InvalidInput.
    batching: false,
    plugins: [
      useCsrfPrevention(),
      useRequestParamErrors(),
      ...useQueryLimits({ limits: config.requestLimits, exposeLimits, introspection: config.introspection }),
      useTransportErrors({ isDev }),
      ...useCompiledExecution(),
    ],
  });
  // Yoga's list of every plugin, its own included (a protected field; `getEnveloped._plugins` is not kept on the bound function).
  assertDirectRunCovers((yoga as unknown as { plugins?: ReadonlyArray<{ onContextBuilding?: unknown; onExecute?: unknown }> }).plugins);
  const maxStringLength = config.requestLimits.maxStringLength;
  // Validation is a function of the schema, the rules and the document, and the first
  // two are fixed: each parsed document (the parse cache hands back the same object for
  // the same text) is validated once. Yoga's own validation cache does the same, but
  // first names every rule (a key it builds again on each request) and runs every
  // plugin's hook around it.
  const validated = new WeakMap<DocumentNode, readonly GraphQLError[]>();
  const validate = (enveloped: ReturnType<typeof yoga.getEnveloped>, document: DocumentNode) => {
    const errors = enveloped.validate(enveloped.schema, document);
    validated.set(document, errors);
    return errors;
  };

  function errorReply(error: unknown, trace: RequestTrace, headers: Record<string, string> = {}): Reply {
    const answer = graphqlReply({ errors: [toEnvelopeError(error, { isDev })] }, isDev, trace);
    for (const [name, value] of Object.entries(headers)) if (!(name in answer.headers)) answer.headers[name] = value;
    return answer;
  }

  /** One operation, run as Yoga's params handler runs it, on the same envelop instance and plugins. */
  async function execute(params: Params, ctx: RequestContext): Promise<ExecutionResult> {
    ctx.trace.noteOperationName(params.operationName);
    const tooLong = variableLengthRefusal(params.variables, maxStringLength, exposeLimits);
    if (tooLong) return { errors: [tooLong] };
    const context = { params: params as GraphQLParams, requestContext: ctx, waitUntil: (p: Promise<unknown>) => void p.catch(() => {}) };
    const enveloped = yoga.getEnveloped(context);
    try {
      const document = enveloped.parse(params.query);
      const errors = validated.get(document) ?? validate(enveloped, document);
      if (errors.length > 0) return { errors };
      const operation = getOperationAST(document, params.operationName);
      // graphql-js's own words; its executor here would throw a plain Error instead.
      if (!operation) return { errors: [new GraphQLError(params.operationName ? 'Unknown operation named in operationName.' : 'Must provide operation name if query contains multiple operations.')] };
      if (operation.operation === 'subscription') return { errors: [new GraphQLError('Subscriptions are not served.')] };
      // What envelop's run through the plugins amounts to (see assertDirectRunCovers), without
      // its hooks' machinery, a sixth of a read's CPU: the context Yoga's `context` option
      // makes, graphql-js's variable errors, the compiled operation, every error masked.
      const refused = variableErrors(enveloped.schema, operation, params.variables);
      const result: ExecutionResult = refused
        ? { errors: refused }
        : ((await compiledOperation(enveloped.schema, document, params.operationName).query(undefined, Object.assign(context, ctx), params.variables)) as ExecutionResult);
      return result.errors?.length ? { ...result, errors: result.errors.map(maskError) } : result;
    } catch (error) {
      return { errors: [error as GraphQLError] };
    }
  }

  /** Everything the JSON step does not take, through Yoga's own HTTP handling. */
  async function viaYoga(exchange: Exchange, ctx: RequestContext): Promise<Reply> {
    const localRequest = isLocalRequest(exchange.socketAddress, exchange.headers);
    const answer = await replyOfResponse(await yoga.handle(await requestOf(exchange), { requestContext: ctx, localRequest }));
    const contentType = answer.headers['content-type'];
    if (typeof contentType === 'string' && contentType.startsWith('text/html')) Object.assign(answer.headers, graphiqlPageHeaders);
    const reason = bareRefusalReasons[answer.status];
    if (!reason || (typeof contentType === 'string' && contentType.includes('json'))) return answer;
    const { 'content-length': _length, ...kept } = answer.headers as Record<string, string>;
    return errorReply(new GraphQLError(reason), ctx.trace, kept);
  }

  return {
    errorReply,
    asset: (exchange) => (config.graphiql ? graphiqlAsset(exchange.pathname, exchange.method) : reply(404, null)),
    async answer(exchange, ctx) {
      // Methods a fetch Request cannot even carry (TRACE, CONNECT): Yoga's refusal, without Yoga.
      if (!FETCH_METHODS.has(exchange.method)) return errorReply(new GraphQLError(bareRefusalReasons[405]!), ctx.trace, { allow: 'GET, POST' });
      if (!jsonStepCandidate(exchange)) return viaYoga(exchange, ctx);
      let params: Params | null;
      try {
        params = asParams(JSON.parse(await exchange.text()));
      } catch (error) {
        if (error instanceof SyntaxError) return viaYoga(exchange, ctx);
        throw error;
      }
      if (!params) return viaYoga(exchange, ctx);
      return graphqlReply(await execute(params, ctx), isDev, ctx.trace);
    },
  };
}
