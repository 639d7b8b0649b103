/**
 * What each root field (createUser, viewer, …) answered, noted on the request's
 * trace for the log line and the metrics: the result's `__typename` and, for an
 * error union member or a raised error, its catalog code. Read from the value the
 * resolver returns, so it does not depend on what the client selected (nor on the
 * operationName it chose); every label is a name from the schema or the catalog.
 */
import {
  defaultFieldResolver,
  getNamedType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  isAbstractType,
  isObjectType,
} from 'graphql';
import { findDomainError } from '../errors/domain-error.ts';
import type { RequestTrace } from '../observability/request-trace.ts';

type Resolver = NonNullable<GraphQLField<unknown, unknown>['resolve']>;

/** Wraps the resolver of every Query and Mutation field, in place; returns the schema. */
export function withRootFieldOutcomes(schema: GraphQLSchema): GraphQLSchema {
  for (const root of [schema.getQueryType(), schema.getMutationType()]) {
    if (!root) continue;
    for (const field of Object.values(root.getFields())) field.resolve = observed(field.name, getNamedType(field.type), field.resolve ?? defaultFieldResolver);
  }
  return schema;
}

function observed(field: string, type: GraphQLNamedType, resolve: Resolver): Resolver {
  return (source, args, context, info) => {
    const trace = (context as { trace?: RequestTrace }).trace;
    if (!trace) return resolve(source, args, context, info);
    // The client may name no operation; the one that runs may still have a name.
    if (trace.operationName === null) trace.noteOperationName(info.operation.name?.value);
    const raised = (error: unknown): never => {
      trace.noteFieldResult(field, '', findDomainError(error)?.code ?? 'InternalError');
      throw error;
    };
    const resolved = (value: unknown): unknown => {
      noteValue(trace, field, type, value, context, info);
      return value;
    };
    let value: unknown;
    try {
      value = resolve(source, args, context, info);
    } catch (error) {
      return raised(error);
    }
    return value instanceof Promise ? value.then(resolved, raised) : resolved(value);
  };
}

function noteValue(trace: RequestTrace, field: string, type: GraphQLNamedType, value: unknown, context: unknown, info: GraphQLResolveInfo): void {
  if (value === null || value === undefined) {
    trace.noteFieldResult(field, '', '');
    return;
  }
  const typename = typenameOf(type, value, context, info);
  if (!isErrorType(info.schema, typename)) {
    trace.noteFieldResult(field, typename, '');
    return;
  }
  // An error member of the field's result union (Pothos hands it over wrapped in a
  // proxy, so it is recognised by its type, not by instanceof). A storage failure
  // behind it is still unexpected, and logged.
  const { code, cause } = value as { code: string; cause?: unknown };
  if (cause !== undefined) trace.noteUnexpected(cause);
  trace.noteFieldResult(field, typename, code);
}

const errorTypes = new WeakMap<GraphQLSchema, Map<string, boolean>>();

/** Whether the object type implements the `Error` interface (remembered per type name). */
function isErrorType(schema: GraphQLSchema, typename: string): boolean {
  let known = errorTypes.get(schema);
  if (!known) errorTypes.set(schema, (known = new Map()));
  let answer = known.get(typename);
  if (answer === undefined) {
    const type = schema.getType(typename);
    answer = isObjectType(type) && type.getInterfaces().some((i) => i.name === 'Error');
    known.set(typename, answer);
  }
  return answer;
}

/** The object type graphql-js will pick for the value: the field's own, or what its union or interface resolves. */
function typenameOf(type: GraphQLNamedType, value: unknown, context: unknown, info: GraphQLResolveInfo): string {
  if (!isAbstractType(type)) return type.name;
  const resolved = type.resolveType?.(value, context, info, type);
  return typeof resolved === 'string' && info.schema.getType(resolved) ? resolved : type.name;
}
