/** A group's API tokens, administered by its admins: apiTokens, createApiToken, revokeApiToken. */
import type { ApiTokenRecord } from '../../db/store.ts';
import { builder } from '../builder.ts';
import { createApiTokenPolicy, revokeApiTokenPolicy } from '../../requests/write-policies.ts';
import { groupAdminOf } from '../guards.ts';
import { fieldWrite } from '../writes.ts';
import { resultUnion } from './errors.ts';
import { iso, isoOrNull } from './types.ts';

const ApiTokenType = builder.objectRef<ApiTokenRecord>('ApiToken').implement({
  description: 'An API token of the group; the token itself is shown only once, at creation.',
  fields: (t) => ({
    id: t.exposeID('id'),
    label: t.exposeString('label', { nullable: true }),
    createdAt: t.string({ description: 'ISO-8601', resolve: (k) => iso(k.createdAt) }),
    lastUsedAt: t.string({
      nullable: true,
      description: 'ISO-8601; up to date, including uses not yet written to the database.',
      resolve: (k) => isoOrNull(k.lastUsedAt),
    }),
    revokedAt: t.string({ nullable: true, description: 'ISO-8601', resolve: (k) => isoOrNull(k.revokedAt) }),
  }),
});

builder.queryField('apiTokens', (t) =>
  t.field({
    description: 'The group’s API tokens, revoked ones included, oldest first (group admin).',
    type: [ApiTokenType],
    resolve: async (_root, _args, ctx) => {
      const { group } = await groupAdminOf(ctx, { allowApiToken: false });
      return ctx.services.apiTokens.list(group);
    },
  }),
);

const CreateApiTokenSuccess = builder
  .objectRef<{ apiToken: ApiTokenRecord; token: string }>('CreateApiTokenSuccess')
  .implement({
    fields: (t) => ({
      apiToken: t.field({ type: ApiTokenType, resolve: (r) => r.apiToken }),
      token: t.exposeString('token', { description: 'The secret (`tapi_…`): shown this once, stored only as a hash.' }),
    }),
  });

builder.mutationField('createApiToken', (t) =>
  t.field({
    description: 'Mints an API token for the group (group admin).',
    type: CreateApiTokenSuccess,
    args: { label: t.arg.string({ description: 'What the token is for; at most 100 characters.' }) },
    errors: resultUnion('CreateApiTokenResult', ['InvalidInput']),
    resolve: (_root, { label }, ctx, info) =>
      fieldWrite(createApiTokenPolicy, ctx, info, ({ group, caller }) => ctx.services.apiTokens.create(group, label, caller)),
  }),
);

const RevokeApiTokenSuccess = builder.objectRef<{ apiToken: ApiTokenRecord }>('RevokeApiTokenSuccess').implement({
  fields: (t) => ({ apiToken: t.field({ type: ApiTokenType, resolve: (r) => r.apiToken }) }),
});

builder.mutationField('revokeApiToken', (t) =>
  t.field({
    description:
      'Revokes one of the group’s API tokens; it is refused from the next request on (group admin). The sessions ' +
      'signed in through its sign-in links end with it (session.ended, reason api_token_revoked), and links it ' +
      'minted no longer sign in. Revoking a revoked token changes nothing and succeeds.',
    type: RevokeApiTokenSuccess,
    args: { id: t.arg.id({ required: true }) },
    errors: resultUnion('RevokeApiTokenResult', ['InvalidInput']),
    resolve: async (_root, { id }, ctx, info) => {
      const apiToken = await fieldWrite(revokeApiTokenPolicy, ctx, info, ({ group, caller }) =>
        ctx.services.apiTokens.revoke(group, String(id), caller),
      );
      return { apiToken };
    },
  }),
);
