/** The domain's object types: User, Group, Session. */
import type { GroupRecord, UserRecord } from '../../db/store.ts';
import type { LiveSession } from '../../domain/sessions.ts';
import { builder } from '../builder.ts';
import { iso } from '../../time.ts';
export { iso, isoOrNull } from '../../time.ts';

export const UserType = builder.objectRef<UserRecord>('User').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    username: t.exposeString('username'),
    email: t.exposeString('email'),
    firstName: t.exposeString('firstName', { nullable: true }),
    lastName: t.exposeString('lastName', { nullable: true }),
    createdAt: t.string({ description: 'ISO-8601', resolve: (u) => iso(u.createdAt) }),
  }),
});

export const GroupType = builder.objectRef<GroupRecord>('Group').implement({
  fields: (t) => ({
    slug: t.exposeString('slug'),
    title: t.exposeString('title', { nullable: true }),
    isApiEnabled: t.exposeBoolean('isApiEnabled'),
    allowedDomains: t.exposeStringList('allowedDomains'),
    requireSignInConfirmation: t.exposeBoolean('requireSignInConfirmation', {
      description:
        'Whether createSSOToken, when its requireConfirmation is left out, mints login URLs that show a ' +
        '"Continue" page instead of signing in on the first GET (for links sent by email or chat).',
    }),
    adminSignInWithApiToken: t.exposeBoolean('adminSignInWithApiToken', {
      description:
        'Whether the group’s API tokens may mint sign-in links (createSSOToken) for its admins; false answers ' +
        'SignInNotAllowed for a member whose role is admin. The CLI’s login-link still works.',
    }),
  }),
});

export type SessionShape = LiveSession & { token: string | null };

export const SessionType = builder.objectRef<SessionShape>('Session').implement({
  fields: (t) => ({
    token: t.string({
      nullable: true,
      description: 'The session secret: only in the result of the login that created it.',
      resolve: (s) => s.token,
    }),
    expiresAt: t.string({ description: 'ISO-8601', resolve: (s) => iso(s.session.expiresAt) }),
    user: t.field({ type: UserType, resolve: (s) => s.user }),
    group: t.field({ type: GroupType, resolve: (s) => s.group }),
  }),
});
