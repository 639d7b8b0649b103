/**
 * The REST routes of the original API (API.md §5), thin handlers over the same
 * services as GraphQL: parse the body, check the API token, call one service,
 * map the outcome. Errors are the catalog envelope with the error's HTTP status.
 */
import { z } from 'zod';
import { LOGIN_PATH } from '../domain/sign-in.ts';
import { Errors, invalidInput } from '../errors/domain-error.ts';
import { answerableError, type ErrorLogger, errorResponse, jsonError, jsonResponse } from './error-responses.ts';
import type { RequestContext } from './request-context.ts';

export const API_PREFIX = '/-/api/';
export const CREATE_USER_PATH = '/-/api/user/create';
export const CREATE_SSO_TOKEN_PATH = '/-/api/ssotoken/create';

/** Far above any real request body here; larger ones are refused without being read in full. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

interface Route {
  method: 'GET' | 'POST';
  handle(request: Request, ctx: RequestContext): Promise<Response>;
  /** Whether a failure may be answered with a page (the login URL is opened by browsers). */
  browserFacing?: boolean;
}

const routes = new Map<string, Route>([
  [CREATE_USER_PATH, { method: 'POST', handle: createUser }],
  [CREATE_SSO_TOKEN_PATH, { method: 'POST', handle: createSsoToken }],
  [LOGIN_PATH, { method: 'GET', handle: loginWithSsoToken, browserFacing: true }],
]);

/** Answers every path under /-/api/; null for any other path. */
export async function handleApiRequest(
  request: Request,
  pathname: string,
  ctx: RequestContext,
  logger: ErrorLogger,
): Promise<Response | null> {
  if (!pathname.startsWith(API_PREFIX)) return null;
  const route = routes.get(pathname);
  // Not catalog errors: the catalog describes failures of an operation, and there is none here.
  if (!route) return jsonResponse({ error: { status: 404, message: 'There is no API route at this path.' } }, 404);
  if (request.method !== route.method) {
    return jsonResponse({ error: { status: 405, message: `This route only accepts ${route.method}.` } }, 405, {
      allow: route.method,
    });
  }
  try {
    return await route.handle(request, ctx);
  } catch (error) {
    return route.browserFacing ? errorResponse(request, error, logger) : jsonError(answerableError(error, logger));
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

async function createUser(request: Request, ctx: RequestContext): Promise<Response> {
  // Shape before authority, as in GraphQL, where arguments are coerced before any resolver runs.
  const input = await readJsonBody(request, CreateUserBody);
  const { group } = await ctx.requireApiToken();
  await ctx.rateLimit('write');
  const user = await ctx.services.users.create(group, input);
  return jsonResponse({ data: { username: user.username } });
}

async function createSsoToken(request: Request, ctx: RequestContext): Promise<Response> {
  const { username, redirectTo } = await readJsonBody(request, CreateSsoTokenBody);
  const { group } = await ctx.requireApiToken();
  await ctx.rateLimit('write');
  const { token, loginUrl, expiresAt } = await ctx.services.signIn.createSsoToken(group, username, redirectTo);
  return jsonResponse({ data: { token, loginUrl, expiresAt: new Date(expiresAt).toISOString() } });
}

/** The login URL: signs the browser in on the token's group's domain and sends it on. */
async function loginWithSsoToken(request: Request, ctx: RequestContext): Promise<Response> {
  const token = new URL(request.url).searchParams.get('token');
  if (!token) throw new Errors.MissingRequiredQueryParameter();
  await ctx.rateLimit('login');
  const signedIn = await ctx.services.signIn.login(token, ctx.domain.groupSlug, ctx.sessionSecret);
  ctx.setSessionCookie(signedIn.token);
  return new Response(null, {
    status: 302,
    // redirectTo was checked to be a same-origin path when the token was minted.
    headers: { location: signedIn.redirectTo, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
  });
}

/**
 * The request's JSON object, checked against the schema; any problem (content
 * type, size, syntax, not an object, a field of the wrong type) is InvalidInput,
 * naming the field when there is one.
 */
export async function readJsonBody<T>(request: Request, schema: z.ZodType<T>): Promise<T> {
  const mediaType = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json') throw new Errors.InvalidInput({ reason: 'the body must be application/json' });
  const text = await readText(request, MAX_JSON_BODY_BYTES);
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

async function readText(request: Request, maxBytes: number): Promise<string> {
  const tooLarge = () => new Errors.InvalidInput({ reason: `the body must be at most ${maxBytes} bytes` });
  if (Number(request.headers.get('content-length') ?? 0) > maxBytes) throw tooLarge();
  if (!request.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new Errors.InvalidInput({ reason: 'the body is not UTF-8' });
  }
}
