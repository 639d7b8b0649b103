/**
 * Everything one request carries into a GraphQL field or REST handler: config,
 * services, the group its Host names, and lazily, memoised, its API token and
 * session. Built as a plain object so Yoga can merge it into its context.
 */
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import type { Config } from '../config/config.ts';
import type { AuthenticatedToken } from '../domain/api-tokens.ts';
import { apiTokenActor, type Caller, callerOf, type RequestFacts, userActor } from '../domain/events.ts';
import type { Services } from '../domain/services.ts';
import type { LiveSession } from '../domain/sessions.ts';
import { DomainError, Errors } from '../errors/domain-error.ts';
import type { RequestTrace } from '../observability/request-trace.ts';
import type { RateLimits } from '../rate-limits/rate-limits.ts';
import { type HeaderReader, UNKNOWN_ADDRESS } from './exchange.ts';
import { type RequestDomain, requestDomain } from './request-domain.ts';

const SESSION_COOKIE = 'session';

/** The attributes after a session cookie's value, by Max-Age and Secure: the same few for every response. */
const sessionCookieAttributes = new Map<string, string>();

/**
 * The `session` cookie's Set-Cookie value, as the cookie package writes it: its
 * attributes serialised once and kept, the value encoded as it encodes one.
 */
function sessionCookie(value: string, maxAge: number, secure: boolean): string {
  const key = `${maxAge} ${secure}`;
  let attributes = sessionCookieAttributes.get(key);
  if (attributes === undefined) {
    attributes = serializeCookie(SESSION_COOKIE, '', { httpOnly: true, sameSite: 'lax', path: '/', maxAge, secure }).slice(`${SESSION_COOKIE}=`.length);
    sessionCookieAttributes.set(key, attributes);
  }
  return `${SESSION_COOKIE}=${encodeURIComponent(value)}${attributes}`;
}

/** An authenticated API token, its group, and the caller it makes of the request. */
export interface ApiTokenCaller extends AuthenticatedToken {
  caller: Caller;
}

/** A live session of a group admin, and the caller it makes of the request. */
export interface GroupAdmin extends LiveSession {
  caller: Caller;
}

export interface RequestContext {
  config: Config;
  services: Services;
  domain: RequestDomain;
  /** Where the layers note what the request's log line and metrics report (see request-trace.ts). */
  trace: RequestTrace;
  /** Address, user agent and request id: what events record of the request that caused them. */
  facts: RequestFacts;
  /**
   * Counts one rate-limited action by this caller and throws TooManyRequests (with
   * Retry-After) over the limit: `login` per client address, `write` per API token
   * (authenticating the token first, with its documented refusals).
   */
  rateLimit(action: 'login' | 'write', weight?: number): Promise<void>;
  /** The API token of `Authorization: Bearer`, checked against the request domain; throws the documented refusal. */
  requireApiToken(): Promise<ApiTokenCaller>;
  /** Whether the request carries an Authorization header at all. */
  hasAuthorization(): boolean;
  /** The value of the `session` cookie, if any. */
  sessionSecret: string | null;
  /** The live session of the cookie on this domain, or null. */
  session(): Promise<LiveSession | null>;
  /**
   * The cookie's live session on this domain when its member's role in the group is
   * `admin` now (read per request: a role can change after sign-in), else null.
   */
  groupAdmin(): Promise<GroupAdmin | null>;
  /** Sets the `session` cookie of a session that has just been created. */
  setSessionCookie(secret: string): void;
  clearSessionCookie(): void;
  /** Set-Cookie values the response must carry. */
  responseCookies: string[];
  /** Other headers the response must carry (e.g. `idempotent-replayed`). */
  responseHeaders: Record<string, string>;
  /** The `Idempotency-Key` header, unchecked; null without one. */
  idempotencyKey: string | null;
}

export function createRequestContext(
  headers: HeaderReader,
  config: Config,
  services: Services,
  clientAddress: string,
  rateLimits: RateLimits,
  trace: RequestTrace,
): RequestContext {
  const domain = requestDomain(headers.get('host'), config.baseDomain);
  const authorization = headers.get('authorization');
  const cookieHeader = headers.get('cookie');
  const sessionSecret = cookieHeader ? (parseCookies(cookieHeader)[SESSION_COOKIE] ?? null) : null;
  let apiToken: Promise<ApiTokenCaller> | null = null;
  let session: Promise<LiveSession | null> | null = null;
  let groupAdmin: Promise<GroupAdmin | null> | null = null;
  const userAgent = headers.get('user-agent');
  const ip = clientAddress === UNKNOWN_ADDRESS ? null : clientAddress;
  const facts: RequestFacts = { ip, userAgent, requestId: trace.requestId };
  const pushSessionCookie = (value: string, maxAge: number) => {
    context.responseCookies.push(sessionCookie(value, maxAge, config.publicUrl.protocol === 'https:'));
  };

  const context: RequestContext = {
    config,
    services,
    domain,
    trace,
    facts,
    sessionSecret,
    responseCookies: [],
    responseHeaders: {},
    idempotencyKey: headers.get('idempotency-key'),
    hasAuthorization: () => authorization !== null,
    requireApiToken() {
      apiToken ??= authenticate(authorization, domain, services, rateLimits, clientAddress).then(({ token, group }) => ({
        token,
        group,
        caller: callerOf(apiTokenActor(token), facts),
      }));
      return apiToken;
    },
    async rateLimit(action, weight = 1) {
      if (action === 'login') return rateLimits.consume('login', clientAddress, weight);
      // Writes count per caller: the API token, else the admin's session, else the address.
      if (authorization !== null) return rateLimits.consume('write', (await context.requireApiToken()).token.id, weight);
      const live = await context.session();
      return rateLimits.consume('write', live ? `session:${live.session.id}` : clientAddress, weight);
    },
    session() {
      session ??= services.sessions.find(sessionSecret, domain.groupSlug);
      return session;
    },
    groupAdmin() {
      groupAdmin ??= context.session().then(async (live) => {
        if (!live || (await services.members.roleOf(live.group, live.user)) !== 'admin') return null;
        return { ...live, caller: { ...callerOf(userActor(live.user), facts), signedInWithApiTokenId: live.session.apiTokenId } };
      });
      return groupAdmin;
    },
    setSessionCookie: (secret) => pushSessionCookie(secret, config.sessionTtlSeconds),
    clearSessionCookie: () => pushSessionCookie('', 0),
  };
  return context;
}

async function authenticate(
  authorization: string | null,
  domain: RequestDomain,
  services: Services,
  rateLimits: RateLimits,
  clientAddress: string,
): Promise<AuthenticatedToken> {
  const match = authorization === null ? null : /^\s*bearer(?:\s+(.*))?$/i.exec(authorization);
  if (!match) throw new Errors.UnauthorizedRequest();
  let found: AuthenticatedToken;
  try {
    found = await services.apiTokens.authenticate((match[1] ?? '').trim());
  } catch (error) {
    // Only a token that fails counts, and only its request is refused past the limit:
    // strangers sharing an address (a NAT) cannot lock a valid token out.
    if (error instanceof DomainError && error.code === 'InvalidApiToken') await rateLimits.consume('failedApiToken', clientAddress);
    throw error;
  }
  if (domain.malformed || (domain.groupSlug !== null && domain.groupSlug !== found.group.slug)) {
    throw new Errors.InvalidRequestDomain();
  }
  services.apiTokens.assertApiEnabled(found.group);
  return found;
}
