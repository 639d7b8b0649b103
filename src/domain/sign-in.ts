/**
 * Sign-in: a group's backend mints an SSO token for a member; the member's browser
 * exchanges it, on the group's own domain, for a session. Using up the token and
 * creating the session are one write.
 */
import type { ApiTokenRecord, GroupRecord, MemberRecord, NewEvent, SessionRecord, UserRecord } from '../db/store.ts';
import { StorageWriteError } from '../db/store.ts';
import type { ErrorCode } from '../errors/catalog.ts';
import { Errors, invalidInput } from '../errors/domain-error.ts';
import { iso } from '../time.ts';
import { newId } from '../ids.ts';
import type { ServiceDeps } from './deps.ts';
import { apiTokenActor, type Caller, callerOf, newEvent, type RequestFacts, sessionEnded, targets, userActor } from './events.ts';
import { type Keyed, plainOutcome, remembering } from './idempotency.ts';
import type { MemberService } from './members.ts';
import { digest, newSecret } from './secrets.ts';
import type { LiveSession } from './sessions.ts';
import { type SsoClaims, SsoTokenRefusal, type SsoTokenService } from './sso-tokens.ts';

export const LOGIN_PATH = '/-/api/ssotoken/login';
export const REDIRECT_MAX = 2048;

/** What createSSOToken may answer instead of a token: the members of CreateSSOTokenResult. */
export const CREATE_SSO_TOKEN_REFUSALS = ['InvalidInput', 'InvalidUsername', 'NotGroupMember', 'SignInNotAllowed', 'MemberSuspended'] as const satisfies readonly ErrorCode[];

export interface SignedIn extends LiveSession {
  /** The session secret: returned once, stored only as a digest. */
  token: string;
  redirectTo: string;
}

export interface MintedSsoToken {
  token: string;
  loginUrl: string;
  expiresAt: number;
  /** Whether opening loginUrl asks the person to confirm first (the argument, else the group's setting). */
  requireConfirmation: boolean;
}

/** A minted token as a keyed createSSOToken remembers it: the same token on a retry. */
export const createSsoTokenOutcome = plainOutcome<MintedSsoToken>(CREATE_SSO_TOKEN_REFUSALS);

/** A token that would sign in now, and whom it would sign in where: what a confirmation page shows. */
export interface SignInCheck {
  user: UserRecord;
  group: GroupRecord;
  redirectTo: string;
  requireConfirmation: boolean;
}

/** What opening the login URL did: signed in, or (for a token minted with confirmation) only checked it. */
export type LoginUrlOutcome = { signedIn: SignedIn; confirm?: undefined } | { confirm: SignInCheck; signedIn?: undefined };

