/**
 * Floors: each benchmarked operation's essential work, written straight onto
 * node:http and better-sqlite3 with nothing else, all in one process on one port,
 * by path. A floor is the most any implementation of the operation could reach on
 * the machine; the server is held to within 2 × of it (docs/performance.md).
 *
 *   POST /createUser      the bench's createUser mutation (body: its GraphQL JSON)
 *   POST /createSSOToken  the bench's createSSOToken mutation
 *   POST /loginWithSSO    the bench's loginWithSSO mutation
 *   POST /viewer          the bench's `{ viewer { … } }` query (session cookie)
 *   POST /group           the bench's `{ group { … } }` query (API token)
 *   POST /rest            POST /-/api/ssotoken/create (also at `/` when started as rest-floor.ts)
 *
 * Each does what the server does for the bench's request and nothing less: the same
 * rows, the same event (its columns and `data` as src/domain/events.ts builds them)
 * in the same transaction, the same `synchronous=FULL` durability in WAL, and the
 * same response bytes (body, content type, `X-Request-Id`, the session cookie). Writes
 * go through a group commit like src/db/sqlite/database.ts's: the units queued while it
 * gathers (until a turn of the event loop queues no more, at most two more turns) run
 * in one BEGIN IMMEDIATE … COMMIT, each in a savepoint
 * (a unit of one statement without one, as in the server: SQLite undoes a failed
 * statement by itself), and are answered after the COMMIT.
 *
 * What every floor skips, and why it is not the operation's work:
 * - GraphQL itself (parsing, validation, the executor): the path names the operation
 *   and the bench's query is fixed, so a floor reads only the variables (or, for
 *   createSSOToken, the username written in the query) and writes the answer the
 *   server writes for that query. A persisted-query endpoint could do no less.
 * - Input checks and normalisation (username and email shapes, trimming and
 *   lower-casing, reserved names, body size and media type, the Host's shape): the
 *   bench sends well-formed inputs, which those checks let through unchanged.
 * - Rate limits (the bench turns them off: RATE_LIMIT_* = 0), and the request log and
 *   metrics (the bench's --ab mode measures them).
 * - An Idempotency-Key, except on createUser, where `npm run bench -- --idempotency`
 *   sends a fresh one per request (API.md §11; see that floor's comment).
 * - API-token last use: the server does not write it per request either; it keeps it in
 *   memory and writes it every 5 s (src/domain/api-tokens.ts, src/maintenance.ts),
 *   one UPDATE per token, which is no part of any one request's cost.
 * - TRUST_PROXY: the events' `ip` is the socket's address, as the server records it
 *   when no proxy is trusted (its default, and the bench's).
 * Each floor's own comment says what else it leaves out.
 *
 * It reads and writes the server's seeded SQLite database (DATABASE_URL; the schema is
 * the server's migrations). PUBLIC_URL and BASE_DOMAIN make the login URL, as in the
 * server; SSO_TOKEN_TTL_SECONDS, SESSION_TTL_SECONDS and IDEMPOTENCY_KEY_TTL_SECONDS are read
 * as it reads them.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { requestFingerprint } from '../../src/domain/idempotency.ts';
import { SealingKey } from '../../src/domain/sealed-outcomes.ts';
import { digest } from '../../src/domain/secrets.ts';
import { gatherThenCommit } from '../../src/db/sqlite/gather.ts';
import { newId } from '../../src/ids.ts';
import { pooledRandomBytes } from '../../src/random.ts';
import { type ErrorCode, envelopeOf, errorTypeName } from '../../src/errors/catalog.ts';

/** What an event records of the request that caused it (src/requests/request-context.ts). */
interface Facts {
  ip: string | null;
  userAgent: string | null;
  requestId: string;
}

type Floor = (body: Buffer, req: IncomingMessage, res: ServerResponse, facts: Facts) => void;

/** The token's row and its group's, as one lookup by the token's digest finds them. */
interface TokenRow {
  tokenId: string;
  label: string | null;
  revokedAt: number | null;
  groupId: string;
  slug: string;
  deletedAt: number | null;
  apiEnabled: number;
  allowedDomains: string;
  requireConfirmation: number;
  adminSignIn: number;
}

