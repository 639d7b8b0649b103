/** The whole GraphQL schema: each area registers its types on the builder when imported. */
import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.ts';
import { withRootFieldOutcomes } from './root-field-outcomes.ts';
import './schema/errors.ts';
import './schema/types.ts';
import './schema/users.ts';
import './schema/sign-in.ts';
import './schema/groups.ts';
import './schema/members.ts';
import './schema/directory-groups.ts';
import './schema/usernames.ts';
import './schema/api-tokens.ts';
import './schema/sessions.ts';
import './schema/events.ts';
import './schema/webhooks.ts';

// Each root field notes what it answered on the request's trace (logs, metrics).
export const schema = withRootFieldOutcomes(builder.toSchema());

/** The SDL committed as schema.graphql. */
export function printedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
