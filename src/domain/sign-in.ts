/**
 * Sign-in: a group's backend mints an SSO token for a member; the member's browser
 * exchanges it, on the group's own domain, for a session. Using up the token and
 * creating the session are one write.
 */
import type { GroupRecord, MemberRecord, SessionRecord, UserRecord } from '../db/store.ts';
import { StorageWriteError } from '../db/store.ts';
import { Errors, invalidInput } from '../errors/domain-error.ts';
import type { ServiceDeps } from './deps.ts';
import type { MemberService } from './members.ts';
import { digest, newId, newSecret } from './secrets.ts';
import { type SsoClaims, SsoTokenRefusal, type SsoTokenService } from './sso-tokens.ts';

export const LOGIN_PATH = '/-/api/ssotoken/login';
export const REDIRECT_MAX = 2048;

export interface SignedIn {
  session: SessionRecord;
  /** The session secret: returned once, stored only as a digest. */
  token: string;
  user: UserRecord;
  group: GroupRecord;
  redirectTo: string;
}

export interface MintedSsoToken {
  token: string;
  loginUrl: string;
  expiresAt: number;
  /** Whether opening loginUrl asks the person to confirm first (the argument, else the group's setting). */
  requireConfirmation: boolean;
}

/** A token that would sign in now, and whom it would sign in where: what a confirmation page shows. */
export interface SignInCheck {
  user: UserRecord;
  group: GroupRecord;
  redirectTo: string;
  requireConfirmation: boolean;
}

/** What opening the login URL did: signed in, or (for a token minted with confirmation) only checked it. */
export type LoginUrlOutcome = { signedIn: SignedIn; confirm?: undefined } | { confirm: SignInCheck; signedIn?: undefined };

/** A same-origin path: starts with one "/", no scheme, no host, nothing a browser would read as one. */
export function parseRedirectTo(raw: string | null | undefined): string | null {
  if (raw == null || raw === '') return null;
  const ok =
    raw.length <= REDIRECT_MAX &&
    raw.startsWith('/') &&
    !raw.startsWith('//') &&
    !raw.includes('\\') &&
    // Printable ASCII only: no control characters, no spaces a browser would strip.
    /^[\x21-\x7e]*$/.test(raw);
  if (!ok) throw invalidInput('redirectTo', 'must be a path on the same site, like /welcome');
  return raw;
}

