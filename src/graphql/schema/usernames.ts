/** usernameAvailable: whether createUser could take a username now, with free alternatives when not. */
import type { UsernameAvailability } from '../../domain/users.ts';
import { builder } from '../builder.ts';
import { groupAdminOf } from '../guards.ts';
import { resultUnion } from './errors.ts';

const UsernameAvailabilityType = builder.objectRef<UsernameAvailability>('UsernameAvailability').implement({
  fields: (t) => ({
    username: t.exposeString('username', { description: 'The name as it would be stored: trimmed, lower-case.' }),
    available: t.exposeBoolean('available', { description: 'False when taken or reserved.' }),
    alternatives: t.exposeStringList('alternatives', {
      description: 'A few free usernames built from it when it is not available; else empty.',
    }),
  }),
});

builder.queryField('usernameAvailable', (t) =>
  t.field({
    description: 'Whether a username is free across the service (group admin or API token).',
    type: UsernameAvailabilityType,
    args: { username: t.arg.string({ required: true }) },
    errors: resultUnion('UsernameAvailabilityResult', ['OutOfRangeUsername', 'InvalidUsername']),
    resolve: async (_root, { username }, ctx) => {
      await groupAdminOf(ctx, { allowApiToken: true });
      return ctx.services.users.availability(username);
    },
  }),
);
