/**
 * The login URL (API.md §5, §10): GET and HEAD of `/-/api/ssotoken/login?token=…`,
 * the confirmation page shown for a token minted with `requireConfirmation`, and
 * the POST of its "Continue" button. Thin handlers over SignInService; failures
 * are the catalog envelope, or for a person a page that explains them in words.
 */
import { LOGIN_PATH, type SignedIn, type SignInCheck } from '../domain/sign-in.ts';
import { SsoTokenRefusal } from '../domain/sso-tokens.ts';
import { type DomainError, Errors, invalidInput } from '../errors/domain-error.ts';
import { isFromOrigin } from './cross-origin.ts';
import type { FailureExplanation } from './error-responses.ts';
import { readForm } from './forms.ts';
import { type Exchange, type Reply, reply } from '../requests/exchange.ts';
import { html, htmlPage, htmlReply } from './html.ts';
import type { RequestContext } from '../requests/request-context.ts';
import { signInPolicy } from '../requests/write-policies.ts';
import { type DomainWriteCall, runWrite, writeValue } from '../requests/write-runner.ts';

/** The reason of an InvalidRequestDomain for a POST that no page of the group's own origin sent. */
const NOT_FROM_GROUP_ORIGIN = 'the sign-in was not posted from the group’s own origin';

/**
 * GET: a token minted without confirmation signs in at once (302 with the session
 * cookie), as the original API does; one minted with confirmation gets the
 * confirmation page and stays unused. HEAD answers what a GET would, and never
 * signs in or uses anything up, whatever the token.
 */
export async function openLoginUrl(request: Exchange, ctx: RequestContext): Promise<Reply> {
  const token = new URLSearchParams(request.target.slice(request.pathname.length)).get('token');
  if (!token) throw new Errors.MissingRequiredQueryParameter();
  const { signIn } = ctx.services;
  if (request.method === 'HEAD') {
    // Uses nothing up, but counts as a sign-in: a HEAD must not probe tokens without limit.
    const check = await signInWrite(request, ctx, ({ groupSlug }) => signIn.check(token, groupSlug));
    return check.requireConfirmation ? confirmationPage(check, token) : redirectAfterSignIn(check.redirectTo);
  }
  const opened = await signInWrite(request, ctx, ({ groupSlug, facts }) =>
    signIn.openLoginUrl(token, groupSlug, ctx.sessionSecret, facts),
  );
  if (opened.confirm) return confirmationPage(opened.confirm, token);
  return signedInReply(opened.signedIn, ctx);
}

/**
 * POST (the confirmation page's "Continue"): signs in with the form's `token`, but
 * only when a page of the group's own origin posted it. Otherwise another site
 * could post its own token and sign a visitor into the attacker's account (login
 * CSRF); that is InvalidRequestDomain, and nothing is used up.
 */
export async function confirmSignIn(request: Exchange, ctx: RequestContext): Promise<Reply> {
  const slug = ctx.domain.groupSlug;
  if (slug === null) throw new Errors.InvalidRequestDomain();
  if (!isFromOrigin(request, ctx.services.signIn.groupOrigin(slug))) {
    throw new Errors.InvalidRequestDomain({ reason: NOT_FROM_GROUP_ORIGIN });
  }
  const token = (await readForm(request)).get('token');
  if (!token) throw invalidInput('token', 'the form must carry the token');
  const signedIn = await signInWrite(request, ctx, ({ facts }) => ctx.services.signIn.login(token, slug, ctx.sessionSecret, facts));
  return signedInReply(signedIn, ctx);
}

/** The login URL as a write under signInPolicy (it takes no key: the request is named, not fingerprinted). */
function signInWrite<T>(request: Exchange, ctx: RequestContext, write: (call: DomainWriteCall) => Promise<T>): Promise<T> {
  const named = { route: `${request.method} ${request.pathname}`, body: null, field: request.pathname };
  return writeValue(runWrite(signInPolicy, ctx, named, write));
}

function signedInReply(signedIn: SignedIn, ctx: RequestContext): Reply {
  ctx.setSessionCookie(signedIn.token);
  return redirectAfterSignIn(signedIn.redirectTo);
}

