/** createUser: provisioning a user into the API token's group. */
import type { UserRecord } from '../../db/store.ts';
import { Errors } from '../../errors/domain-error.ts';
import { builder } from '../builder.ts';
import { apiTokenOf, rateLimited } from '../guards.ts';
import { UserType } from './types.ts';

const CreateUserInput = builder.inputType('CreateUserInput', {
  fields: (t) => ({
    email: t.string({ required: true }),
    username: t.string({ description: 'Wanted username; falls back to suggestedUsername when unusable.' }),
    suggestedUsername: t.string({ description: 'Base for a generated username (a random suffix is added).' }),
    firstName: t.string(),
    lastName: t.string(),
  }),
});

const CreateUserSuccess = builder.objectRef<{ user: UserRecord }>('CreateUserSuccess').implement({
  fields: (t) => ({ user: t.field({ type: UserType, resolve: (r) => r.user }) }),
});

builder.mutationField('createUser', (t) =>
  t.field({
    description: 'Creates a user in the API token’s group (API token required).',
    type: CreateUserSuccess,
    args: { input: t.arg({ type: CreateUserInput, required: true }) },
    errors: {
      types: [
        Errors.InvalidInput,
        Errors.InvalidEmailDomain,
        Errors.InvalidUsername,
        Errors.OutOfRangeUsername,
        Errors.OutOfRangeSuggestedUsername,
        Errors.UsernameAlreadyExists,
        Errors.EmailAlreadyExists,
        Errors.FailedToCreateUser,
      ],
      directResult: true,
      union: { name: 'CreateUserResult' },
    },
    resolve: async (_root, { input }, ctx) => {
      const { group, caller } = await apiTokenOf(ctx);
      await rateLimited(ctx, 'write');
      return { user: await ctx.services.users.create(group, input, caller) };
    },
  }),
);
