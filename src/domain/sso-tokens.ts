/**
 * SSO tokens: short-lived HS256 JWTs naming a user and a group. Verification pins
 * the algorithm, allows 60 s of clock skew and sorts every failure into the two
 * documented codes; single use is enforced where the session is created.
 *
 * Besides the documented claims a token may carry `rt` (the same-origin path the
 * login URL redirects to), `rc: true` (the login URL asks the person to confirm
 * before it signs in, API.md §10) and `at` (the id of the API token that minted it:
 * the session it makes ends when that token is revoked, API.md §17), each left out
 * (undefined) when absent. All are signed, so editing a URL cannot change them.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
// jose's decoder by its own entry point: its index loads all of jose (63 modules, 40 ms of every start).
import { decodeProtectedHeader } from 'jose/decode/protected_header';
import { Errors } from '../errors/domain-error.ts';
import { newId } from '../ids.ts';
import type { ServiceDeps } from './deps.ts';

export const SSO_CLOCK_SKEW_SECONDS = 60;
/** Far longer than any token this server mints; longer input is junk, refused unparsed. */
export const SSO_TOKEN_MAX_LENGTH = 4096;

const MINTED_HEADER: Readonly<Record<string, unknown>> = Object.freeze({ alg: 'HS256', typ: 'JWT' });
const HS256_HEADER = Buffer.from(JSON.stringify(MINTED_HEADER)).toString('base64url');
const MINTED_HEADER_PREFIX = `${HS256_HEADER}.`;

export interface SsoClaims {
  username: string;
  group: string;
  jti: string;
  /** Expiry, epoch seconds. */
  exp: number;
  /** Where the login sends the browser: a same-origin path. */
  redirectTo: string | null;
  /** Whether opening the login URL only shows a confirmation page (the `rc` claim). */
  requireConfirmation: boolean;
  /** The API token that minted it (the `at` claim); null for one minted otherwise (the CLI). */
  apiTokenId: string | null;
}

type MintOptions = Pick<SsoClaims, 'redirectTo' | 'requireConfirmation' | 'apiTokenId'>;

/**
 * Why a token was refused, beyond its code (its `reason`): one code covers several
 * cases, and the sign-in pages explain these two to a person in their own words.
 */
export const SsoTokenRefusal = {
  /** SSOTokenFailedToParse for a well-signed token past its expiry (or its lifetime). */
  expired: 'the SSO token has expired',
  /** InvalidSSOTokenPayload for a token whose single use is spent. */
  used: 'the SSO token was already used',
} as const;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The claims of a compact JWT whose segments are base64url characters, read as jose's
 * `decodeJwt` reads them and refused where it throws: a payload of 4n+1 characters
 * (its `atob` refuses them), bytes that are not UTF-8, text that is not JSON, JSON
 * that is not an object. Without jose's general path (a split, `atob` and a loop over
 * its characters), which cost a sign-in more than the MAC.
 */
function claimsOf(token: string): Record<string, unknown> {
  const payload = token.slice(token.indexOf('.') + 1, token.lastIndexOf('.'));
  if (payload.length % 4 === 1) throw new TypeError('the payload is not base64url');
  const claims: unknown = JSON.parse(strictUtf8.decode(Buffer.from(payload, 'base64url')));
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new TypeError('the claims are not an object');
  return claims as Record<string, unknown>;
}

/** Three base64url segments, the last exactly the 43 characters of an HMAC-SHA256. */
const COMPACT_HS256 = /^[\w-]+\.[\w-]+\.([\w-]{43})$/;

export class SsoTokenService {
  constructor(private readonly deps: ServiceDeps) {}

  /** The signature of `header.payload`: HMAC-SHA256 with the SSO secret. */
  private mac(signingInput: string): Buffer {
    return createHmac('sha256', this.deps.ssoKey).update(signingInput).digest();
  }

