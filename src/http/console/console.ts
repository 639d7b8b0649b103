/**
 * The admin console (API.md §16): `/admin` and the pages under it, on a group's own
 * domain, for a signed-in admin of that group. Another transport over the same
 * services as GraphQL, like REST: this file decides who may see a page and whether
 * a form may write; the pages (one file per section) call the services.
 *
 * Every form post must come from this origin (Sec-Fetch-Site, else Origin, as the
 * sign-out does) and carry the session's form token (an HMAC of the session id under
 * a server key); its write counts against the admin's write rate limit, as each
 * write's policy says (src/requests/write-policies.ts).
 */
import { envelopeOf } from '../../errors/catalog.ts';
import { invalidInput } from '../../errors/domain-error.ts';
import { isCrossOriginRequest } from '../cross-origin.ts';
import { answerableError, errorCodeLine, type ExplainFailure } from '../error-responses.ts';
import type { Exchange, Reply } from '../../requests/exchange.ts';
import { readForm } from '../forms.ts';
import { html, type SafeHtml } from '../html.ts';
import { SIGN_OUT_PATH } from '../pages.ts';
import type { RequestContext } from '../../requests/request-context.ts';
import { apiTokenRoutes } from './api-tokens.ts';
import { eventRoutes } from './events.ts';
import { CONSOLE_PATH, consoleReply, FORM_TOKEN_FIELD, reasonLine, type SectionPath, sections } from './layout.ts';
import { memberRoutes } from './members.ts';
import { overviewRoutes } from './overview.ts';
import { provisioningRoutes } from './provisioning.ts';
import { type ConsoleRequest, type ConsoleRoutes, page } from './request.ts';
import { sessionRoutes } from './sessions.ts';
import { FORM_KEY_FIELD } from './shown-once.ts';
import { settingsRoutes } from './settings.ts';
import { webhookRoutes } from './webhooks.ts';

const routes: ConsoleRoutes = {
  ...overviewRoutes,
  ...memberRoutes,
  ...apiTokenRoutes,
  ...sessionRoutes,
  ...settingsRoutes,
  ...eventRoutes,
  ...webhookRoutes,
  ...provisioningRoutes,
};

/** Whether the path is the console's (answered here, whatever it is). */
export function isConsolePath(pathname: string): boolean {
  return pathname === CONSOLE_PATH || pathname.startsWith(`${CONSOLE_PATH}/`);
}

/** The reasons of the InvalidInput a form post from elsewhere is refused with. */
const FROM_ELSEWHERE = {
  origin: 'the form was posted from another origin',
  formToken: 'the form did not carry this session’s form token',
};

/** The fields of an InvalidInput that says a form post did not come from one of the console's own forms. */
const FROM_ELSEWHERE_FIELDS: ReadonlySet<string> = new Set(['origin', 'body', FORM_TOKEN_FIELD, FORM_KEY_FIELD]);

/** Answers every console path (see isConsolePath). */
export async function handleConsoleRequest(exchange: Exchange, ctx: RequestContext): Promise<Reply> {
  const { pathname } = exchange;
  const route = Object.hasOwn(routes, pathname) ? routes[pathname]! : undefined;
  if (!route) return notFound(ctx);
  const method = exchange.method === 'HEAD' ? 'GET' : exchange.method;
  const handle = method === 'GET' || method === 'POST' ? route[method] : undefined;
  if (!handle) return methodNotAllowed(ctx, route.POST ? (route.GET ? 'GET, HEAD, POST' : 'POST') : 'GET, HEAD');
  // First, before anything is looked up: a post from another origin (a sibling
  // group's domain is the same site, so SameSite=Lax lets its posts carry the cookie).
  if (method === 'POST' && isCrossOriginRequest(exchange)) return failurePage(ctx, null, invalidInput('origin', FROM_ELSEWHERE.origin));
  const admin = ctx.hasAuthorization() ? null : await ctx.groupAdmin();
  if (!admin) return refusal(ctx);
  const request: ConsoleRequest = {
    exchange,
    ctx,
    admin,
    query: new URLSearchParams(exchange.target.slice(exchange.pathname.length)),
    form: new URLSearchParams(),
    formToken: ctx.services.sessions.formToken(admin.session),
  };
  try {
    if (method === 'POST') {
      request.form = await readForm(exchange);
      if (!ctx.services.sessions.isFormToken(admin.session, request.form.get(FORM_TOKEN_FIELD))) {
        throw invalidInput(FORM_TOKEN_FIELD, FROM_ELSEWHERE.formToken);
      }
    }
    return await handle(request);
  } catch (error) {
    return failurePage(ctx, request, error, sectionOf(pathname));
  }
}

/** The section a path is in: the last, so the longest, of the section paths it starts with. */
const sectionOf = (pathname: string): SectionPath | null =>
  sections.findLast((s) => pathname === s.path || pathname.startsWith(`${s.path}/`))?.path ?? null;

/**
 * A page for a visitor who may not see the console; never any of the group's data.
 * Its header names the group the domain names, and nobody signed in.
 */
