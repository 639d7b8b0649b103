/**
 * What one GraphQL request may ask: graphql-armor's depth, alias, token, cost and
 * directive limits, no field suggestions, a length limit on every string argument
 * and variable, and introspection only where enabled. Every refusal is a request-level
 * GraphQL error, which the transport plugin turns into InvalidInput (400).
 */
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError, NoSchemaIntrospectionCustomRule, type ValidationContext, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { RequestLimits } from '../config/config.ts';

export interface QueryLimitOptions {
  limits: RequestLimits;
  /** Whether refusals may say what the limit is (not in production: it tells an attacker how far to go). */
  exposeLimits: boolean;
  introspection: boolean;
}

const HIDDEN_LIMIT_MESSAGE = 'Query validation error.';

export function useQueryLimits({ limits, exposeLimits, introspection }: QueryLimitOptions): Plugin[] {
  // Report through the validation context, so a limit is one more validation error
  // (collected with the others) rather than an exception out of validate().
  const report = (context: ValidationContext | null, error: GraphQLError) => context?.reportError(error);
  const asValidationError = { exposeLimits, errorMessage: HIDDEN_LIMIT_MESSAGE, propagateOnRejection: false, onReject: [report] };
  const plugins: Plugin[] = [
    EnvelopArmorPlugin({
      blockFieldSuggestion: { enabled: true, mask: '' },
      // Parsing stops at the limit: the error is thrown by the parser, a syntax error.
      maxTokens: { n: limits.maxTokens, exposeLimits, errorMessage: HIDDEN_LIMIT_MESSAGE },
      maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, ...asValidationError },
      maxAliases: { n: limits.maxAliases, ...asValidationError },
      maxDirectives: { n: limits.maxDirectives, ...asValidationError },
      costLimit: { maxCost: limits.maxCost, ignoreIntrospection: true, ...asValidationError },
    }) as Plugin,
    useStringLengthLimit(limits.maxStringLength, exposeLimits),
  ];
  if (!introspection) plugins.push({ onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule) });
  return plugins;
}

const tooLong = (what: string, max: number, exposeLimit: boolean) =>
  `${what} is too long${exposeLimit ? ` (at most ${max} characters)` : ''}.`;

/** The refusal of a variable holding a string (or key) longer than `max`, or null. */
export function variableLengthRefusal(variables: unknown, max: number, exposeLimit: boolean): GraphQLError | null {
  const entries = variables && typeof variables === 'object' ? Object.entries(variables) : [];
  const found = entries.find(([name, value]) => name.length > max || holdsLongString(value, max));
  if (!found) return null;
  // The name is the client's own text: echoed only when it is a plausible GraphQL name.
  const name = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/.test(found[0]) ? `Variable "$${found[0]}"` : 'A variable';
  return new GraphQLError(tooLong(name, max, exposeLimit));
}

/**
 * Refuses any string longer than `max` characters, whether written in the document
 * or sent as a variable, before a resolver sees it. The domain has tighter limits
 * of its own (emails 254, names 100, usernames 25); this one holds for every field.
 */
function useStringLengthLimit(max: number, exposeLimit: boolean): Plugin {
  const literalRule: ValidationRule = (context) => ({
    StringValue(node) {
      if (node.value.length > max) context.reportError(new GraphQLError(tooLong('A string argument', max, exposeLimit), { nodes: node }));
    },
  });
  return {
    onParams({ params, setResult }) {
      const refusal = variableLengthRefusal(params.variables, max, exposeLimit);
      if (refusal) setResult({ errors: [refusal] });
    },
    onValidate({ addValidationRule }) {
      addValidationRule(literalRule);
    },
  };
}

/** Whether a JSON value holds a string (or object key) longer than `max`; iterative, so deep nesting cannot overflow the stack. */
export function holdsLongString(value: unknown, max: number): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current === 'string') {
      if (current.length > max) return true;
    } else if (Array.isArray(current)) {
      for (const item of current) stack.push(item);
    } else if (current !== null && typeof current === 'object') {
      // Its own keys, as Object.entries would give them, without an array for each pair.
      for (const key in current) {
        if (!Object.prototype.hasOwnProperty.call(current, key)) continue;
        if (key.length > max) return true;
        stack.push((current as Record<string, unknown>)[key]);
      }
    }
  }
  return false;
}
