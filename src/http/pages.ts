/**
 * The few HTML pages a person sees: `/` (who is signed in on this group's domain,
 * with a sign-out button, or "not signed in") and the sign-out form's target.
 * No script anywhere: sign-out is a plain form post, protected against cross-origin posts.
 */
import { invalidInput } from '../errors/domain-error.ts';
import { isCrossOriginRequest } from './cross-origin.ts';
import { errorReply } from './error-responses.ts';
import { type Exchange, type Reply, reply } from '../requests/exchange.ts';
import { html, htmlPage, htmlReply, pageSecurityHeaders, type SafeHtml } from './html.ts';
import type { RequestContext } from '../requests/request-context.ts';

export const HOME_PATH = '/';
export const SIGN_OUT_PATH = '/-/sign-out';
/** The admin console's first page (src/http/console/), linked from here for a group's admins. */
export const CONSOLE_PATH = '/admin';

/** Answers the page routes: HOME_PATH and SIGN_OUT_PATH. */
export async function handlePageRequest(request: Exchange, ctx: RequestContext): Promise<Reply> {
  if (request.pathname === HOME_PATH) {
    if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed('GET, HEAD');
    return homePage(ctx).catch((error: unknown) => errorReply(request, error, ctx.trace));
  }
  if (request.method !== 'POST') return methodNotAllowed('POST');
  return signOut(request, ctx).catch((error: unknown) => errorReply(request, error, ctx.trace));
}

async function homePage(ctx: RequestContext): Promise<Reply> {
  const live = await ctx.session();
  if (live) {
    const admin = await ctx.groupAdmin();
    const body = html`<main>
<h1>Signed in</h1>
<dl>
<dt>User</dt><dd id="username">${live.user.username}</dd>
<dt>Email</dt><dd id="email">${live.user.email}</dd>
<dt>Group</dt><dd id="group">${live.group.slug}</dd>
<dt>Until</dt><dd>${new Date(live.session.expiresAt).toISOString()}</dd>
</dl>
${admin ? html`<p><a href="${CONSOLE_PATH}" id="console-link">Open the admin console</a> of ${live.group.slug}.</p>` : null}
<form method="post" action="${SIGN_OUT_PATH}"><button type="submit" id="sign-out">Sign out</button></form>
</main>`;
    return htmlReply(htmlPage(`Signed in as ${live.user.username}`, body));
  }
  return htmlReply(htmlPage('Not signed in', notSignedIn(ctx)));
}

function notSignedIn(ctx: RequestContext): SafeHtml {
  const slug = ctx.domain.groupSlug;
  if (slug !== null) {
    return html`<main>
<h1 id="not-signed-in">Not signed in</h1>
<p>You are not signed in to group <code id="group">${slug}</code>.</p>
<p class="muted">Sign in from your group’s application: it opens a one-time sign-in link on this domain.</p>
</main>`;
  }
  return html`<main>
<h1>Team API</h1>
<p>User provisioning and single sign-on for groups. Each group lives on its own domain,
<code>{group}.${ctx.config.baseDomain}</code>, where its members sign in through one-time links.</p>
<p id="not-signed-in" class="muted">Not signed in: there are no sessions on this domain.</p>
<p>The API is GraphQL at <code>/graphql</code>, and REST under <code>/-/api/</code>.</p>
</main>`;
}

/**
 * Ends the cookie's session server-side, clears the cookie and sends the browser
 * home. Refused for a cross-origin post: SameSite=Lax keeps cross-site cookies
 * away, but sibling group domains are the same site.
 */
async function signOut(request: Exchange, ctx: RequestContext): Promise<Reply> {
  if (isCrossOriginRequest(request)) throw invalidInput('origin', 'a cross-origin sign-out was refused');
  await ctx.services.sessions.end(ctx.sessionSecret, ctx.domain.groupSlug, ctx.facts);
  if (ctx.sessionSecret !== null) ctx.clearSessionCookie();
  return reply(303, null, { ...pageSecurityHeaders, location: HOME_PATH });
}

function methodNotAllowed(allow: string): Reply {
  const body = html`<main><h1>Method not allowed</h1><p><a href="/">Go to the start page</a></p></main>`;
  return htmlReply(htmlPage('Method not allowed', body), { status: 405, headers: { allow } });
}