function standalone(ctx: RequestContext, status: number, title: string, body: SafeHtml, headers: Record<string, string> = {}): Reply {
  const viewer = { groupName: ctx.domain.groupSlug ?? ctx.config.baseDomain, username: null };
  return consoleReply({ title, section: null, viewer, body, status, headers });
}

/**
 * Who is refused, and how: the bare domain has no console (404); without a session
 * of this group's domain, or with an API token, one must sign in (401); a member who
 * is not an admin is forbidden (403). A session of another group is no session here.
 */
async function refusal(ctx: RequestContext): Promise<Reply> {
  const slug = ctx.domain.groupSlug;
  if (slug === null) {
    const example = `${ctx.services.signIn.groupOrigin('{group}')}${CONSOLE_PATH}`;
    const body = html`<h1 id="refusal">There is no console on this domain</h1>
<p>Each group has its own admin console, on the group’s own domain: <code>${example}</code>.</p>`;
    return standalone(ctx, 404, 'No console here', body);
  }
  const live = ctx.hasAuthorization() ? null : await ctx.session();
  if (!live) {
    const body = html`<h1 id="refusal">Sign in to manage ${slug}</h1>
<p>The admin console is for the administrators of group <code>${slug}</code>, signed in on this domain. You are not signed in here${ctx.hasAuthorization() ? ' (an API token cannot open the console)' : ''}.</p>
<p>Open a sign-in link for your account: your group’s application makes them, and an operator can print one with</p>
<pre>npm run -s admin -- login-link ${slug} &lt;username&gt; --redirect-to ${CONSOLE_PATH}</pre>
<p>Then open <a href="${CONSOLE_PATH}">${CONSOLE_PATH}</a> again.</p>`;
    return standalone(ctx, 401, 'Sign in', body);
  }
  const body = html`<h1 id="refusal">You are not an administrator of ${slug}</h1>
<p>You are signed in as <strong>${live.user.username}</strong>, a member of <code>${slug}</code> without the admin role, so the console is closed to you.</p>
<p>An administrator of the group, or an operator, can give you the role:</p>
<pre>npm run -s admin -- member add ${slug} ${live.user.username} --role admin</pre>
<form method="post" action="${SIGN_OUT_PATH}" class="buttons"><button type="submit" class="secondary" id="sign-out">Sign out</button>
<a href="/">Go to the start page</a></form>`;
  return standalone(ctx, 403, 'Not an administrator', body);
}

function notFound(ctx: RequestContext): Reply {
  const body = html`<h1>There is no console page here</h1><p><a href="${CONSOLE_PATH}">Go to the console’s overview</a></p>`;
  return standalone(ctx, 404, 'Not found', body);
}

function methodNotAllowed(ctx: RequestContext, allow: string): Reply {
  const body = html`<h1>Method not allowed</h1><p>This page answers ${allow}. <a href="${CONSOLE_PATH}">Go to the console’s overview</a></p>`;
  return standalone(ctx, 405, 'Method not allowed', body, { allow });
}

/**
 * A failure, in words and with the catalog's code, status and message: in the
 * console's layout for the admin, or on its own before the admin is known.
 */
function failurePage(ctx: RequestContext, request: ConsoleRequest | null, error: unknown, section: SectionPath | null = null): Reply {
  const found = answerableError(error, ctx.trace);
  const { status, message, code } = envelopeOf(found.code);
  const explanation = explain(found);
  const back = section ?? CONSOLE_PATH;
  const body = html`<h1 id="failure">${explanation?.heading ?? message}</h1>
${explanation ? html`<p id="explanation">${explanation.detail}</p>` : null}
${reasonLine(found)}
<p class="small muted">${errorCodeLine(found)}: ${message}</p>
<p><a href="${back}">Back to ${sections.find((s) => s.path === back)!.name}</a></p>`;
  const content = { title: explanation?.heading ?? code, section, body, status, headers: found.headers };
  return request ? page(request, content) : standalone(ctx, status, content.title, body, found.headers);
}

const explain: ExplainFailure = (error) => {
  if (error.code === 'InvalidInput' && error.field !== null && FROM_ELSEWHERE_FIELDS.has(error.field)) {
    return {
      heading: 'This form did not come from this console',
      detail:
        'For your safety, the console accepts a form only from its own pages, signed in as you. Nothing was changed. ' +
        'Open the page again and send the form from there.',
    };
  }
  switch (error.code) {
    case 'TooManyRequests':
      return { heading: 'Too many changes at once', detail: 'Nothing was changed. Wait a minute, then try again.' };
    case 'IdempotencyKeyInUse':
      return { heading: 'This form is being sent already', detail: 'Wait a moment, then open the page again to see what it did.' };
    case 'IdempotencyKeyReused':
      return { heading: 'This form was sent before with other values', detail: 'Nothing was changed. Open the page again for a fresh form.' };
    case 'InternalError':
      return { heading: 'Something went wrong', detail: 'The server could not finish this. Try again in a moment.' };
    default:
      return null;
  }
};
