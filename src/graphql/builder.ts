/** The Pothos builder: plugins and the context every resolver receives. */
import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import type { YogaInitialContext } from 'graphql-yoga';
import type { RequestContext } from '../requests/request-context.ts';

export type GraphQLContext = YogaInitialContext & RequestContext;

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  DefaultFieldNullability: false;
}>({
  plugins: [ErrorsPlugin],
  defaultFieldNullability: false,
  errors: {
    // Each result union lists exactly the members API.md gives it, so nothing is
    // added by default; an error a union does not list (or any non-DomainError)
    // escapes to the transport layer, which envelopes or masks it.
    defaultTypes: [],
  },
});

builder.queryType({});
builder.mutationType({});
