/**
 * Compiled execution: each document the server has validated is compiled once
 * (graphql-jit, through envelop's plugin) into a function that runs its fields
 * without graphql-js's executor walking the query on every request.
 *
 * One thing graphql-jit words differently from graphql-js: a variable that does not
 * coerce ("Variable \"$input\" got invalid value …" in graphql-js, a message about
 * the inner field in graphql-jit). The contract's answers are graphql-js's, so the
 * variables are first checked by graphql-js's own `getVariableValues`; a request
 * they fail is answered with its errors, exactly as graphql-js's `execute` would, and
 * only variables it accepts reach the compiled function.
 */
import type { Plugin } from 'graphql-yoga';
import { useGraphQlJit } from '@envelop/graphql-jit';
import { getOperationAST } from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';

/** graphql-js's `execute` stops collecting a request's variable errors at 50. */
const MAX_VARIABLE_ERRORS = 50;

function useGraphQLJsVariableErrors(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      const definitions = operation?.variableDefinitions;
      if (!definitions?.length) return;
      const coerced = getVariableValues(args.schema, definitions, args.variableValues ?? {}, { maxErrors: MAX_VARIABLE_ERRORS });
      if (coerced.errors) setResultAndStopExecution({ errors: coerced.errors });
    },
  };
}

export function useCompiledExecution(): Plugin[] {
  return [useGraphQLJsVariableErrors(), useGraphQlJit() as Plugin];
}
