/**
 * Compiled execution: each operation of a document the server has validated is
 * compiled once (graphql-jit) into a function that runs its fields without
 * graphql-js's executor walking the query on every request. One cache, by document
 * and operation name, serves both ways a request runs.
 *
 * One thing graphql-jit words differently from graphql-js: a variable that does not
 * coerce ("Variable \"$input\" got invalid value …" in graphql-js, a message about
 * the inner field in graphql-jit). The contract's answers are graphql-js's, so the
 * variables are first checked by graphql-js's own `getVariableValues`; a request
 * they fail is answered with its errors, exactly as graphql-js's `execute` would, and
 * only variables it accepts reach the compiled function.
 *
 * That check skips graphql-js's coercion when it surely succeeds: `variablesCoerce`
 * walks the variables along graphql-js's own rules without building the coerced copy
 * and its paths (for createUsers, about 3 µs of each user's 27 of CPU, and garbage), and
 * only variables it cannot vouch for go through `getVariableValues`, for its errors.
 * Its coerced values were never used: the compiled function coerces them itself.
 *
 * The JSON step (server.ts) runs `compiledOperation` and `variableErrors` itself,
 * without envelop's hooks; every other request goes through the plugins below, which
 * do the same.
 */
import type { Plugin } from 'graphql-yoga';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  getOperationAST,
  type GraphQLError,
  type GraphQLInputField,
  type GraphQLInputObjectType,
  type GraphQLInputType,
  type GraphQLSchema,
  isInputObjectType,
  isInputType,
  isLeafType,
  isListType,
  isNonNullType,
  type OperationDefinitionNode,
  typeFromAST,
  type VariableDefinitionNode,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';

/** graphql-js's `execute` stops collecting a request's variable errors at 50. */
const MAX_VARIABLE_ERRORS = 50;

function useGraphQLJsVariableErrors(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const errors = variableErrors(args.schema, getOperationAST(args.document, args.operationName), args.variableValues);
      if (errors) setResultAndStopExecution({ errors });
    },
  };
}

/** What graphql-js's `execute` answers of these variables when they do not coerce; null when they do. */
export function variableErrors(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): readonly GraphQLError[] | null {
  const definitions = operation?.variableDefinitions;
  if (!definitions?.length) return null;
  if (variablesCoerce(schema, definitions, variables ?? {})) return null;
  return getVariableValues(schema, definitions, variables ?? {}, { maxErrors: MAX_VARIABLE_ERRORS }).errors ?? null;
}

/** An operation as it runs: its compiled function and result serialiser, or its compilation's errors as both answer. */
export type CompiledOperation = Pick<CompiledQuery, 'query' | 'stringify'>;

/** Each document's compiled operations, by operation name ('' for none given). */
const compiledOperations = new WeakMap<DocumentNode, Map<string, CompiledOperation>>();

/**
 * The compiled operation of a validated document, compiled on first use; one that
 * graphql-jit cannot compile answers the compilation's errors (as envelop's plugin
 * for graphql-jit did). By document and operation name: a document of two
 * operations has two.
 */
export function compiledOperation(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): CompiledOperation {
  let byName = compiledOperations.get(document);
  if (!byName) {
    byName = new Map();
    compiledOperations.set(document, byName);
  }
  const name = operationName ?? '';
  let compiled = byName.get(name);
  if (compiled === undefined) {
    const made = compileQuery(schema, document, operationName ?? undefined);
    compiled = isCompiledQuery(made) ? made : { query: () => made, stringify: JSON.stringify };
    byName.set(name, compiled);
  }
  return compiled;
}

/** Runs every operation compiled, its result carrying the compiled serialiser (Yoga writes the answer with it). */
function useCompiledQueries(): Plugin {
  return {
    onExecute({ setExecuteFn }) {
      setExecuteFn(runCompiled);
    },
  };
}

async function runCompiled(args: ExecutionArgs): Promise<ExecutionResult> {
  const compiled = compiledOperation(args.schema, args.document, args.operationName);
  const result = (await compiled.query(args.rootValue, args.contextValue, args.variableValues)) as ExecutionResult;
  return Object.assign(result, { stringify: compiled.stringify });
}

/**
 * Whether graphql-js's `getVariableValues` surely accepts these variables: its rules
 * (values.js, coerceInputValue.js), checked without a copy or a path. False for
 * anything it would refuse and for the rare shapes not followed here (an iterable that
 * is no array, a oneOf input), which it then checks itself.
 */
export function variablesCoerce(schema: GraphQLSchema, definitions: readonly VariableDefinitionNode[], inputs: Record<string, unknown>): boolean {
  for (const definition of definitions) {
    const type = typeFromAST(schema, definition.type);
    if (!isInputType(type)) return false;
    if (!Object.prototype.hasOwnProperty.call(inputs, definition.variable.name.value)) {
      if (!definition.defaultValue && isNonNullType(type)) return false;
      continue;
    }
    if (!coerces(inputs[definition.variable.name.value], type)) return false;
  }
  return true;
}

/** An input type's fields as a list and its field names as a set, made once: `getFields()` is a dictionary, slow to walk. */
const inputFields = new WeakMap<GraphQLInputObjectType, { fields: GraphQLInputField[]; names: Set<string> }>();

function fieldsOf(type: GraphQLInputObjectType) {
  let known = inputFields.get(type);
  if (!known) {
    const fields = Object.values(type.getFields());
    known = { fields, names: new Set(fields.map((field) => field.name)) };
    inputFields.set(type, known);
  }
  return known;
}

/** Whether graphql-js's `coerceInputValue` surely coerces `value` to `type` without an error. */
function coerces(value: unknown, type: GraphQLInputType): boolean {
  if (isNonNullType(type)) return value != null && coerces(value, type.ofType);
  if (value == null) return true;
  if (isListType(type)) {
    // A value that is no list is coerced as a list of one.
    if (!Array.isArray(value)) return typeof value !== 'object' && coerces(value, type.ofType);
    for (const item of value) if (!coerces(item, type.ofType)) return false;
    return true;
  }
  if (isInputObjectType(type)) {
    if (typeof value !== 'object' || Array.isArray(value) || type.isOneOf) return false;
    const { fields, names } = fieldsOf(type);
    const object = value as Record<string, unknown>;
    for (const field of fields) {
      const fieldValue = object[field.name];
      if (fieldValue === undefined) {
        if (field.defaultValue === undefined && isNonNullType(field.type)) return false;
      } else if (!coerces(fieldValue, field.type)) return false;
    }
    // Every field given must be one of the type's.
    for (const name in object) if (!names.has(name)) return false;
    return true;
  }
  if (isLeafType(type)) {
    try {
      return type.parseValue(value) !== undefined;
    } catch {
      return false;
    }
  }
  return false;
}

export function useCompiledExecution(): Plugin[] {
  return [useGraphQLJsVariableErrors(), useCompiledQueries()];
}