function redirectAfterSignIn(redirectTo: string): Reply {
  // redirectTo was checked to be a same-origin path when the token was minted.
  return reply(302, null, { location: redirectTo, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
}

/**
 * The page a token minted with confirmation opens: whom it signs in where, and one
 * button. It runs no script, so a scanner that renders it cannot press the button;
 * html.ts gives it the headers of every page (no framing, no caching, no referrer,
 * nothing loaded from elsewhere).
 */
function confirmationPage(check: SignInCheck, token: string): Reply {
  const { user, group } = check;
  const groupName = group.title ?? group.slug;
  const body = html`<main>
<h1>Sign in to <span id="sign-in-group">${groupName}</span></h1>
<p>You are signing in as <strong id="sign-in-user">${user.username}</strong>${group.title ? html` to group <code>${group.slug}</code>` : null}.</p>
<form method="post" action="${LOGIN_PATH}">
<input type="hidden" name="token" value="${token}">
<button type="submit" id="continue" class="primary">Continue</button>
</form>
<p class="muted">This link signs in once. If you did not ask to sign in, close this page: nothing happens until you press Continue.</p>
</main>`;
  return htmlReply(htmlPage(`Sign in to ${groupName}`, body));
}

/** What a person is told when the login URL (or its confirmation) fails. */
export function explainSignInFailure(error: DomainError): FailureExplanation | null {
  switch (error.code) {
    case 'MissingRequiredQueryParameter':
      return { heading: 'This sign-in link is incomplete', detail: 'It carries no token. Copy the whole link from your message, or ask for a new one.' };
    case 'SSOTokenFailedToParse':
      if (error.reason === SsoTokenRefusal.expired) {
        return { heading: 'This sign-in link has expired', detail: 'Sign-in links work for a few minutes only. Ask for a new one where you got this one.' };
      }
      return invalidLink;
    case 'InvalidSSOTokenPayload':
      if (error.reason === SsoTokenRefusal.used) {
        return {
          heading: 'This sign-in link has already been used',
          detail: 'Each sign-in link works once. If you used it a moment ago, you are signed in already. Otherwise, ask for a new link.',
        };
      }
      return invalidLink;
    case 'InvalidRequestDomain':
      if (error.reason === NOT_FROM_GROUP_ORIGIN) {
        return {
          heading: 'This sign-in did not come from the group’s own page',
          detail: 'For your safety, a sign-in is only accepted from the page your sign-in link opens. Open the link again and press Continue there.',
        };
      }
      return {
        heading: 'This sign-in link is for another site',
        detail: 'A sign-in link works only on the site of the group it was made for. Open it exactly as you received it.',
      };
    case 'GroupNotFound':
      return { heading: 'This group no longer exists', detail: 'The group this sign-in link was made for has been deleted.' };
    case 'InvalidUsername':
      return { heading: 'This sign-in link is for an unknown user', detail: 'The account it names does not exist. Ask for a new link.' };
    case 'NotGroupMember':
      return { heading: 'This account is not a member of the group', detail: 'The account this link is for is no longer in the group. Ask the group for access.' };
    case 'MemberSuspended':
      return { heading: 'This account is suspended', detail: 'Your organisation’s identity provider has suspended your access to this group. Ask your administrator.' };
    case 'InvalidInput':
      return { heading: 'This sign-in form is incomplete', detail: 'Open your sign-in link again and press Continue.' };
    case 'TooManyRequests':
      return { heading: 'Too many sign-in attempts', detail: 'Too many sign-ins came from your network just now. Wait a minute, then open the link again.' };
    case 'failedToCreateSession':
      return { heading: 'You could not be signed in', detail: 'Something went wrong on our side, and the link was not used up. Try it again in a moment.' };
    case 'InternalError':
      return { heading: 'Something went wrong', detail: 'The server could not answer. Try the link again in a moment.' };
    default:
      return null;
  }
}

const invalidLink: FailureExplanation = {
  heading: 'This sign-in link is not valid',
  detail: 'It may have been cut short or changed on its way to you. Open it exactly as you received it, or ask for a new one.',
};
