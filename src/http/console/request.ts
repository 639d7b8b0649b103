/**
 * What a console page handler gets (the admin, the query, the checked form) and
 * the answers it gives: a page in the console's layout, or after a write a 303 to
 * the page that shows its outcome (POST-redirect-GET: a reload never writes again).
 */
import type { ErrorCode } from '../../errors/catalog.ts';
import { type DomainError, findDomainError } from '../../errors/domain-error.ts';
import { answerableError } from '../error-responses.ts';
import { type Exchange, type Reply, reply } from '../../requests/exchange.ts';
import { html, type SafeHtml } from '../html.ts';
import type { GroupAdmin, RequestContext } from '../../requests/request-context.ts';
import type { WriteCallers, WritePolicy } from '../../requests/write-policies.ts';
import { runWrite, type WriteCall, type WriteRequest, writeValue } from '../../requests/write-runner.ts';
import {
  type ConsolePage,
  consoleReply,
  consoleSecurityHeaders,
  formTokenField,
  problemSummary,
  type SectionPath,
} from './layout.ts';

export interface ConsoleRequest {
  exchange: Exchange;
  ctx: RequestContext;
  /** The signed-in admin, their session and group, and the caller their writes record. */
  admin: GroupAdmin;
  query: URLSearchParams;
  /** A POST's form fields, its origin and form token already checked; empty for a GET. */
  form: URLSearchParams;
  /** The session's form token, for every form the page shows. */
  formToken: string;
}

export type PageHandler = (request: ConsoleRequest) => Promise<Reply>;

/** The console's routes: a handler per method of each path (HEAD is answered as GET). */
export type ConsoleRoutes = Record<string, { GET?: PageHandler; POST?: PageHandler }>;

/** A page in the console's layout, shown to the signed-in admin. */
export function page(request: ConsoleRequest, content: Omit<ConsolePage, 'viewer'>): Reply {
  const { group, user } = request.admin;
  return consoleReply({ ...content, viewer: { groupName: group.title ?? group.slug, username: user.username } });
}

/** A form post as a write: named by its path (see createOnce for the forms whose writes are keyed). */
export function formWriteRequest(request: ConsoleRequest): WriteRequest {
  const { pathname } = request.exchange;
  return { route: `console POST ${pathname}`, body: null, field: pathname };
}

/**
 * Runs a form's write (one service call) under its policy, as GraphQL and REST run
 * it: the same callers, the same rate limit. Its refusal is thrown.
 */
export function formWrite<C extends WriteCallers, K, T>(
  request: ConsoleRequest,
  policy: WritePolicy<C, K>,
  write: (call: WriteCall<C, K>) => Promise<T>,
): Promise<T> {
  return writeValue(runWrite(policy, request.ctx, formWriteRequest(request), write));
}

/** After a write: 303 to the page that shows its outcome. */
export function seeOther(location: string): Reply {
  return reply(303, null, { ...consoleSecurityHeaders, location });
}

/**
 * A refusal a form shows beside its fields (one of `codes`), noted on the request's
 * trace; anything else is thrown on, to the console's error page.
 */
export function formProblem(request: ConsoleRequest, error: unknown, codes: readonly ErrorCode[]): DomainError {
  const found = findDomainError(error);
  if (!found || !codes.includes(found.code)) throw error;
  return answerableError(found, request.ctx.trace);
}

/** A form field's value, trimmed; null when absent or blank. */
export function field(form: URLSearchParams, name: string): string | null {
  const value = form.get(name)?.trim() ?? '';
  return value === '' ? null : value;
}

/** What a confirmation step asks before a destructive form post. */
export interface Confirmation {
  title: string;
  section: SectionPath;
  /** The question, e.g. "Remove brian from acme?" */
  heading: string;
  /** What is about to go, as the admin sees it now. */
  facts: SafeHtml;
  /** What doing it does, in words. */
  consequence: SafeHtml | string;
  action: string;
  /** The form's fields besides the form token. */
  fields: Record<string, string>;
  button: string;
  /** Shown above the form when the post was refused (the page is shown again). */
  problem?: DomainError | null;
}

/** The step before a destructive write: what it is about, what it does, one button to do it and a way back. */
export function confirmationPage(request: ConsoleRequest, c: Confirmation): Reply {
  const body = html`<h1 id="confirm-heading">${c.heading}</h1>
${c.problem ? problemSummary(c.problem) : null}
${c.facts}
<p class="warning">${c.consequence}</p>
<form method="post" action="${c.action}">
${formTokenField(request.formToken)}
${Object.entries(c.fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<div class="buttons"><button type="submit" class="danger" id="confirm">${c.button}</button>
<a class="button secondary" href="${c.section}" id="cancel">Cancel</a></div>
</form>`;
  return page(request, { title: c.title, section: c.section, body, status: c.problem?.status });
}
