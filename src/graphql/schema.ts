/** The whole GraphQL schema: each area registers its types on the builder when imported. */
import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.ts';
import './schema/errors.ts';
import './schema/types.ts';
import './schema/users.ts';
import './schema/sign-in.ts';
import './schema/groups.ts';
import './schema/members.ts';
import './schema/usernames.ts';
import './schema/api-tokens.ts';
import './schema/sessions.ts';
import './schema/events.ts';
import './schema/webhooks.ts';

export const schema = builder.toSchema();

/** The SDL committed as schema.graphql. */
export function printedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
