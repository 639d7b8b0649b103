/** The caller's group: reading it (API token) and changing its settings (group admin). */
import type { GroupRecord } from '../../db/store.ts';
import { builder } from '../builder.ts';
import { updateGroupPolicy } from '../../requests/write-policies.ts';
import { asTransportError } from '../transport-errors.ts';
import { fieldWrite } from '../writes.ts';
import { resultUnion } from './errors.ts';
import { GroupType } from './types.ts';

builder.queryField('group', (t) =>
  t.field({
    description: 'The API token’s group (API token required).',
    type: GroupType,
    nullable: true,
    resolve: async (_root, _args, ctx) => (await asTransportError(ctx.requireApiToken())).group,
  }),
);

const UpdateGroupInput = builder.inputType('UpdateGroupInput', {
  description: 'Only the fields given change.',
  fields: (t) => ({
    isApiEnabled: t.boolean({ description: 'False refuses the group’s API tokens (ApiIsDisabled); admins keep access.' }),
    allowedDomains: t.stringList({
      description: 'Email domains createUser accepts; [] allows any. At most 100. Null leaves the list as it is.',
    }),
    title: t.string({ description: 'At most 100 characters; null or "" clears it.' }),
    requireSignInConfirmation: t.boolean({
      description: 'The default of createSSOToken’s requireConfirmation for this group. Null leaves it as it is.',
    }),
    adminSignInWithApiToken: t.boolean({
      description:
        'False: createSSOToken answers SignInNotAllowed for an admin of the group, so a leaked API token cannot sign ' +
        'in as one. Null leaves it as it is.',
    }),
    adminDirectoryGroup: t.id({
      description:
        'A directory group (SCIM) whose members become the admins, every other member a `member`, as memberships ' +
        'change; null clears the mapping (roles stay as they are). Refused (InvalidInput, field adminDirectoryGroup) ' +
        'when it would leave the group without an admin. Left out: unchanged.',
    }),
  }),
});

const UpdateGroupSuccess = builder.objectRef<{ group: GroupRecord }>('UpdateGroupSuccess').implement({
  fields: (t) => ({ group: t.field({ type: GroupType, resolve: (r) => r.group }) }),
});

builder.mutationField('updateGroup', (t) =>
  t.field({
    description: 'Changes the group’s settings (group admin).',
    type: UpdateGroupSuccess,
    args: { input: t.arg({ type: UpdateGroupInput, required: true }) },
    errors: resultUnion('UpdateGroupResult', ['InvalidInput']),
    resolve: async (_root, { input }, ctx, info) => {
      const settings = {
        title: input.title,
        // A switch and a list cannot be null: null means "leave as it is", like leaving the field out.
        isApiEnabled: input.isApiEnabled ?? undefined,
        allowedDomains: input.allowedDomains ?? undefined,
        requireSignInConfirmation: input.requireSignInConfirmation ?? undefined,
        adminSignInWithApiToken: input.adminSignInWithApiToken ?? undefined,
      };
      const updated = await fieldWrite(updateGroupPolicy, ctx, info, async ({ group, caller }) => {
        // Checked and written first: a mapping refused changes no other setting.
        if (input.adminDirectoryGroup !== undefined) {
          await ctx.services.scim.setAdminDirectoryGroup(group, input.adminDirectoryGroup === null ? null : String(input.adminDirectoryGroup), caller);
        }
        return ctx.services.groups.update(group, settings, caller);
      });
      return { group: updated };
    },
  }),
);
