/** createUser and createUsers: provisioning users into the API token's group. */
import type { UserRecord } from '../../db/store.ts';
import { CREATE_USER_REFUSALS } from '../../domain/users.ts';
import { errorTypeMap, wrapOrThrow } from '@pothos/plugin-errors';
import { type ErrorCode, errorTypeName } from '../../errors/catalog.ts';
import { DomainError, Errors, invalidInput } from '../../errors/domain-error.ts';
import { builder } from '../builder.ts';
import { createUserPolicy, createUsersPolicy } from '../../requests/write-policies.ts';
import { fieldWrite } from '../writes.ts';
import { transportError } from '../transport-errors.ts';
import { UserType } from './types.ts';

/** Most inputs one createUsers call takes. */
export const CREATE_USERS_MAX = 1000;

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

const refusalClasses = CREATE_USER_REFUSALS.map((code) => Errors[code]);

/**
 * One union for createUser's result and each of createUsers' results: a success, or
 * a refusal of the catalog. Written out rather than made by the errors plugin, which
 * would give the list's items a union of another name; refusals are wrapped with
 * the plugin's own helper, so GraphQL takes them for results, not failures.
 */
const CreateUserResult = builder.unionType('CreateUserResult', {
  types: [CreateUserSuccess, ...refusalClasses],
  resolveType: (value) => {
    const refusal = errorTypeMap.get(value as object);
    return refusal ? errorTypeName(refusal.name as ErrorCode) : 'CreateUserSuccess';
  },
});

/** A refusal of the union as a result; anything else goes on (to the transport layer). */
const asRefusal = (error: unknown) => wrapOrThrow(error, refusalClasses) as DomainError;

builder.mutationField('createUser', (t) =>
  t.field({
    description:
      'Creates a user in the API token’s group (API token required). Retry-safe with an `Idempotency-Key` header.',
    type: CreateUserResult,
    args: { input: t.arg({ type: CreateUserInput, required: true }) },
    resolve: (_root, { input }, ctx, info) =>
      fieldWrite(createUserPolicy, ctx, info, ({ group, caller, keyed }) => ctx.services.users.create(group, input, caller, keyed))
        .then((user) => ({ user }), asRefusal),
  }),
);

builder.mutationField('createUsers', (t) =>
  t.field({
    description:
      `Creates up to ${CREATE_USERS_MAX} users in the API token’s group (API token required): one result per input, ` +
      'in order, each what createUser would have answered had the inputs come one after another; one bad input ' +
      'never stops the others. All are written in one transaction. Counts one write per input against the rate ' +
      `limit. No inputs or more than ${CREATE_USERS_MAX}: a transport-level InvalidInput (field "inputs"). ` +
      'Send the inputs as a variable: the document’s token limit would refuse them written out.',
    type: [CreateUserResult],
    args: { inputs: t.arg({ type: [CreateUserInput], required: true }) },
    resolve: async (_root, { inputs }, ctx, info) => {
      // The arguments' shape before authority, as for the arguments GraphQL itself coerces.
      if (inputs.length === 0 || inputs.length > CREATE_USERS_MAX) {
        throw transportError(invalidInput('inputs', `give 1 to ${CREATE_USERS_MAX} inputs`));
      }
      const outcomes = await fieldWrite(
        createUsersPolicy,
        ctx,
        info,
        ({ group, caller, keyed }) => ctx.services.users.createMany(group, inputs, caller, keyed),
        inputs.length,
      );
      return outcomes.map((outcome) => (outcome instanceof DomainError ? asRefusal(outcome) : { user: outcome }));
    },
  }),
);