  /** A signed token and its id (`jti`, which names it in events without being usable). */
  mint(username: string, groupSlug: string, options: MintOptions): { token: string; jti: string; expiresAt: number } {
    const iat = Math.floor(this.deps.now() / 1000);
    const exp = iat + this.deps.config.ssoTokenTtlSeconds;
    const jti = newId();
    const claims = {
      username,
      group: groupSlug,
      rt: options.redirectTo || undefined,
      rc: options.requireConfirmation || undefined,
      at: options.apiTokenId || undefined,
      jti,
      iat,
      exp,
    };
    const signingInput = `${HS256_HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return { token: `${signingInput}.${this.mac(signingInput).toString('base64url')}`, jti, expiresAt: exp * 1000 };
  }

  /**
   * The token's claims, or SSOTokenFailedToParse / InvalidSSOTokenPayload.
   *
   * Synchronous on purpose: jose's jwtVerify checks the MAC through a WebCrypto job
   * on the thread pool, and that extra turn of the event loop split concurrent logins
   * across group commits (one disk flush each). The rules are jose's jwtVerify with
   * `algorithms: ['HS256']`, `requiredClaims: ['exp', 'iat']`, `maxTokenAge` the TTL
   * and `clockTolerance` the skew, and the tests hold this to jose's verdict token for
   * token. It is stricter where jose is lenient with encodings: every segment must be
   * unpadded base64url, the signature canonically encoded; and a `crit` header (an
   * extension this server does not implement) is refused. The MAC is checked
   * in constant time, before any of the token is parsed.
   */
  verify(token: string): SsoClaims {
    const match = token.length <= SSO_TOKEN_MAX_LENGTH ? COMPACT_HS256.exec(token) : null;
    if (!match) throw new Errors.SSOTokenFailedToParse();
    const given = Buffer.from(match[1]!, 'base64url');
    const expected = this.mac(token.slice(0, token.lastIndexOf('.')));
    if (given.toString('base64url') !== match[1] || !timingSafeEqual(given, expected)) throw new Errors.SSOTokenFailedToParse();

    let header: Record<string, unknown>;
    let payload: Record<string, unknown>;
    try {
      // The header this server mints is known: parsed, it is always the same object.
      header = token.startsWith(MINTED_HEADER_PREFIX) ? MINTED_HEADER : decodeProtectedHeader(token);
      payload = claimsOf(token);
    } catch {
      throw new Errors.SSOTokenFailedToParse();
    }
    // Without `crit`, jose ignores `b64` (RFC 7797 applies only when listed there), and so does this.
    if (header.alg !== 'HS256' || header.crit !== undefined) throw new Errors.SSOTokenFailedToParse();
    const timing = this.timingAt(Math.floor(this.deps.now() / 1000), payload);
    if (timing === 'expired') throw new Errors.SSOTokenFailedToParse({ reason: SsoTokenRefusal.expired });
    if (timing !== 'timely') throw new Errors.SSOTokenFailedToParse();

    const { username, group, jti, exp, rt, rc, at } = payload;
    if (!nonEmptyString(username) || !nonEmptyString(group) || !nonEmptyString(jti) || (at !== undefined && !nonEmptyString(at))) {
      throw new Errors.InvalidSSOTokenPayload();
    }
    return {
      username,
      group,
      jti,
      exp: exp as number,
      redirectTo: nonEmptyString(rt) ? rt : null,
      requireConfirmation: rc === true,
      apiTokenId: nonEmptyString(at) ? at : null,
    };
  }

  /**
   * jose's time checks: `exp` and `iat` present and numbers, `nbf` (if any) a number;
   * not before `nbf`, not at or after `exp`, `iat` neither in the future nor older
   * than the TTL; each allowing the skew. Past `exp`, or older than the TTL, is
   * `expired`; any other failure is `invalid`.
   */
  private timingAt(now: number, { exp, iat, nbf }: Record<string, unknown>): 'timely' | 'expired' | 'invalid' {
    const skew = SSO_CLOCK_SKEW_SECONDS;
    if (typeof exp !== 'number' || typeof iat !== 'number' || (nbf !== undefined && typeof nbf !== 'number')) return 'invalid';
    if (typeof nbf === 'number' && nbf > now + skew) return 'invalid';
    const age = now - iat;
    if (age < -skew) return 'invalid';
    if (exp <= now - skew || age - skew > this.deps.config.ssoTokenTtlSeconds) return 'expired';
    return 'timely';
  }
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
