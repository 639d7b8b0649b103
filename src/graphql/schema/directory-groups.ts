/** Directory groups (API.md §18): what the group's identity provider keeps through SCIM, read here; mapped to the admin role. */
import type { DirectoryGroupRecord } from '../../db/store.ts';
import { DirectoryGroupCursor, decodeCursor, directoryGroupCursorOf, MemberCursor, memberCursorOf } from '../../domain/cursors.ts';
import { parsePageSize } from '../../domain/inputs.ts';
import { builder } from '../builder.ts';
import { groupAdminOf } from '../guards.ts';
import { MemberConnectionType, MemberType } from './members.ts';
import { connectionType, DEFAULT_PAGE_SIZE } from './pagination.ts';
import { GroupType } from './types.ts';


export const DirectoryGroupType = builder.objectRef<DirectoryGroupRecord>('DirectoryGroup').implement({
  description: 'A named set of the group’s members, as its identity provider keeps it (a SCIM Group).',
  fields: (t) => ({
    id: t.exposeID('id'),
    displayName: t.exposeString('displayName', { description: 'Unique in the group, compared case-insensitively.' }),
    externalId: t.exposeString('externalId', { nullable: true }),
    members: t.field({
      description: 'Its members by join time, oldest first. `first` is 0..100.',
      type: MemberConnectionType,
      args: {
        first: t.arg.int({ defaultValue: DEFAULT_PAGE_SIZE }),
        after: t.arg.string({ description: 'The endCursor of the previous page.' }),
      },
      resolve: async (record, { first, after }, ctx) => {
        const { group } = await groupAdminOf(ctx, { allowApiToken: true });
        const size = parsePageSize(first ?? DEFAULT_PAGE_SIZE);
        const rows = await ctx.services.scim.directoryGroupMembers(group, record, size + 1, decodeCursor(after, MemberCursor));
        const edges = rows.slice(0, size).map((node) => ({ cursor: memberCursorOf(node), node }));
        return { edges, pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null } };
      },
    }),
  }),
});

const DirectoryGroupConnectionType = connectionType('DirectoryGroup', DirectoryGroupType);

builder.queryField('directoryGroups', (t) =>
  t.field({
    description:
      'The group’s directory groups, oldest first (group admin or API token). `first` is 0..100, else a ' +
      'transport-level InvalidInput (field "first").',
    type: DirectoryGroupConnectionType,
    args: {
      first: t.arg.int({ defaultValue: DEFAULT_PAGE_SIZE }),
      after: t.arg.string({ description: 'The endCursor of the previous page.' }),
    },
    resolve: async (_root, { first, after }, ctx) => {
      const { group } = await groupAdminOf(ctx, { allowApiToken: true });
      const size = parsePageSize(first ?? DEFAULT_PAGE_SIZE);
      const rows = await ctx.services.scim.directoryGroups(group, { after: decodeCursor(after, DirectoryGroupCursor), limit: size + 1 });
      const edges = rows.slice(0, size).map((node) => ({ cursor: directoryGroupCursorOf(node), node }));
      return { edges, pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null } };
    },
  }),
);

builder.objectField(MemberType, 'directoryGroups', (t) =>
  t.field({
    description: 'The directory groups of the caller’s group that the member is in.',
    type: [DirectoryGroupType],
    resolve: async (member, _args, ctx) => {
      const { group } = await groupAdminOf(ctx, { allowApiToken: true });
      return ctx.services.scim.directoryGroups(group, { memberUserId: member.user.id });
    },
  }),
);

builder.objectField(GroupType, 'adminDirectoryGroup', (t) =>
  t.field({
    description:
      'The directory group whose members are the group’s admins (every other member is a `member`), as memberships ' +
      'change; null while roles are set one by one.',
    type: DirectoryGroupType,
    nullable: true,
    resolve: async (group, _args, ctx) => {
      if (group.adminDirectoryGroupId === null) return null;
      const [record] = await ctx.services.scim.directoryGroups(group, { ids: [group.adminDirectoryGroupId] });
      return record ?? null;
    },
  }),
);
