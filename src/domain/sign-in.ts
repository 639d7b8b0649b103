/**
 * Sign-in: a group's backend mints an SSO token for a member; the member's browser
 * exchanges it, on the group's own domain, for a session. Using up the token and
 * creating the session are one write.
 */
import type { GroupRecord, NewEvent, SessionRecord, UserRecord } from '../db/store.ts';
import { StorageWriteError } from '../db/store.ts';
import { Errors, invalidInput } from '../errors/domain-error.ts';
import type { ServiceDeps } from './deps.ts';
import { type Caller, callerOf, iso, newEvent, type RequestFacts, sessionEnded, targets, userActor } from './events.ts';
import type { ErrorCode } from '../errors/catalog.ts';
import type { Keyed, OutcomeCodec } from './idempotency.ts';
import type { MemberService } from './members.ts';
import { digest, newId, newSecret } from './secrets.ts';
import type { SsoTokenService } from './sso-tokens.ts';
import { normalizeUsername, usernameProblem } from './usernames.ts';

export const LOGIN_PATH = '/-/api/ssotoken/login';

/** What createSSOToken may answer instead of a token: the members of CreateSSOTokenResult. */
export const CREATE_SSO_TOKEN_REFUSALS = ['InvalidInput', 'InvalidUsername', 'NotGroupMember'] as const satisfies readonly ErrorCode[];

export interface MintedSsoToken {
  token: string;
  loginUrl: string;
  expiresAt: number;
}

/** A minted token as a keyed createSSOToken remembers it: the same token on a retry. */
export const createSsoTokenOutcome: OutcomeCodec<MintedSsoToken> = {
  refusals: CREATE_SSO_TOKEN_REFUSALS,
  encode: (minted) => minted,
  decode: (stored) => stored as MintedSsoToken,
};
export const REDIRECT_MAX = 2048;

export interface SignedIn {
  session: SessionRecord;
  /** The session secret: returned once, stored only as a digest. */
  token: string;
  user: UserRecord;
  group: GroupRecord;
  redirectTo: string;
}

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

  async createSsoToken(
    group: GroupRecord,
    username: string,
    redirectToInput: string | null | undefined,
    caller: Caller,
    keyed?: Keyed<MintedSsoToken>,
  ): Promise<MintedSsoToken> {
    const redirectTo = parseRedirectTo(redirectToInput);
    const { user } = await this.members.get(group, username);
    const { token, jti, expiresAt } = this.ssoTokens.mint(user.username, group.slug, redirectTo);
    // Minting writes nothing but its event: who had a sign-in link made for whom.
    const data = { username: user.username, tokenId: jti, expiresAt: iso(expiresAt), redirectTo };
    const minted = { token, expiresAt, loginUrl: this.loginUrl(group.slug, token) };
    await this.deps.store.recordEvents(
      [newEvent('sso_token.created', group, caller, targets.user(user), data, this.deps.now())],
      keyed && { claim: keyed.claim, outcome: () => keyed.encode(minted) },
    );
    return minted;
  }

  /** `{protocol}://{group}.{BASE_DOMAIN}{:port}/-/api/ssotoken/login?token=…` (API.md §5). */
  loginUrl(slug: string, token: string): string {
    const { publicUrl, baseDomain } = this.deps.config;
    const port = publicUrl.port ? `:${publicUrl.port}` : '';
    return `${publicUrl.protocol}//${slug}.${baseDomain}${port}${LOGIN_PATH}?token=${encodeURIComponent(token)}`;
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
    const claims = this.ssoTokens.verify(token);
    if (claims.group !== requestGroupSlug) throw new Errors.InvalidRequestDomain();
    const group = await this.deps.store.findGroupBySlug(claims.group);
    if (!group) throw new Errors.GroupNotFound();
    const username = normalizeUsername(claims.username);
    if (usernameProblem(username)) throw new Errors.InvalidUsername();
    const member = await this.deps.store.findMember(group.id, username);
    if (!member) throw new Errors.NotGroupMember();

    const now = this.deps.now();
    const secret = newSecret();
    const session: SessionRecord = {
      id: newId(),
      userId: member.user.id,
      groupId: group.id,
      createdAt: now,
      expiresAt: now + this.deps.config.sessionTtlSeconds * 1000,
    };
    const { user } = member;
    const created = newEvent(
      'session.created',
      group,
      callerOf(userActor(user), facts),
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
    if (!outcome.ok) throw new Errors.InvalidSSOTokenPayload();
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