interface MemberRow {
  userId: string;
  username: string;
  role: string;
  suspendedAt: number | null;
}

const JSON_TYPE = 'application/json; charset=utf-8';
/** The REST routes' JSON headers (src/http/error-responses.ts): their answers may hold secrets. */
const REST_HEADERS = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' } as const;
const VALID_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const COMPACT_HS256 = /^[\w-]+\.[\w-]+\.([\w-]{43})$/;
const HS256_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
const SSO_CLOCK_SKEW_SECONDS = 60;
const USER_AGENT_MAX = 512;

const iso = (ms: number) => new Date(ms).toISOString();
const positiveIntEnv = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);

export function serveFloors(options: { restAtRoot?: boolean } = {}): void {
  const path = resolve(process.env.DATABASE_URL!.replace(/^file:(\/\/)?/, ''));
  const db = new Database(path, { timeout: 10_000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  // The schema's references are part of writing the same rows: the server's connection enforces them.
  db.pragma('foreign_keys = ON');
  // The savepoints' statement journals in memory, as the server keeps them.
  db.pragma('temp_store = MEMORY');

  const ssoKey = Buffer.from(process.env.SSO_SECRET!);
  const ssoTtl = positiveIntEnv('SSO_TOKEN_TTL_SECONDS', 600);
  const sessionTtl = positiveIntEnv('SESSION_TTL_SECONDS', 2_592_000);
  const idempotencyTtlMs = positiveIntEnv('IDEMPOTENCY_KEY_TTL_SECONDS', 86_400) * 1000;
  // bench/run.ts starts rest-floor.js without PUBLIC_URL; its server's is http://localhost:4000.
  const publicUrl = new URL(process.env.PUBLIC_URL || 'http://localhost:4000');
  const baseDomain = (process.env.BASE_DOMAIN || 'localhost').toLowerCase();
  const groupOrigin = (slug: string) => `${publicUrl.protocol}//${slug}.${baseDomain}${publicUrl.port ? `:${publicUrl.port}` : ''}`;
  const secureCookie = publicUrl.protocol === 'https:' ? '; Secure' : '';

  const sql = {
    tokenByHash: db.prepare<[string], TokenRow>(
      `SELECT t.id AS tokenId, t.label, t.revoked_at AS revokedAt, g.id AS groupId, g.slug, g.deleted_at AS deletedAt,
         g.is_api_enabled AS apiEnabled, g.allowed_domains AS allowedDomains,
         g.require_sign_in_confirmation AS requireConfirmation, g.admin_sign_in_with_api_token AS adminSignIn
       FROM api_tokens t JOIN groups g ON g.id = t.group_id WHERE t.token_hash = ?`,
    ),
    member: db.prepare<[string, string], MemberRow>(
      `SELECT u.id AS userId, u.username, m.role, m.suspended_at AS suspendedAt
       FROM users u JOIN memberships m ON m.user_id = u.id AND m.group_id = ? WHERE u.username = ?`,
    ),
    /** A sign-in's group and member in one lookup. */
    memberOfSlug: db.prepare<[string, string], MemberRow & { groupId: string }>(
      `SELECT g.id AS groupId, u.id AS userId, u.username, m.role, m.suspended_at AS suspendedAt
       FROM groups g JOIN users u ON u.username = ? JOIN memberships m ON m.group_id = g.id AND m.user_id = u.id
       WHERE g.slug = ? AND g.deleted_at IS NULL`,
    ),
    // Read only on refusal paths, as the server reads them, to name the refusal.
    userExists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM users WHERE username = ?'),
    liveGroup: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM groups WHERE slug = ? AND deleted_at IS NULL'),
    /** The API token a sign-in link names (its `at` claim), read inside the login's unit, as the server checks it. */
    minter: db.prepare<[string], { groupId: string; label: string | null; revokedAt: number | null }>(
      'SELECT group_id AS groupId, label, revoked_at AS revokedAt FROM api_tokens WHERE id = ?',
    ),
    liveSession: db.prepare<[string, number], { expiresAt: number; username: string; slug: string }>(
      `SELECT s.expires_at AS expiresAt, u.username, g.slug
       FROM sessions s JOIN users u ON u.id = s.user_id JOIN groups g ON g.id = s.group_id
       WHERE s.token_hash = ? AND s.expires_at > ? AND g.deleted_at IS NULL`,
    ),
    insertUser: db.prepare(
      `INSERT INTO users (id, username, email, email_normalized, first_name, last_name, created_at)
       VALUES (?, ?, ?, ?, NULL, NULL, ?)`,
    ),
    insertMembership: db.prepare('INSERT INTO memberships (group_id, user_id, role, created_at) VALUES (?, ?, ?, ?)'),
    useSsoToken: db.prepare('INSERT INTO sso_token_uses (jti, used_at, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
    insertSession: db.prepare(
      `INSERT INTO sessions (id, token_hash, user_id, group_id, created_at, expires_at, api_token_id)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    /** A keyed write's look-up before it runs, and its claim with the outcome inside its unit (src/db/sqlite/idempotency.ts). */
    idempotencyOutcomes: db.prepare<[string, string, number], { field: string; fingerprint: string; outcome: string }>(
      'SELECT field, fingerprint, outcome FROM idempotency_keys WHERE group_id = ? AND key = ? AND expires_at > ?',
    ),
    rememberOutcome: db.prepare(
      `INSERT INTO idempotency_keys (group_id, key, field, fingerprint, outcome, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    ),
    insertEvent: db.prepare(
      `INSERT INTO events (id, group_id, type, occurred_at, actor_type, actor_id, actor_name, target_type, target_id,
         target_name, ip, user_agent, request_id, data)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'user', ?, ?, ?, ?, ?, ?)`,
    ),
    begin: db.prepare('BEGIN IMMEDIATE'),
    savepoint: db.prepare('SAVEPOINT unit'),
    release: db.prepare('RELEASE unit'),
    rollbackToSavepoint: db.prepare('ROLLBACK TO unit'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
  };

  /** An event about a user (every event these operations write has one as its target), in the unit under way. */
  function writeEvent(
    type: string,
    groupId: string,
    at: number,
    actor: { type: 'api_token' | 'user'; id: string; name: string | null },
    user: { id: string; name: string },
    facts: Facts,
    data: unknown,
  ): void {
    sql.insertEvent.run(newId(), groupId, type, at, actor.type, actor.id, actor.name, user.id, user.name, facts.ip, facts.userAgent, facts.requestId, JSON.stringify(data));
  }

  // The group commit (src/db/sqlite/database.ts, without its bookkeeping: idempotency
  // keys, metrics, and retrying the rest of a batch a full disk interrupted).
  interface Unit {
    run: () => unknown;
    done: (outcome: { ok: true; value: unknown } | { ok: false; error: unknown }) => void;
    oneStatement: boolean;
  }
  let pending: Unit[] = [];
  let scheduled = false;

  function write<T>(oneStatement: boolean, run: () => T, done: (outcome: { ok: true; value: T } | { ok: false; error: unknown }) => void): void {
    pending.push({ run, done: done as Unit['done'], oneStatement });
    if (!scheduled) {
      scheduled = true;
      // The server's gathering, the same function.
      gatherThenCommit(() => pending.length, commitPending);
    }
  }

  function commitPending(): void {
    scheduled = false;
    const batch = pending;
    pending = [];
    const failAll = (error: unknown) => {
      for (const unit of batch) unit.done({ ok: false, error });
    };
    try {
      sql.begin.run();
    } catch (error) {
      return failAll(error);
    }
    const outcomes: Array<Parameters<Unit['done']>[0]> = [];
    for (const unit of batch) {
      if (!unit.oneStatement) sql.savepoint.run();
      try {
        outcomes.push({ ok: true, value: unit.run() });
        if (!unit.oneStatement) sql.release.run();
      } catch (error) {
        if (!db.inTransaction) return failAll(error);
        if (!unit.oneStatement) {
          sql.rollbackToSavepoint.run();
          sql.release.run();
        }
        outcomes.push({ ok: false, error });
      }
    }
    try {
      sql.commit.run();
    } catch (error) {
      try {
        if (db.inTransaction) sql.rollback.run();
      } catch {
        // SQLite undoes the transaction itself when the file cannot be written.
      }
      return failAll(error);
    }
    batch.forEach((unit, i) => unit.done(outcomes[i]!));
  }

  function send(res: ServerResponse, status: number, body: string, facts: Facts, extra?: Record<string, string | string[]>): void {
    res.writeHead(status, {
      'content-type': JSON_TYPE,
      ...extra,
      'x-request-id': facts.requestId,
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  }

  /** A REST refusal: the catalog envelope (src/http/error-responses.ts). */
  function restRefusal(res: ServerResponse, code: ErrorCode, facts: Facts): void {
    const envelope = envelopeOf(code);
    send(res, envelope.status, JSON.stringify({ error: envelope }), facts, REST_HEADERS);
  }

  /**
   * A transport-level GraphQL refusal of the bench's query as the server words it: the
   * field's place in that fixed query, and `data` as the field's nullability leaves it.
   */
  function graphqlRefusal(res: ServerResponse, code: ErrorCode, field: { name: string; column: number; data: string }, facts: Facts): void {
    const envelope = envelopeOf(code);
    const error = {
      message: envelope.message,
      locations: [{ line: 1, column: field.column }],
      path: [field.name],
      extensions: { code, error: envelope },
    };
    send(res, envelope.status, `{"errors":[${JSON.stringify(error)}],"data":${field.data}}`, facts);
  }

  /** A union member of the field's result other than the success: all the bench's selection asks of it is its type. */
  function unionRefusal(res: ServerResponse, field: string, code: ErrorCode, facts: Facts): void {
    send(res, 200, `{"data":{"${field}":{"__typename":"${errorTypeName(code)}"}}}`, facts);
  }

  /** The group a Host names (`{slug}.{BASE_DOMAIN}`), null for none, false for a malformed one (src/requests/request-domain.ts). */
  function groupSlugOf(hostHeader: string | undefined): string | null | false {
    const host = (hostHeader ?? '').toLowerCase().replace(/:\d*$/, '');
    if (host === baseDomain || !host.endsWith(`.${baseDomain}`)) return null;
    const label = host.slice(0, -(baseDomain.length + 1));
    return SLUG.test(label) ? label : false;
  }

  /**
   * The bearer token's group, or the refusal the server answers: InvalidApiToken,
   * GroupNotFound, InvalidRequestDomain, ApiIsDisabled, in its order. (The server's
   * shape check of the token before the lookup only spares junk a lookup.)
   */
  function apiToken(req: IncomingMessage): TokenRow | ErrorCode {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const row = bearer === undefined ? undefined : sql.tokenByHash.get(digest(bearer));
    if (!row || row.revokedAt !== null) return 'InvalidApiToken';
    if (row.deletedAt !== null) return 'GroupNotFound';
    const slug = groupSlugOf(req.headers.host);
    if (slug === false || (slug !== null && slug !== row.slug)) return 'InvalidRequestDomain';
    if (!row.apiEnabled) return 'ApiIsDisabled';
    return row;
  }

  /** A member of the token's group by username, or the refusal (InvalidUsername when no such user, else NotGroupMember). */
  function memberOf(groupId: string, username: string): MemberRow | ErrorCode {
    const member = sql.member.get(groupId, username);
    if (member) return member;
    return sql.userExists.get(username) ? 'NotGroupMember' : 'InvalidUsername';
  }

  /**
   * createSSOToken's work (src/domain/sign-in.ts): the member (refused when suspended,
   * or an admin where the group keeps API tokens from signing admins in), an HS256
   * token with the server's claims (`at` the minting API token, `rc` only when true),
   * and its `sso_token.created` event, committed before the answer. Without
   * redirectTo or requireConfirmation arguments (the bench sends neither), the
   * group's requireSignInConfirmation decides.
   */
  function mint(
    token: TokenRow,
    username: string,
    facts: Facts,
    refuse: (code: ErrorCode) => void,
    answer: (minted: { token: string; loginUrl: string; expiresAt: string; requireConfirmation: boolean }) => void,
  ): void {
    const member = memberOf(token.groupId, username);
    if (typeof member === 'string') return refuse(member);
    if (member.suspendedAt !== null) return refuse('MemberSuspended');
    if (member.role === 'admin' && !token.adminSignIn) return refuse('SignInNotAllowed');
    const requireConfirmation = token.requireConfirmation === 1;
    const now = Date.now();
    const iat = Math.floor(now / 1000);
    const exp = iat + ssoTtl;
    const jti = newId();
    const claims = { username: member.username, group: token.slug, rc: requireConfirmation || undefined, at: token.tokenId, jti, iat, exp };
    const signingInput = `${HS256_HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const jwt = `${signingInput}.${createHmac('sha256', ssoKey).update(signingInput).digest('base64url')}`;
    const expiresAt = iso(exp * 1000);
    const data = { username: member.username, tokenId: jti, expiresAt, redirectTo: null, requireConfirmation };
    const actor = { type: 'api_token', id: token.tokenId, name: token.label } as const;
    write(
      true,
      () => writeEvent('sso_token.created', token.groupId, now, actor, { id: member.userId, name: member.username }, facts, data),
      (outcome) => {
        if (!outcome.ok) return refuse('InternalError');
        // A JWT is base64url and dots, which encodeURIComponent leaves as they are.
        answer({ token: jwt, loginUrl: `${groupOrigin(token.slug)}/-/api/ssotoken/login?token=${jwt}`, expiresAt, requireConfirmation });
      },
    );
  }

  /** POST /-/api/ssotoken/create (src/http/rest.ts): `{ username }` in, the token and its login URL out. */
  const rest: Floor = (body, req, res, facts) => {
    const token = apiToken(req);
    if (typeof token === 'string') return restRefusal(res, token, facts);
    const { username } = JSON.parse(body.toString('utf8')) as { username: string };
    mint(token, username, facts, (code) => restRefusal(res, code, facts), (minted) =>
      send(res, 200, JSON.stringify({ data: minted }), facts, REST_HEADERS),
    );
  };

  /** `mutation { createSSOToken(username: "…") { __typename ... on CreateSSOTokenSuccess { token loginUrl expiresAt } } }` */
  const createSsoToken: Floor = (body, req, res, facts) => {
    const token = apiToken(req);
    if (typeof token === 'string') return graphqlRefusal(res, token, { name: 'createSSOToken', column: 12, data: 'null' }, facts);
    const { query } = JSON.parse(body.toString('utf8')) as { query: string };
    // The username is written into the bench's query as a string literal without escapes.
    const username = /createSSOToken\(username: "([^"\\]*)"/.exec(query)![1]!;
    // A storage failure is transport-level in the server (masked InternalError); the rest are union members.
    const refuse = (code: ErrorCode) =>
      code === 'InternalError'
        ? graphqlRefusal(res, code, { name: 'createSSOToken', column: 12, data: 'null' }, facts)
        : unionRefusal(res, 'createSSOToken', code, facts);
    mint(token, username, facts, refuse, ({ token: jwt, loginUrl, expiresAt }) =>
      send(
        res,
        200,
        `{"data":{"createSSOToken":{"__typename":"CreateSSOTokenSuccess","token":"${jwt}","loginUrl":${JSON.stringify(loginUrl)},"expiresAt":"${expiresAt}"}}}`,
        facts,
      ),
    );
  };

  /**
   * `mutation ($input: CreateUserInput!) { createUser(input: $input) { … on CreateUserSuccess { user { id username } } } }`
   * (src/domain/users.ts, src/db/sqlite/users.ts): the user, its `member` membership and
   * its `user.created` event in one unit. The server first looks the username and the
   * email up inside the transaction; here the tables' unique indexes, which every insert
   * checks anyway, find a taken one, and the unit's savepoint undoes it. Without a
   * suggestedUsername (the bench sends none), there is no candidate to choose.
   *
   * With an `Idempotency-Key` (API.md §11), what the server's keyed write cannot do
   * without: the key's look-up before the write, the request's fingerprint, and in the
   * unit the key's row with the outcome, sealed as the server seals it
   * (src/domain/sealed-outcomes.ts: the database never holds a key or an outcome
   * readably); a key already used with the same request answers its outcome again.
   * Left out: the key's shape check, a key used with another request
   * (IdempotencyKeyReused), one still running (IdempotencyKeyInUse) and an expired
   * one taken again, which the bench's fresh keys never are.
   */
  const createUser: Floor = (body, req, res, facts) => {
    const token = apiToken(req);
    if (typeof token === 'string') return graphqlRefusal(res, token, { name: 'createUser', column: 39, data: 'null' }, facts);
    const params = JSON.parse(body.toString('utf8')) as { query: string; variables: { input: { email: string; username: string } }; operationName?: string };
    const { email, username } = params.variables.input;
    const emailNormalized = email.toLowerCase();
    if (token.allowedDomains !== '[]') {
      const allowed = JSON.parse(token.allowedDomains) as string[];
      if (!allowed.includes(emailNormalized.slice(emailNormalized.lastIndexOf('@') + 1))) {
        return unionRefusal(res, 'createUser', 'InvalidEmailDomain', facts);
      }
    }
    const now = Date.now();
    const rawKey = req.headers['idempotency-key'];
    const keyed = typeof rawKey === 'string' ? keyedWrite(token.groupId, rawKey, params, now) : null;
    if (keyed?.stored) return replayCreateUser(res, keyed.sealing, keyed.stored, facts);
    const id = newId();
    const actor = { type: 'api_token', id: token.tokenId, name: token.label } as const;
    write(
      false,
      () => {
        sql.insertUser.run(id, username, email, emailNormalized, now);
        sql.insertMembership.run(token.groupId, id, 'member', now);
        writeEvent('user.created', token.groupId, now, actor, { id, name: username }, facts, {
          username,
          email,
          firstName: null,
          lastName: null,
          role: 'member',
        });
        if (keyed) {
          const user = { id, username, email, firstName: null, lastName: null, createdAt: now };
          const outcome = keyed.sealing.seal('createUser', keyed.fingerprint, JSON.stringify({ user }));
          const claimed = sql.rememberOutcome.run(token.groupId, keyed.sealing.lookup, 'createUser', keyed.fingerprint, outcome, now, now + idempotencyTtlMs);
          if (claimed.changes === 0) throw new Error('idempotency key taken');
        }
      },
      (outcome) => {
        if (outcome.ok) {
          return send(res, 200, `{"data":{"createUser":{"__typename":"CreateUserSuccess","user":{"id":"${id}","username":${JSON.stringify(username)}}}}}`, facts);
        }
        const message = String((outcome.error as Error).message);
        const code: ErrorCode = message.includes('users.username')
          ? 'UsernameAlreadyExists'
          : message.includes('users.email_normalized')
            ? 'EmailAlreadyExists'
            : 'FailedToCreateUser';
        unionRefusal(res, 'createUser', code, facts);
      },
    );
  };

  /** A keyed request's sealing key and fingerprint, and what its key already holds (src/domain/idempotency.ts). */
  function keyedWrite(groupId: string, key: string, params: { query: string; variables: unknown; operationName?: string }, now: number) {
    const sealing = new SealingKey(groupId, key);
    const fingerprint = sealing.fingerprint(requestFingerprint('POST /graphql', [params.query, params.variables, params.operationName ?? null]));
    const stored = sql.idempotencyOutcomes.all(groupId, sealing.lookup, now).find((row) => row.field === 'createUser');
    return { sealing, fingerprint, stored };
  }

  /** A remembered createUser outcome, answered again (the bench's selection of it). */
  function replayCreateUser(res: ServerResponse, sealing: SealingKey, stored: { field: string; fingerprint: string; outcome: string }, facts: Facts): void {
    const { user } = JSON.parse(sealing.open(stored.field, stored.fingerprint, stored.outcome)) as { user: { id: string; username: string } };
    const answer = `{"data":{"createUser":{"__typename":"CreateUserSuccess","user":{"id":"${user.id}","username":${JSON.stringify(user.username)}}}}}`;
    send(res, 200, answer, facts, { 'idempotent-replayed': 'true' });
  }

  function verify(token: string): { username: string; group: string; jti: string; exp: number; at: string | null } | ErrorCode {
    const match = token.length <= 4096 ? COMPACT_HS256.exec(token) : null;
    if (!match) return 'SSOTokenFailedToParse';
    const given = Buffer.from(match[1]!, 'base64url');
    const expected = createHmac('sha256', ssoKey).update(token.slice(0, token.lastIndexOf('.'))).digest();
    if (given.toString('base64url') !== match[1] || !timingSafeEqual(given, expected)) return 'SSOTokenFailedToParse';
    const [headerPart, payloadPart] = token.split('.') as [string, string];
    let header: Record<string, unknown>;
    let payload: Record<string, unknown>;
    try {
      header = headerPart === HS256_HEADER ? { alg: 'HS256' } : JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8'));
      payload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
    } catch {
      return 'SSOTokenFailedToParse';
    }
    if (header.alg !== 'HS256' || header.crit !== undefined) return 'SSOTokenFailedToParse';
    const { username, group, jti, exp, iat, nbf, at } = payload;
    const now = Math.floor(Date.now() / 1000);
    if (typeof exp !== 'number' || typeof iat !== 'number' || (nbf !== undefined && typeof nbf !== 'number')) return 'SSOTokenFailedToParse';
    if (typeof nbf === 'number' && nbf > now + SSO_CLOCK_SKEW_SECONDS) return 'SSOTokenFailedToParse';
    const age = now - iat;
    if (age < -SSO_CLOCK_SKEW_SECONDS || exp <= now - SSO_CLOCK_SKEW_SECONDS || age - SSO_CLOCK_SKEW_SECONDS > ssoTtl) return 'SSOTokenFailedToParse';
    const text = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
    if (!text(username) || !text(group) || !text(jti) || (at !== undefined && !text(at))) return 'InvalidSSOTokenPayload';
    return { username, group, jti, exp, at: text(at) ? at : null };
  }

  /**
   * `mutation ($token: String!) { loginWithSSO(token: $token) { … session { token expiresAt } } }`
   * (src/domain/sign-in.ts, src/db/sqlite/sessions.ts): the token verified, its group
   * the request's, the member; then in one unit the token's single use, the session and
   * its `session.created` event; then the cookie. The bench's login carries no session
   * cookie, so there is no earlier session to end in the same write (the server's
   * `replaceable`: a lookup, a DELETE and a `session.ended` event when there is one).
   * Its tokens name no API token (`at`); one that does is checked inside the unit.
   */
  const loginWithSso: Floor = (body, req, res, facts) => {
    const refuse = (code: ErrorCode) => unionRefusal(res, 'loginWithSSO', code, facts);
    const { token } = (JSON.parse(body.toString('utf8')) as { variables: { token: string } }).variables;
    const claims = verify(token);
    if (typeof claims === 'string') return refuse(claims);
    if (claims.group !== groupSlugOf(req.headers.host)) return refuse('InvalidRequestDomain');
    const member = sql.memberOfSlug.get(claims.username, claims.group);
    if (!member) {
      if (!sql.liveGroup.get(claims.group)) return refuse('GroupNotFound');
      return refuse(sql.userExists.get(claims.username) ? 'NotGroupMember' : 'InvalidUsername');
    }
    if (member.suspendedAt !== null) return refuse('MemberSuspended');
    const now = Date.now();
    const secret = pooledRandomBytes(32).toString('base64url');
    const sessionId = newId();
    const expiresAt = now + sessionTtl * 1000;
    const user = { id: member.userId, name: member.username };
    write(
      false,
      (): ErrorCode | null => {
        let actor: { type: 'api_token' | 'user'; id: string; name: string | null } = { type: 'user', ...user };
        if (claims.at !== null) {
          const minter = sql.minter.get(claims.at);
          if (!minter || minter.groupId !== member.groupId || minter.revokedAt !== null) return 'InvalidSSOTokenPayload';
          actor = { type: 'api_token', id: claims.at, name: minter.label };
        }
        if (sql.useSsoToken.run(claims.jti, now, (claims.exp + 120) * 1000).changes === 0) return 'InvalidSSOTokenPayload';
        sql.insertSession.run(sessionId, digest(secret), member.userId, member.groupId, now, expiresAt, claims.at);
        writeEvent('session.created', member.groupId, now, actor, user, facts, {
          username: member.username,
          sessionId,
          tokenId: claims.jti,
          expiresAt: iso(expiresAt),
        });
        return null;
      },
      (outcome) => {
        if (!outcome.ok) return refuse('failedToCreateSession');
        if (outcome.value !== null) return refuse(outcome.value);
        send(
          res,
          200,
          `{"data":{"loginWithSSO":{"__typename":"LoginWithSSOSuccess","session":{"token":"${secret}","expiresAt":"${iso(expiresAt)}"}}}}`,
          facts,
          { 'set-cookie': [`session=${secret}; Max-Age=${sessionTtl}; Path=/; HttpOnly${secureCookie}; SameSite=Lax`] },
        );
      },
    );
  };

  /**
   * `{ viewer { expiresAt user { username } group { slug } } }` (src/domain/sessions.ts):
   * the cookie's live session, on its own group's domain, with its user and group.
   * (The cookie is read without the cookie library's unquoting and decoding: a
   * session secret is base64url.)
   */
  const viewer: Floor = (_body, req, res, facts) => {
    const secret = /(?:^|;\s*)session=([^;]*)/.exec(req.headers.cookie ?? '')?.[1];
    const slug = groupSlugOf(req.headers.host);
    const live = secret && slug ? sql.liveSession.get(digest(secret), Date.now()) : undefined;
    const body =
      live && live.slug === slug
        ? `{"data":{"viewer":{"expiresAt":"${iso(live.expiresAt)}","user":{"username":${JSON.stringify(live.username)}},"group":{"slug":"${live.slug}"}}}}`
        : '{"data":{"viewer":null}}';
    send(res, 200, body, facts);
  };

  /**
   * `{ group { slug isApiEnabled allowedDomains } }`: the API token's group. Its allowed
   * domains are stored as the JSON of the list, which is what the answer carries.
   */
  const group: Floor = (_body, req, res, facts) => {
    const token = apiToken(req);
    if (typeof token === 'string') return graphqlRefusal(res, token, { name: 'group', column: 3, data: '{"group":null}' }, facts);
    send(res, 200, `{"data":{"group":{"slug":"${token.slug}","isApiEnabled":true,"allowedDomains":${token.allowedDomains}}}}`, facts);
  };

  const floors = new Map<string, Floor>([
    ['/createUser', createUser],
    ['/createSSOToken', createSsoToken],
    ['/loginWithSSO', loginWithSso],
    ['/viewer', viewer],
    ['/group', group],
    ['/rest', rest],
  ]);
  if (options.restAtRoot) floors.set('/', rest);

  const port = Number(process.env.PORT ?? 4102);
  const server = createServer((req, res) => {
    const floor = floors.get(req.url ?? '');
    const incoming = req.headers['x-request-id'];
    const address = req.socket.remoteAddress ?? '';
    const userAgent = req.headers['user-agent'];
    const facts: Facts = {
      ip: address.startsWith('::ffff:') ? address.slice(7) : address || null,
      userAgent: userAgent === undefined ? null : userAgent.slice(0, USER_AGENT_MAX),
      requestId: typeof incoming === 'string' && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID(),
    };
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (!floor) return send(res, 404, '{"error":{"status":404,"message":"There is no floor at this path."}}', facts);
      try {
        floor(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), req, res, facts);
      } catch (error) {
        // A request the bench never sends (a body that is not what the floor expects).
        console.error(error);
        send(res, 500, JSON.stringify({ error: envelopeOf('InternalError') }), facts);
      }
    });
  });
  server.keepAliveTimeout = 5_000;
  server.listen(port, process.env.HOST ?? '127.0.0.1', () => console.log(`listening on ${port}`));
  // Writes already queued are committed, not dropped; then the process ends (open keep-alive connections with it).
  const stop = () => {
    if (pending.length > 0) commitPending();
    db.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) serveFloors();