export class SignInService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly members: MemberService,
    private readonly ssoTokens: SsoTokenService,
  ) {}

  /**
   * Mints a token for a member. `requireConfirmation` left out (or null) takes the
   * group's `requireSignInConfirmation`; either way the choice is a signed claim.
   */
  async createSsoToken(
    group: GroupRecord,
    username: string,
    redirectToInput?: string | null,
    requireConfirmationInput?: boolean | null,
  ): Promise<MintedSsoToken> {
    const redirectTo = parseRedirectTo(redirectToInput);
    const member = await this.members.get(group, username);
    const requireConfirmation = requireConfirmationInput ?? group.requireSignInConfirmation;
    const { token, expiresAt } = this.ssoTokens.mint(member.user.username, group.slug, { redirectTo, requireConfirmation });
    return { token, expiresAt, requireConfirmation, loginUrl: this.loginUrl(group.slug, token) };
  }

  /** `{protocol}://{group}.{BASE_DOMAIN}{:port}`: the origin of the group's own domain, from PUBLIC_URL. */
  groupOrigin(slug: string): string {
    const { publicUrl, baseDomain } = this.deps.config;
    const port = publicUrl.port ? `:${publicUrl.port}` : '';
    return `${publicUrl.protocol}//${slug}.${baseDomain}${port}`;
  }

  /** `{protocol}://{group}.{BASE_DOMAIN}{:port}/-/api/ssotoken/login?token=…` (API.md §5). */
  loginUrl(slug: string, token: string): string {
    return `${this.groupOrigin(slug)}${LOGIN_PATH}?token=${encodeURIComponent(token)}`;
  }

  /**
   * Opening the login URL (a GET). A token minted without confirmation signs in at
   * once, as the original API does. One minted with confirmation is only checked:
   * link scanners fetch every link in an email or chat message, some in a headless
   * browser, so only the person's own click on the confirmation page (`login`) may
   * use it up.
   */
  async openLoginUrl(token: string, requestGroupSlug: string | null, previousSessionSecret?: string | null): Promise<LoginUrlOutcome> {
    const claims = this.ssoTokens.verify(token);
    if (claims.requireConfirmation) return { confirm: await this.checkClaims(claims, requestGroupSlug) };
    return { signedIn: await this.loginWithClaims(claims, requestGroupSlug, previousSessionSecret) };
  }

  /**
   * Everything a login checks, in the same order and with the same answers, using
   * nothing up: whether the token would sign in on this domain now, and whom.
   */
  async check(token: string, requestGroupSlug: string | null): Promise<SignInCheck> {
    return this.checkClaims(this.ssoTokens.verify(token), requestGroupSlug);
  }

  /**
   * Exchanges an SSO token for a session, on the token's group's domain. A login
   * refused for any reason but reuse leaves the token usable.
   *
   * `previousSessionSecret` is the session cookie the browser already had: a login
   * never keeps it (the new session has a new random secret, so a planted cookie
   * cannot fixate one), and if it named a session of this group, that session ends.
   */
  async login(token: string, requestGroupSlug: string | null, previousSessionSecret?: string | null): Promise<SignedIn> {
    return this.loginWithClaims(this.ssoTokens.verify(token), requestGroupSlug, previousSessionSecret);
  }

  /** The token's group and member, checked against the request's domain. */
  private async admit(claims: SsoClaims, requestGroupSlug: string | null): Promise<{ group: GroupRecord; member: MemberRecord }> {
    if (claims.group !== requestGroupSlug) throw new Errors.InvalidRequestDomain();
    const group = await this.deps.store.findGroupBySlug(claims.group);
    if (!group) throw new Errors.GroupNotFound();
    return { group, member: await this.members.get(group, claims.username) };
  }

  private async checkClaims(claims: SsoClaims, requestGroupSlug: string | null): Promise<SignInCheck> {
    const { group, member } = await this.admit(claims, requestGroupSlug);
    // Last, as in a login, where the use is recorded with the session.
    if (await this.deps.store.findSsoTokenUse(claims.jti)) throw new Errors.InvalidSSOTokenPayload({ reason: SsoTokenRefusal.used });
    return {
      user: member.user,
      group,
      redirectTo: claims.redirectTo ?? '/',
      requireConfirmation: claims.requireConfirmation,
    };
  }

  private async loginWithClaims(
    claims: SsoClaims,
    requestGroupSlug: string | null,
    previousSessionSecret?: string | null,
  ): Promise<SignedIn> {
    const { group, member } = await this.admit(claims, requestGroupSlug);

    const now = this.deps.now();
    const secret = newSecret();
    const session: SessionRecord = {
      id: newId(),
      userId: member.user.id,
      groupId: group.id,
      createdAt: now,
      expiresAt: now + this.deps.config.sessionTtlSeconds * 1000,
    };
    let outcome;
    try {
      outcome = await this.deps.store.createSessionUsingSsoToken(
        // Kept past expiry by the skew allowance, so a replay can never outlive the record.
        { jti: claims.jti, expiresAt: (claims.exp + 120) * 1000 },
        { ...session, tokenHash: digest(secret) },
      );
    } catch (error) {
      if (error instanceof StorageWriteError) throw new Errors.failedToCreateSession({ cause: error.cause });
      throw error;
    }
    if (!outcome.ok) throw new Errors.InvalidSSOTokenPayload({ reason: SsoTokenRefusal.used });
    if (previousSessionSecret) await this.endPreviousSession(previousSessionSecret, group);
    return { session, token: secret, user: member.user, group, redirectTo: claims.redirectTo ?? '/' };
  }

  private async endPreviousSession(secret: string, group: GroupRecord): Promise<void> {
    const tokenHash = digest(secret);
    try {
      const previous = await this.deps.store.findLiveSession(tokenHash, this.deps.now());
      if (previous && previous.group.id === group.id) await this.deps.store.deleteSessionByHash(tokenHash);
    } catch (error) {
      // The new session is made and its cookie replaces the old one in this browser;
      // an old session that could not be ended now still expires and is purged.
      if (!(error instanceof StorageWriteError)) throw error;
    }
  }
}
