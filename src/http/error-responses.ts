/**
 * How the routes outside GraphQL answer with an error: the catalog envelope as a
 * JSON body `{ "error": { status, message, code } }`, or, for a browser, a small
 * page naming the same code and message. Anything that is not a DomainError is
 * masked to InternalError and noted on the request's trace, which logs it.
 */
import { envelopeOf } from '../errors/catalog.ts';
import { type DomainError, Errors, findDomainError } from '../errors/domain-error.ts';
import type { RequestTrace } from '../observability/request-trace.ts';
import { type HeaderReader, type Reply, reply } from '../requests/exchange.ts';
import { html, htmlPage, htmlReply, type SafeHtml } from './html.ts';

/** Headers every JSON answer of these routes carries: they may hold secrets (SSO tokens). */
const jsonHeaders: Readonly<Record<string, string>> = {
  'content-type': 'application/json; charset=utf-8',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

export function jsonReply(body: unknown, status = 200, headers: Record<string, string> = {}): Reply {
  return reply(status, JSON.stringify(body), { ...jsonHeaders, ...headers });
}

/**
 * The domain error to answer with: the one thrown, or a masked InternalError. Its
 * code goes on the trace, and what is unexpected (the error itself, or the storage
 * failure behind a domain error) is logged with the request.
 */
export function answerableError(error: unknown, trace: RequestTrace): DomainError {
  const domainError = findDomainError(error) ?? new Errors.InternalError({ cause: error });
  trace.noteErrorCode(domainError.code);
  if (domainError.cause !== undefined) trace.noteUnexpected(domainError.cause);
  return domainError;
}

/**
 * The JSON error body. The `error` object is exactly the catalog envelope; for
 * InvalidInput, `details` says which input failed and why (as GraphQL's
 * InvalidInput.field and transport message do).
 */
export function jsonError(error: DomainError): Reply {
  const body: { error: ReturnType<typeof envelopeOf>; details?: { field: string | null; reason: string | null } } = {
    error: envelopeOf(error.code),
  };
  if (error.code === 'InvalidInput' && (error.field !== null || error.reason !== null)) {
    body.details = { field: error.field, reason: error.reason };
  }
  return jsonReply(body, error.status, error.headers);
}

/**
 * A failure in a person's words: a heading and what to do now. The page still
 * names the catalog code, status and message below it.
 */
export interface FailureExplanation {
  heading: string;
  detail: SafeHtml | string;
}

/** How a route explains its failures to a person; null where the catalog message must do. */
export type ExplainFailure = (error: DomainError) => FailureExplanation | null;

/** "Error <code> (HTTP <status>)", with the ids by which pages and their tests find the two. */
export function errorCodeLine(error: DomainError): SafeHtml {
  const { code, status } = envelopeOf(error.code);
  return html`Error <code id="error-code">${code}</code> (HTTP <span id="error-status">${status}</span>)`;
}

/** A page for a person: the code, its status and its documented message, explained when the route can. */
function errorPage(error: DomainError, explanation: FailureExplanation | null = null): Reply {
  const { status, message, code } = envelopeOf(error.code);
  const detail = error.code === 'InvalidInput' && error.reason ? error.reason : null;
  const codeLine = errorCodeLine(error);
  const body = html`<main>
<h1>${explanation?.heading ?? message}</h1>
${explanation ? html`<p id="explanation">${explanation.detail}</p>
<p class="muted">${codeLine}: ${message}</p>` : html`<p>${codeLine}</p>`}
${detail === null ? null : html`<p class="muted">${error.field ? `${error.field}: ` : ''}${detail}</p>`}
<p><a href="/">Go to the start page</a></p>
</main>`;
  return htmlReply(htmlPage(explanation?.heading ?? code, body), { status, headers: error.headers });
}

/** A browser (a client that accepts text/html) gets the page, any other client the JSON envelope. */
export function errorReply(request: { headers: HeaderReader }, error: unknown, trace: RequestTrace, explain?: ExplainFailure): Reply {
  const domainError = answerableError(error, trace);
  const wantsHtml = (request.headers.get('accept') ?? '').toLowerCase().includes('text/html');
  return wantsHtml ? errorPage(domainError, explain?.(domainError) ?? null) : jsonError(domainError);
}
