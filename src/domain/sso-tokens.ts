/**
 * SSO tokens: short-lived HS256 JWTs naming a user and a group. Verification pins
 * the algorithm, allows 60 s of clock skew and sorts every failure into the two
 * documented codes; single use is enforced where the session is created.
 */
import { createHmac } from 'node:crypto';
import { errors as joseErrors, jwtVerify } from 'jose';
import { Errors } from '../errors/domain-error.ts';
import type { ServiceDeps } from './deps.ts';
import { newId } from './secrets.ts';

export const SSO_CLOCK_SKEW_SECONDS = 60;
/** Far longer than any token this server mints; longer input is junk, refused unparsed. */
export const SSO_TOKEN_MAX_LENGTH = 4096;

const HS256_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

export interface SsoClaims {
  username: string;
  group: string;
  jti: string;
  /** Expiry, epoch seconds. */
  exp: number;
  /** Where the login sends the browser: a same-origin path. */
  redirectTo: string | null;
}

export class SsoTokenService {
  /** Imported once: given raw bytes, jose would import the key again on every verification. */
  private readonly verificationKey: Promise<CryptoKey>;

  constructor(private readonly deps: ServiceDeps) {
    this.verificationKey = crypto.subtle.importKey('raw', new Uint8Array(deps.ssoKey), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'verify',
    ]);
  }

  /**
   * Signs with node:crypto's synchronous HMAC rather than jose's WebCrypto job,
   * which cost more than the rest of createSSOToken together. Only minting is ours:
   * every token is read back through jose (verify, below), and the tests check that
   * what is minted here is exactly what jose accepts.
   */
  async mint(username: string, groupSlug: string, redirectTo: string | null): Promise<{ token: string; expiresAt: number }> {
    const iat = Math.floor(this.deps.now() / 1000);
    const exp = iat + this.deps.config.ssoTokenTtlSeconds;
    const claims = { username, group: groupSlug, ...(redirectTo ? { rt: redirectTo } : {}), jti: newId(), iat, exp };
    const signingInput = `${HS256_HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const signature = createHmac('sha256', this.deps.ssoKey).update(signingInput).digest('base64url');
    return { token: `${signingInput}.${signature}`, expiresAt: exp * 1000 };
  }

  /** The token's claims, or SSOTokenFailedToParse / InvalidSSOTokenPayload. */
  async verify(token: string): Promise<SsoClaims> {
    if (token.length === 0 || token.length > SSO_TOKEN_MAX_LENGTH) throw new Errors.SSOTokenFailedToParse();
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, await this.verificationKey, {
        algorithms: ['HS256'],
        clockTolerance: SSO_CLOCK_SKEW_SECONDS,
        currentDate: new Date(this.deps.now()),
        requiredClaims: ['exp', 'iat'],
        // Refuses an `iat` in the future (beyond the skew) as well as one too old.
        maxTokenAge: this.deps.config.ssoTokenTtlSeconds,
      }));
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) throw new Errors.SSOTokenFailedToParse();
      throw error;
    }
    const { username, group, jti, exp, rt } = payload;
    if (!nonEmptyString(username) || !nonEmptyString(group) || !nonEmptyString(jti) || typeof exp !== 'number') {
      throw new Errors.InvalidSSOTokenPayload();
    }
    return { username, group, jti, exp, redirectTo: nonEmptyString(rt) ? rt : null };
  }
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
