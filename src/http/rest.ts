/**
 * The REST routes of the original API (API.md §5), thin handlers over the same
 * services as GraphQL: parse the body, check the API token, call one service,
 * map the outcome. Errors are the catalog envelope with the error's HTTP status.
 */
import { z } from 'zod';
import { LOGIN_PATH } from '../domain/sign-in.ts';
import { Errors, invalidInput } from '../errors/domain-error.ts';
import { answerableError, type ExplainFailure, errorReply, jsonError, jsonReply } from './error-responses.ts';
import type { Exchange, Reply } from '../requests/exchange.ts';
import { mediaTypeOf } from '../requests/media-type.ts';
import { confirmSignIn, explainSignInFailure, openLoginUrl } from './login-url.ts';
import type { RequestContext } from '../requests/request-context.ts';
import { createSsoTokenPolicy, createUserPolicy } from '../requests/write-policies.ts';
import { runWrite, writeValue } from '../requests/write-runner.ts';

export const API_PREFIX = '/-/api/';
const CREATE_USER_PATH = '/-/api/user/create';
const CREATE_SSO_TOKEN_PATH = '/-/api/ssotoken/create';

type Handler = (request: Exchange, ctx: RequestContext) => Promise<Reply>;

interface Route {
  /** The handler of each method the route takes; any other method is 405 with Allow. */
  methods: Partial<Record<'GET' | 'HEAD' | 'POST', Handler>>;
  /** How a failure is explained on a page; routes without it answer JSON only (the login URL is opened by browsers). */
  explainFailure?: ExplainFailure;
}

const routes = new Map<string, Route>([
  [CREATE_USER_PATH, { methods: { POST: createUser } }],
  [CREATE_SSO_TOKEN_PATH, { methods: { POST: createSsoToken } }],
  [LOGIN_PATH, { methods: { GET: openLoginUrl, HEAD: openLoginUrl, POST: confirmSignIn }, explainFailure: explainSignInFailure }],
]);

/** The metrics label of a path under /-/api/: the route's own path, or one label for every path that is none. */
export function restRouteLabel(pathname: string): string {
  return routes.has(pathname) ? pathname : `${API_PREFIX}*`;
}

/** Answers every path under /-/api/. */
export async function handleApiRequest(request: Exchange, ctx: RequestContext): Promise<Reply> {
  const route = routes.get(request.pathname);
  // Not catalog errors: the catalog describes failures of an operation, and there is none here.
  if (!route) return jsonReply({ error: { status: 404, message: 'There is no API route at this path.' } }, 404);
  // Own keys only: a method called `constructor` is no handler.
  const handle = Object.hasOwn(route.methods, request.method) ? route.methods[request.method as keyof Route['methods']] : undefined;
  if (!handle) {
    const allow = Object.keys(route.methods).join(', ');
    return jsonReply({ error: { status: 405, message: `This route only accepts ${allow}.` } }, 405, { allow });
  }
  try {
    return await handle(request, ctx);
  } catch (error) {
    return route.explainFailure
      ? errorReply(request, error, ctx.trace, route.explainFailure)
      : jsonError(answerableError(error, ctx.trace));
  }
}

// Optional fields take a string, null or nothing, as a nullable GraphQL argument does;
// a required one must be a string. Unknown fields are ignored.
const requiredString = z.string({ error: 'must be a string' });
const optionalString = z.string({ error: 'must be a string or null' }).nullish();

const CreateUserBody = z.object({
  email: requiredString,
  username: optionalString,
  suggestedUsername: optionalString,
  firstName: optionalString,
  lastName: optionalString,
});

const CreateSsoTokenBody = z.object({
  username: requiredString,
  redirectTo: optionalString,
  requireConfirmation: z.boolean({ error: 'must be a boolean or null' }).nullish(),
});

async function createUser(request: Exchange, ctx: RequestContext): Promise<Reply> {
  // Shape before authority, as in GraphQL, where arguments are coerced before any resolver runs.
  const { body, input } = await readJsonRequest(request, CreateUserBody);
  const user = await writeValue(
    runWrite(createUserPolicy, ctx, writeRequest(CREATE_USER_PATH, body), ({ group, caller, keyed }) =>
      ctx.services.users.create(group, input, caller, keyed),
    ),
  );
  return jsonReply({ data: { username: user.username } });
}

async function createSsoToken(request: Exchange, ctx: RequestContext): Promise<Reply> {
  const { body, input } = await readJsonRequest(request, CreateSsoTokenBody);
  const minted = await writeValue(
    runWrite(createSsoTokenPolicy, ctx, writeRequest(CREATE_SSO_TOKEN_PATH, body), ({ group, caller, keyed }) =>
      ctx.services.signIn.createSsoToken(group, input.username, input, caller, keyed),
    ),
  );
  const { token, loginUrl, expiresAt, requireConfirmation } = minted;
  return jsonReply({ data: { token, loginUrl, expiresAt: new Date(expiresAt).toISOString(), requireConfirmation } });
}

/** A REST write: a key's fingerprint is the route and the body as parsed. */
function writeRequest(route: string, body: unknown) {
  return { route: `POST ${route}`, body, field: route };
}

/**
 * The request's JSON object, checked against the schema, and the body as parsed
 * (before the schema dropped anything: a key's fingerprint). Any problem (content
 * type, size, syntax, not an object, a field of the wrong type) is InvalidInput,
 * naming the field when there is one.
 */
async function readJsonRequest<T>(request: Exchange, schema: z.ZodType<T>): Promise<{ body: unknown; input: T }> {
  const mediaType = mediaTypeOf(request.headers);
  if (mediaType !== 'application/json') throw new Errors.InvalidInput({ reason: 'the body must be application/json' });
  const text = await request.text();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Errors.InvalidInput({ reason: 'the body is not valid JSON' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Errors.InvalidInput({ reason: 'the body must be a JSON object' });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalidInput(String(issue.path[0] ?? 'body'), issue.message);
  }
  return { body: value, input: parsed.data };
}
