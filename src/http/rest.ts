/**
 * The REST routes of the original API (API.md §5), thin handlers over the same
 * services as GraphQL: parse the body, check the API token, call one service,
 * map the outcome. Errors are the catalog envelope with the error's HTTP status.
 */
import { z } from 'zod';
import { LOGIN_PATH } from '../domain/sign-in.ts';
import { Errors, invalidInput } from '../errors/domain-error.ts';
import { answerableError, errorReply, jsonError, jsonReply } from './error-responses.ts';
import { type Exchange, type Reply, reply } from './exchange.ts';
import type { RequestContext } from './request-context.ts';

export const API_PREFIX = '/-/api/';
export const CREATE_USER_PATH = '/-/api/user/create';
export const CREATE_SSO_TOKEN_PATH = '/-/api/ssotoken/create';

interface Route {
  method: 'GET' | 'POST';
  handle(request: Exchange, ctx: RequestContext): Promise<Reply>;
  /** Whether a failure may be answered with a page (the login URL is opened by browsers). */
  browserFacing?: boolean;
}

const routes = new Map<string, Route>([
  [CREATE_USER_PATH, { method: 'POST', handle: createUser }],
  [CREATE_SSO_TOKEN_PATH, { method: 'POST', handle: createSsoToken }],
  [LOGIN_PATH, { method: 'GET', handle: loginWithSsoToken, browserFacing: true }],
]);

/** The metrics label of a path under /-/api/: the route's own path, or one label for every path that is none. */
export function restRouteLabel(pathname: string): string {
  return routes.has(pathname) ? pathname : `${API_PREFIX}*`;
}

/** Answers every path under /-/api/; null for any other path. */
export async function handleApiRequest(
  request: Exchange,
  pathname: string,
  ctx: RequestContext,
): Promise<Reply | null> {
  if (!pathname.startsWith(API_PREFIX)) return null;
  const route = routes.get(pathname);
  // Not catalog errors: the catalog describes failures of an operation, and there is none here.
  if (!route) return jsonReply({ error: { status: 404, message: 'There is no API route at this path.' } }, 404);
  if (request.method !== route.method) {
    return jsonReply({ error: { status: 405, message: `This route only accepts ${route.method}.` } }, 405, {
      allow: route.method,
    });
  }
  try {
    return await route.handle(request, ctx);
  } catch (error) {
    return route.browserFacing ? errorReply(request, error, ctx.trace) : jsonError(answerableError(error, ctx.trace));
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
});

async function createUser(request: Exchange, ctx: RequestContext): Promise<Reply> {
  // Shape before authority, as in GraphQL, where arguments are coerced before any resolver runs.
  const input = await readJsonBody(request, CreateUserBody);
  const { group } = await ctx.requireApiToken();
  await ctx.rateLimit('write');
  const user = await ctx.services.users.create(group, input);
  return jsonReply({ data: { username: user.username } });
}

async function createSsoToken(request: Exchange, ctx: RequestContext): Promise<Reply> {
  const { username, redirectTo } = await readJsonBody(request, CreateSsoTokenBody);
  const { group } = await ctx.requireApiToken();
  await ctx.rateLimit('write');
  const { token, loginUrl, expiresAt } = await ctx.services.signIn.createSsoToken(group, username, redirectTo);
  return jsonReply({ data: { token, loginUrl, expiresAt: new Date(expiresAt).toISOString() } });
}

/** The login URL: signs the browser in on the token's group's domain and sends it on. */
async function loginWithSsoToken(request: Exchange, ctx: RequestContext): Promise<Reply> {
  const token = new URLSearchParams(request.target.slice(request.pathname.length)).get('token');
  if (!token) throw new Errors.MissingRequiredQueryParameter();
  await ctx.rateLimit('login');
  const signedIn = await ctx.services.signIn.login(token, ctx.domain.groupSlug, ctx.sessionSecret);
  ctx.setSessionCookie(signedIn.token);
  // redirectTo was checked to be a same-origin path when the token was minted.
  return reply(302, null, { location: signedIn.redirectTo, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
}

/**
 * The request's JSON object, checked against the schema; any problem (content
 * type, size, syntax, not an object, a field of the wrong type) is InvalidInput,
 * naming the field when there is one.
 */
export async function readJsonBody<T>(request: Exchange, schema: z.ZodType<T>): Promise<T> {
  const mediaType = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
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
  return parsed.data;
}