/** Why a login through an API token's link is refused once that token is revoked (InvalidSSOTokenPayload). */
export const REVOKED_MINTER = 'the API token that made this sign-in link was revoked';

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
   * Minting writes nothing but its event: who had a sign-in link made for whom
   * (and, when keyed, the token, so a retry gets the same one).
   *
   * A link an API token mints names that token (a signed claim): the session it
   * makes ends when the token is revoked. Where the group's
   * `adminSignInWithApiToken` is off, an API token may not mint one for an admin
   * (SignInNotAllowed); the CLI's login-link (no API token) still may.
   */
  async createSsoToken(
    group: GroupRecord,
    username: string,
    options: { redirectTo?: string | null; requireConfirmation?: boolean | null },
    caller: Caller,
    keyed?: Keyed<MintedSsoToken>,
  ): Promise<MintedSsoToken> {
    const redirectTo = parseRedirectTo(options.redirectTo);
    const { user, role, suspendedAt } = await this.members.get(group, username);
    if (suspendedAt !== null) throw new Errors.MemberSuspended();
    const apiTokenId = caller.actor.type === 'api_token' ? caller.actor.id : null;
    if (apiTokenId !== null && role === 'admin' && !group.adminSignInWithApiToken) throw new Errors.SignInNotAllowed();
    const requireConfirmation = options.requireConfirmation ?? group.requireSignInConfirmation;
    const { token, jti, expiresAt } = this.ssoTokens.mint(user.username, group.slug, { redirectTo, requireConfirmation, apiTokenId });
    const minted = { token, expiresAt, requireConfirmation, loginUrl: this.loginUrl(group.slug, token) };
    const data = { username: user.username, tokenId: jti, expiresAt: iso(expiresAt), redirectTo, requireConfirmation };
    await this.deps.store
      .keyed(remembering(keyed, () => minted))
      .recordEvents([newEvent('sso_token.created', group, caller, targets.user(user), data, this.deps.now())]);
    return minted;
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
  async openLoginUrl(
    token: string,
    requestGroupSlug: string | null,
    previousSessionSecret: string | null,
    facts: RequestFacts,
  ): Promise<LoginUrlOutcome> {
    const claims = this.ssoTokens.verify(token);
    if (claims.requireConfirmation) return { confirm: await this.checkClaims(claims, requestGroupSlug) };
    return { signedIn: await this.loginWithClaims(claims, requestGroupSlug, previousSessionSecret, facts) };
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
   * cannot fixate one), and if it named a session of this group, that session ends
   * in the same write.
   */
  async login(
    token: string,
    requestGroupSlug: string | null,
    previousSessionSecret: string | null,
    facts: RequestFacts,
  ): Promise<SignedIn> {
    return this.loginWithClaims(this.ssoTokens.verify(token), requestGroupSlug, previousSessionSecret, facts);
  }

  /**
   * The token's group and member, checked against the request's domain, and the
   * API token that minted it (if one did), which must be the group's and not revoked.
   */
  private async admit(
    claims: SsoClaims,
    requestGroupSlug: string | null,
  ): Promise<{ group: GroupRecord; member: MemberRecord; minter: ApiTokenRecord | null }> {
    if (claims.group !== requestGroupSlug) throw new Errors.InvalidRequestDomain();
    const group = await this.deps.store.findGroupBySlug(claims.group);
    if (!group) throw new Errors.GroupNotFound();
    const member = await this.members.get(group, claims.username);
    // A link minted before the suspension opens nothing after it (API.md §18).
    if (member.suspendedAt !== null) throw new Errors.MemberSuspended();
    if (claims.apiTokenId === null) return { group, member, minter: null };
    const minter = await this.deps.store.findApiToken(claims.apiTokenId);
    if (!minter || minter.groupId !== group.id || minter.revokedAt !== null) {
      throw new Errors.InvalidSSOTokenPayload({ reason: REVOKED_MINTER });
    }
    return { group, member, minter };
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
    previousSessionSecret: string | null,
    facts: RequestFacts,
  ): Promise<SignedIn> {
    const { group, member, minter } = await this.admit(claims, requestGroupSlug);
    const { user } = member;

    const now = this.deps.now();
    const secret = newSecret();
    const session: SessionRecord = {
      id: newId(),
      userId: user.id,
      groupId: group.id,
      createdAt: now,
      expiresAt: now + this.deps.config.sessionTtlSeconds * 1000,
      apiTokenId: minter?.id ?? null,
    };
    // The API token that minted the link made this session happen: the actor (API.md §17).
    const created = newEvent(
      'session.created',
      group,
      callerOf(minter ? apiTokenActor(minter) : userActor(user), facts),
      targets.user(user),
      { username: user.username, sessionId: session.id, tokenId: claims.jti, expiresAt: iso(session.expiresAt) },
      now,
    );
    let outcome;
    try {
      outcome = await this.deps.store.createSessionUsingSsoToken(
        // Kept past expiry by the skew allowance, so a replay can never outlive the record.
        { jti: claims.jti, expiresAt: (claims.exp + 120) * 1000 },
        { ...session, tokenHash: digest(secret) },
        [created],
        previousSessionSecret ? await this.replaceable(previousSessionSecret, group, facts, now) : undefined,
      );
    } catch (error) {
      if (error instanceof StorageWriteError) throw new Errors.failedToCreateSession({ cause: error.cause });
      throw error;
    }
    if (!outcome.ok && outcome.reason === 'api-token-revoked') throw new Errors.InvalidSSOTokenPayload({ reason: REVOKED_MINTER });
    if (!outcome.ok) throw new Errors.InvalidSSOTokenPayload({ reason: SsoTokenRefusal.used });
    return { session, token: secret, user, group, redirectTo: claims.redirectTo ?? '/' };
  }

  /** The browser's session of this group that a new login replaces (the system ends it), if it is live. */
  private async replaceable(
    secret: string,
    group: GroupRecord,
    facts: RequestFacts,
    at: number,
  ): Promise<{ sessionId: string; events: NewEvent[] } | undefined> {
    const previous = await this.deps.store.findLiveSession(digest(secret), at);
    if (!previous || previous.group.id !== group.id) return undefined;
    const caller = callerOf({ type: 'system' }, facts);
    return {
      sessionId: previous.session.id,
      events: [sessionEnded(group, caller, previous.user, previous.session.id, 'replaced', at)],
    };
  }
}
