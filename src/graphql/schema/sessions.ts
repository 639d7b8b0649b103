/** A group's signed-in sessions, administered by its admins: sessions and revokeSession. */
import type { LiveSession } from '../../domain/sessions.ts';
import { builder } from '../builder.ts';
import { revokeSessionPolicy } from '../../requests/write-policies.ts';
import { groupAdminOf } from '../guards.ts';
import { fieldWrite } from '../writes.ts';
import { decodeCursor, SessionCursor, sessionCursorOf } from '../../domain/cursors.ts';
import { resultUnion } from './errors.ts';
import { DEFAULT_PAGE_SIZE } from './pagination.ts';
import { iso, UserType } from './types.ts';

const SessionInfoType = builder.objectRef<Pick<LiveSession, 'session' | 'user'>>('SessionInfo').implement({
  description: 'A live session of the group; never its secret.',
  fields: (t) => ({
    id: t.id({ resolve: (s) => s.session.id }),
    user: t.field({ type: UserType, resolve: (s) => s.user }),
    createdAt: t.string({ description: 'ISO-8601', resolve: (s) => iso(s.session.createdAt) }),
    expiresAt: t.string({ description: 'ISO-8601', resolve: (s) => iso(s.session.expiresAt) }),
    cursor: t.string({
      description: 'Pass the last one as `sessions(after:)` for the next page.',
      resolve: (s) => sessionCursorOf(s.session),
    }),
  }),
});

builder.queryField('sessions', (t) =>
  t.field({
    description:
      'The group’s live sessions, oldest first (group admin). `first` is 0..100, and a malformed `after` ' +
      'is refused: both as a transport-level InvalidInput naming the field.',
    type: [SessionInfoType],
    args: {
      first: t.arg.int({ defaultValue: DEFAULT_PAGE_SIZE }),
      after: t.arg.string({ description: 'The `cursor` of the last session of the previous page.' }),
    },
    resolve: async (_root, { first, after }, ctx) => {
      const { group } = await groupAdminOf(ctx, { allowApiToken: false });
      return ctx.services.sessions.list(group, first ?? DEFAULT_PAGE_SIZE, decodeCursor(after, SessionCursor));
    },
  }),
);

const RevokeSessionSuccess = builder.objectRef<{ id: string }>('RevokeSessionSuccess').implement({
  fields: (t) => ({ id: t.exposeID('id') }),
});

builder.mutationField('revokeSession', (t) =>
  t.field({
    description: 'Ends one of the group’s sessions at once (group admin).',
    type: RevokeSessionSuccess,
    args: { id: t.arg.id({ required: true }) },
    errors: resultUnion('RevokeSessionResult', ['InvalidInput']),
    resolve: async (_root, { id }, ctx, info) => {
      await fieldWrite(revokeSessionPolicy, ctx, info, ({ group, caller }) => ctx.services.sessions.revoke(group, String(id), caller));
      return { id: String(id) };
    },
  }),
);
