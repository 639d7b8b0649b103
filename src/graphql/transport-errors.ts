/**
 * Transport-level failures (API.md §4): every error that reaches `errors[]` leaves
 * as the catalog envelope in `extensions.error` (and its code in `extensions.code`),
 * and the response's HTTP status is the status of the first one. Anything
 * unexpected is masked to InternalError.
 */
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { type ErrorCode, envelopeOf } from '../errors/catalog.ts';
import { DomainError, findDomainError } from '../errors/domain-error.ts';
import type { RequestTrace } from '../observability/request-trace.ts';

/** A GraphQL error carrying a domain error's envelope: thrown where a failure is the request's own. */
export function transportError(error: DomainError, base?: GraphQLError): GraphQLError {
  const message = error.code === 'InvalidInput' && error.reason ? error.reason : error.message;
  // The input that failed rides beside the envelope, which stays exactly { status, message, code }.
  const extra = error.field === null ? undefined : { field: error.field };
  return envelopeError(error.code, message, { base, originalError: error, headers: error.headers, extra });
}

/** What `pending` resolves with; its DomainError, the request's own failure, thrown as a transport error. */
export async function asTransportError<T>(pending: Promise<T>): Promise<T> {
  try {
    return await pending;
  } catch (error) {
    throw error instanceof DomainError ? transportError(error) : error;
  }
}

function envelopeError(
  code: ErrorCode,
  message: string,
  options: { base?: GraphQLError; originalError?: Error; headers?: Record<string, string>; extra?: Record<string, unknown> },
): GraphQLError {
  const envelope = envelopeOf(code);
  const { base } = options;
  return new GraphQLError(message, {
    nodes: base?.nodes,
    source: base?.source,
    positions: base?.positions,
    path: base?.path,
    originalError: options.originalError,
    extensions: {
      code,
      error: envelope,
      http: { status: envelope.status, headers: options.headers ?? {} },
      ...options.extra,
    },
  });
}

/**
 * graphql-js suggests names ("Did you mean …?") in validation and variable errors;
 * they would map the schema for anyone, introspection off or not.
 */
export function withoutSuggestions(message: string): string {
  return message.replace(/\s*Did you mean [^?]*\?/g, '').trim();
}

/** A GraphQL error all the way down (e.g. a variable that failed to coerce), not a wrapped exception. */
function isPureGraphQLError(error: GraphQLError): boolean {
  let current: unknown = error;
  while (current instanceof GraphQLError) current = current.originalError;
  return current === undefined || current === null;
}

/**
 * Maps any error to its enveloped GraphQL error:
 * - already enveloped: kept;
 * - a DomainError underneath: that code's envelope;
 * - a GraphQL error of the request itself (syntax, validation, variables, body
 *   parsing; it has no execution path): InvalidInput, with what was wrong as message;
 * - anything else: InternalError, masked (details only in development).
 */
export function toEnvelopeError(error: unknown, options: { isDev: boolean; method?: string }): GraphQLError {
  const graphqlError = error instanceof GraphQLError ? error : undefined;
  if (typeof graphqlError?.extensions?.error === 'object') return graphqlError;
  const domainError = findDomainError(error);
  if (domainError) return transportError(domainError, graphqlError);

  if (graphqlError && !graphqlError.path && isPureGraphQLError(graphqlError)) {
    const http = graphqlError.extensions?.http as { headers?: Record<string, string> } | undefined;
    const from = { base: graphqlError, headers: http?.headers };
    if (graphqlError.message === 'Must provide query string.' && options.method === 'GET') {
      return envelopeError('MissingRequiredQueryParameter', envelopeOf('MissingRequiredQueryParameter').message, from);
    }
    return envelopeError('InvalidInput', withoutSuggestions(graphqlError.message), from);
  }

  const original = graphqlError?.originalError ?? error;
  const extra = options.isDev && original instanceof Error ? { originalError: { message: original.message, stack: original.stack } } : undefined;
  // The original rides along (never serialized) so the request's log line can show it.
  const originalError = original instanceof Error ? original : undefined;
  return envelopeError('InternalError', envelopeOf('InternalError').message, { base: graphqlError, extra, originalError });
}

/**
 * Envelopes every error of a result. Only the first error keeps its HTTP status
 * (and headers, such as Retry-After): the response takes them from it, where Yoga
 * alone would take the highest.
 */
export function envelopeErrors(errors: readonly unknown[], options: { isDev: boolean; method?: string }): GraphQLError[] {
  return errors.map((error, index) => {
    const enveloped = toEnvelopeError(error, options);
    if (index === 0) return enveloped;
    const { http, ...extensions } = enveloped.extensions as Record<string, unknown>;
    return new GraphQLError(enveloped.message, { ...enveloped, originalError: enveloped.originalError, extensions });
  });
}

/**
 * Notes a result's (enveloped) errors on the request's trace: the first one's code,
 * and the first unexpected failure underneath any of them (a masked InternalError's
 * original, or the storage failure behind a domain error).
 */
export function noteErrors(trace: RequestTrace, errors: readonly GraphQLError[]): void {
  const code = errors[0]?.extensions?.code;
  if (typeof code === 'string') trace.noteErrorCode(code);
  for (const error of errors) {
    const domain = findDomainError(error);
    if (error.extensions?.code === 'InternalError' && !domain) {
      trace.noteUnexpected(error.originalError ?? error);
      return;
    }
    const cause = domain?.cause;
    if (cause !== undefined) {
      trace.noteUnexpected(cause);
      return;
    }
  }
}

/** The HTTP status and headers a result's first (enveloped) error asks for. */
export function httpOf(errors: readonly GraphQLError[] | undefined): { status: number; headers: Record<string, string> } {
  const http = errors?.[0]?.extensions?.http as { status?: number; headers?: Record<string, string> } | undefined;
  return { status: http?.status ?? 200, headers: http?.headers ?? {} };
}

/** Envelopes every error of every result Yoga sends, and notes them on the request's trace. */
export function useTransportErrors(options: { isDev: boolean }): Plugin {
  return {
    onParams({ params, context }) {
      (context as { requestContext?: { trace: RequestTrace } }).requestContext?.trace.noteOperationName(params.operationName);
    },
    onResultProcess({ request, result, setResult, serverContext }) {
      if (Array.isArray(result) || !('errors' in result) || !result.errors?.length) return;
      const errors = envelopeErrors(result.errors, { isDev: options.isDev, method: request.method });
      const trace = (serverContext as { requestContext?: { trace: RequestTrace } }).requestContext?.trace;
      if (trace) noteErrors(trace, errors);
      setResult({ ...result, errors });
    },
  };
}
