/** The API token's own group. */
import { builder } from '../builder.ts';
import { apiTokenOf } from '../guards.ts';
import { GroupType } from './types.ts';

builder.queryField('group', (t) =>
  t.field({
    description: 'The API token’s group (API token required).',
    type: GroupType,
    nullable: true,
    resolve: async (_root, _args, ctx) => (await apiTokenOf(ctx)).group,
  }),
);
