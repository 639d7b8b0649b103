/** Group members: Group.members, user(username) and removeMember (group admin or API token). */
import type { MemberRecord } from '../../db/store.ts';
import { builder } from '../builder.ts';
import { REMOVE_MEMBER_REFUSALS } from '../../domain/members.ts';
import { removeMemberPolicy } from '../../requests/write-policies.ts';
import { groupAdminOf } from '../guards.ts';
import { fieldWrite } from '../writes.ts';
import { decodeCursor, MemberCursor, memberCursorOf } from '../../domain/cursors.ts';
import { resultUnion } from './errors.ts';
import { connectionType, DEFAULT_PAGE_SIZE } from './pagination.ts';
import { GroupType, iso, UserType } from './types.ts';

const MemberRoleEnum = builder.enumType('MemberRole', {
  values: {
    admin: { value: 'admin', description: 'May administer the group from a signed-in session.' },
    member: { value: 'member' },
  } as const,
});

export const MemberType = builder.objectRef<MemberRecord>('Member').implement({
  fields: (t) => ({
    user: t.field({ type: UserType, resolve: (m) => m.user }),
    role: t.field({ type: MemberRoleEnum, resolve: (m) => m.role }),
    joinedAt: t.string({ description: 'ISO-8601', resolve: (m) => iso(m.joinedAt) }),
    active: t.boolean({
      description: 'False while the group’s identity provider has the member suspended (SCIM `active: false`): it cannot sign in.',
      resolve: (m) => m.suspendedAt === null,
    }),
  }),
});

export const MemberConnectionType = connectionType('Member', MemberType);

builder.objectField(GroupType, 'members', (t) =>
  t.field({
    description:
      'Members by join time, oldest first (group admin or API token of this group). ' +
      '`first` is 0..100, else a transport-level InvalidInput (field "first").',
    type: MemberConnectionType,
    args: {
      first: t.arg.int({ defaultValue: DEFAULT_PAGE_SIZE }),
      after: t.arg.string({ description: 'The endCursor of the previous page.' }),
    },
    resolve: async (parent, { first, after }, ctx) => {
      const { group } = await groupAdminOf(ctx, { allowApiToken: true, group: parent });
      const { members, hasNextPage } = await ctx.services.members.list(
        group,
        first ?? DEFAULT_PAGE_SIZE,
        decodeCursor(after, MemberCursor),
      );
      const edges = members.map((node) => ({ cursor: memberCursorOf(node), node }));
      return { edges, pageInfo: { hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
    },
  }),
);

builder.queryField('user', (t) =>
  t.field({
    description:
      'A member of the caller’s group (group admin or API token). A username that names no user is InvalidUsername; ' +
      'a user who is not in this group (a user of another group) is NotGroupMember.',
    type: UserType,
    args: { username: t.arg.string({ required: true }) },
    errors: resultUnion('UserResult', ['InvalidUsername', 'NotGroupMember']),
    resolve: async (_root, { username }, ctx) => {
      const { group } = await groupAdminOf(ctx, { allowApiToken: true });
      return (await ctx.services.members.get(group, username)).user;
    },
  }),
);

const RemoveMemberSuccess = builder
  .objectRef<{ username: string; revokedSessions: number }>('RemoveMemberSuccess')
  .implement({
    fields: (t) => ({
      username: t.exposeString('username'),
      revokedSessions: t.exposeInt('revokedSessions', { description: 'The member’s sessions in this group, ended at once.' }),
    }),
  });

builder.mutationField('removeMember', (t) =>
  t.field({
    description:
      'Removes a member from the caller’s group and ends their sessions in it (group admin or API token). ' +
      'A username that names no user is InvalidUsername; a user who is not in this group, NotGroupMember. ' +
      'The group’s last admin cannot be removed: a transport-level InvalidInput (field "username").',
    type: RemoveMemberSuccess,
    args: { username: t.arg.string({ required: true }) },
    errors: resultUnion('RemoveMemberResult', REMOVE_MEMBER_REFUSALS),
    resolve: (_root, { username }, ctx, info) =>
      fieldWrite(removeMemberPolicy, ctx, info, ({ group, caller, keyed }) =>
        ctx.services.members.remove(group, username, { keepLastAdmin: true }, caller, keyed),
      ),
  }),
);
