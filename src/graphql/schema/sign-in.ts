/** createSSOToken, loginWithSSO, viewer and logout: from API token to browser session. */
import { CREATE_SSO_TOKEN_REFUSALS, type MintedSsoToken } from '../../domain/sign-in.ts';
import { builder } from '../builder.ts';
import { createSsoTokenPolicy, signInPolicy } from '../../requests/write-policies.ts';
import { fieldWrite } from '../writes.ts';
import { resultUnion } from './errors.ts';
import { iso, type SessionShape, SessionType } from './types.ts';

const CreateSSOTokenSuccess = builder.objectRef<MintedSsoToken>('CreateSSOTokenSuccess').implement({
  fields: (t) => ({
    token: t.exposeString('token', { description: 'A single-use JWT for loginWithSSO.' }),
    loginUrl: t.exposeString('loginUrl', {
      description:
        'Opening this URL in a browser signs the user in; with requireConfirmation, it shows a page whose "Continue" button does.',
    }),
    expiresAt: t.string({ description: 'ISO-8601', resolve: (r) => iso(r.expiresAt) }),
    requireConfirmation: t.exposeBoolean('requireConfirmation', {
      description: 'Whether loginUrl asks for a click before signing in: the argument, else the group’s requireSignInConfirmation.',
    }),
  }),
});

builder.mutationField('createSSOToken', (t) =>
  t.field({
    description:
      'Mints a short-lived, single-use sign-in token for a member (API token required). ' +
      'A username that names no user is InvalidUsername; a user who is not in the group, NotGroupMember; an admin ' +
      'of a group whose adminSignInWithApiToken is false, SignInNotAllowed. The session the token makes ends when ' +
      'the API token that minted it is revoked.',
    type: CreateSSOTokenSuccess,
    args: {
      username: t.arg.string({ required: true }),
      redirectTo: t.arg.string({ description: 'Same-origin path the login URL redirects to (default "/").' }),
      requireConfirmation: t.arg.boolean({
        description:
          'True for a link sent by email or chat: opening loginUrl (GET or HEAD, as link scanners do) only shows a page ' +
          'naming the group and the user, and its "Continue" button signs in. False signs in on the first GET. ' +
          'Left out or null: the group’s requireSignInConfirmation. Signed into the token.',
      }),
    },
    errors: resultUnion('CreateSSOTokenResult', CREATE_SSO_TOKEN_REFUSALS),
    resolve: (_root, { username, redirectTo, requireConfirmation }, ctx, info) =>
      fieldWrite(createSsoTokenPolicy, ctx, info, ({ group, caller, keyed }) =>
        ctx.services.signIn.createSsoToken(group, username, { redirectTo, requireConfirmation }, caller, keyed),
      ),
  }),
);

const LoginWithSSOSuccess = builder.objectRef<{ session: SessionShape }>('LoginWithSSOSuccess').implement({
  fields: (t) => ({ session: t.field({ type: SessionType, resolve: (r) => r.session }) }),
});

builder.mutationField('loginWithSSO', (t) =>
  t.field({
    description:
      'Exchanges an SSO token (with or without requireConfirmation: this is an explicit call) for a session, on the ' +
      'token’s group’s domain; sets the session cookie. A token naming no user is InvalidUsername; a user no longer ' +
      'in the group, NotGroupMember; a member suspended through SCIM, MemberSuspended.',
    type: LoginWithSSOSuccess,
    args: { token: t.arg.string({ required: true }) },
    errors: resultUnion('LoginWithSSOResult', [
      'SSOTokenFailedToParse',
      'InvalidSSOTokenPayload',
      'InvalidRequestDomain',
      'GroupNotFound',
      'InvalidUsername',
      'NotGroupMember',
      'MemberSuspended',
      'failedToCreateSession',
    ]),
    resolve: async (_root, { token }, ctx, info) => {
      const signedIn = await fieldWrite(signInPolicy, ctx, info, ({ groupSlug, facts }) =>
        ctx.services.signIn.login(token, groupSlug, ctx.sessionSecret, facts),
      );
      ctx.setSessionCookie(signedIn.token);
      return { session: signedIn };
    },
  }),
);

builder.queryField('viewer', (t) =>
  t.field({
    description: 'The session of the `session` cookie on this group’s domain, else null.',
    type: SessionType,
    nullable: true,
    resolve: async (_root, _args, ctx) => {
      const live = await ctx.session();
      return live && { ...live, token: null };
    },
  }),
);

builder.mutationField('logout', (t) =>
  t.boolean({
    description: 'Ends the cookie’s session server-side and clears the cookie; true when a session was ended.',
    resolve: async (_root, _args, ctx) => {
      if (ctx.sessionSecret !== null) ctx.clearSessionCookie();
      return ctx.services.sessions.end(ctx.sessionSecret, ctx.domain.groupSlug, ctx.facts);
    },
  }),
);
