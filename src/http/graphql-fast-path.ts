/**
 * POST /graphql with a JSON body, answered without a fetch Request and Response
 * per call. The operation still runs through Yoga's own pipeline (`getResultForParams`:
 * the parse and validation caches, query limits, masking, the schema); only the
 * HTTP shell is ours. Anything else (another method or content type, a CORS
 * request, a batch, a body that is not one operation) returns null and takes
 * the full Yoga path, so every answer stays the one Yoga would give.
 */
import type { ExecutionResult } from 'graphql';
import type { GraphQLParams, YogaServerInstance } from 'graphql-yoga';
import { DomainError } from '../errors/domain-error.ts';
import { envelopeErrors, httpOf, noteErrors, transportError } from '../graphql/transport-errors.ts';
import type { RequestTrace } from '../observability/request-trace.ts';
import { type Exchange, type Reply, reply } from './exchange.ts';
import type { RequestContext } from '../requests/request-context.ts';

const JSON_TYPE = 'application/json; charset=utf-8';
const PARAM_KEYS = new Set(['query', 'variables', 'operationName', 'extensions']);
// Underscores are not DNS, but container and compose service names use them.
const VALID_HOST = /^(?:[a-z0-9._-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/** A Host header that is a host (and port); anything else gets the full path's refusal. A missing one is fine. */
export function hostIsValid(host: string | null): boolean {
  return host === null || VALID_HOST.test(host);
}

/** Whether the full Yoga path is needed before the body is even read. */
export function fastGraphQLCandidate(exchange: Exchange): boolean {
  if (exchange.method !== 'POST' || exchange.pathname !== '/graphql') return false;
  const contentType = exchange.headers.get('content-type');
  if (!contentType || !/^application\/json\s*(;|$)/i.test(contentType)) return false;
  // CORS needs Yoga's headers; other media types need its result processors.
  if (exchange.headers.get('origin') !== null) return false;
  const accept = exchange.headers.get('accept');
  return accept === null || accept === '*/*' || accept.includes('application/json');
}

interface Params {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
  extensions?: Record<string, unknown> | null;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function asParams(value: unknown): Params | null {
  if (!isObject(value) || typeof value.query !== 'string') return null;
  for (const key in value) if (!PARAM_KEYS.has(key)) return null;
  const { variables, operationName, extensions } = value;
  if (variables != null && !isObject(variables)) return null;
  if (operationName != null && typeof operationName !== 'string') return null;
  if (extensions != null && !isObject(extensions)) return null;
  return value as unknown as Params;
}

/** A GraphQL result as an HTTP answer: errors enveloped (and noted on the trace), the status (and headers) of the first. */
export function graphqlReply(result: ExecutionResult, isDev: boolean, trace: RequestTrace): Reply {
  if (!result.errors?.length) return reply(200, JSON.stringify(result), { 'content-type': JSON_TYPE });
  const errors = envelopeErrors(result.errors, { isDev, method: 'POST' });
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

export function createGraphQLFastPath(
  yoga: YogaServerInstance<{ requestContext: RequestContext }, RequestContext>,
  options: { isDev: boolean },
) {
  return async function answer(exchange: Exchange, requestContext: RequestContext): Promise<Reply | null> {
    let text: string;
    try {
      text = await exchange.text();
    } catch (error) {
      if (error instanceof DomainError) return graphqlReply({ errors: [transportError(error)] }, options.isDev, requestContext.trace);
      throw error;
    }
    let params: Params | null;
    try {
      params = asParams(JSON.parse(text));
    } catch {
      return null;
    }
    if (!params) return null;
    // What Yoga's plugins read of a request: its method, URL and headers.
    const request = { method: 'POST', url: `http://localhost${exchange.target}`, headers: exchange.headers } as unknown as Request;
    const context = { request, params, requestContext, waitUntil: (promise: Promise<unknown>) => void promise.catch(() => {}) };
    const result = await yoga.getResultForParams({ params: params as GraphQLParams, request }, context as never);
    if (!result || Array.isArray(result) || Symbol.asyncIterator in (result as object)) {
      throw new Error('the fast GraphQL path only serves single, non-streamed results');
    }
    return graphqlReply(result as ExecutionResult, options.isDev, requestContext.trace);
  };
}
