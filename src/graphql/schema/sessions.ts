/** A group's signed-in sessions, administered by its admins: sessions and revokeSession. */
import { z } from 'zod';
import type { SessionRecord, UserRecord } from '../../db/store.ts';
import { Errors, invalidInput } from '../../errors/domain-error.ts';
import { builder } from '../builder.ts';
import { groupAdminOf } from '../guards.ts';
import { DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor } from './pagination.ts';
import { iso, UserType } from './types.ts';

interface SessionInfoShape {
  session: SessionRecord;
  user: UserRecord;
}

const SessionInfoType = builder.objectRef<SessionInfoShape>('SessionInfo').implement({
  description: 'A live session of the group; never its secret.',
  fields: (t) => ({
    id: t.id({ resolve: (s) => s.session.id }),
    user: t.field({ type: UserType, resolve: (s) => s.user }),
    createdAt: t.string({ description: 'ISO-8601', resolve: (s) => iso(s.session.createdAt) }),
    expiresAt: t.string({ description: 'ISO-8601', resolve: (s) => iso(s.session.expiresAt) }),
    cursor: t.string({
      description: 'Pass the last one as `sessions(after:)` for the next page.',
      resolve: (s) => encodeCursor({ createdAt: s.session.createdAt, id: s.session.id }),
    }),
  }),
});

/** Sessions are listed by (createdAt, id); a cursor is that key. */
const SessionCursor = z.strictObject({
  createdAt: z.number().int().nonnegative(),
  id: z.string().min(1).max(100),
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
    errors: { types: [Errors.InvalidInput], directResult: true, union: { name: 'RevokeSessionResult' } },
    resolve: async (_root, { id }, ctx) => {
      const { group, caller } = await groupAdminOf(ctx, { allowApiToken: false, write: true });
      // Another group's session answers exactly like no session.
      if (!(await ctx.services.sessions.revoke(group, String(id), caller))) {
        throw invalidInput('id', 'no session with this id in this group');
      }
      return { id: String(id) };
    },
  }),
);
