/**
 * graphql-codegen: the types and typed documents of src/operations/*.graphql,
 * generated from the server's printed schema into src/generated/ (committed;
 * `npm run -s check` fails when they are stale).
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../schema.graphql',
  documents: 'src/operations/*.graphql',
  generates: {
    'src/generated/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        // Documents as strings with their types attached: no GraphQL AST, and no
        // `graphql` package, at run time.
        documentMode: 'string',
        onlyOperationTypes: true,
        enumsAsTypes: true,
        useTypeImports: true,
        avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
        scalars: { ID: 'string' },
        strictScalars: true,
      },
    },
  },
};

export default config;
