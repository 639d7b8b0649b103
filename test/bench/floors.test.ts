/**
 * The floors (bench/baselines/floors.ts) answer what the server answers and write what
 * it writes, so a floor cannot drift into doing less than its operation. The real
 * server and the floors process run on ONE seeded SQLite file; each of the bench's
 * requests goes to the server, then to the floor, and the rows each added are read
 * right after its answer (both answer only after their COMMIT). One database rather
 * than two seeds: a seed draws fresh ids, tokens and sessions, so only on the same
 * file can the rows be compared column for column, including the ids they share
 * with the seed (the group, the API token that acts, user0), and the same API token,
 * session cookie and member serve both. Requests go one at a time, so the two
 * processes never write at once.
 *
 * Compared, after every id, token, secret and time is replaced by a placeholder
 * numbered by first appearance (so "the event's tokenId is the JWT's jti" survives the
 * replacing): the status, the body byte for byte, the headers that matter (content
 * type, X-Request-Id being the event's request id, the REST route's no-store), the
 * Set-Cookie attributes, the JWT's claims, and the rows each side added to users,
 * memberships, sessions, sso_token_uses, events and idempotency_keys, every column
 * (a sealed outcome is opened with its key and compared as what it holds).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Seeded, seedDatabase } from '../../bench/seed.ts';
import { requestFingerprint } from '../../src/domain/idempotency.ts';
import { SealingKey } from '../../src/domain/sealed-outcomes.ts';
import { testDialect } from '../support/databases.ts';
import { freePort, projectRoot, type RunningServer, startServer } from '../support/processes.ts';

const SSO_SECRET = 'bench-secret-bench-secret-bench-secret!';
const TABLES = ['users', 'memberships', 'sessions', 'sso_token_uses', 'events', 'idempotency_keys'] as const;
type Table = (typeof TABLES)[number];

// The bench's queries, copied from bench/run.ts's `operations()` (importing it would run
// the bench); the first test checks that run.ts still sends exactly these.
const QUERIES = {
  viewer: '{ viewer { expiresAt user { username } group { slug } } }',
  group: '{ group { slug isApiEnabled allowedDomains } }',
  createSSOToken:
    'mutation { createSSOToken(username: "${seed.username}") { __typename ... on CreateSSOTokenSuccess { token loginUrl expiresAt } } }',
  loginWithSSO:
    'mutation ($token: String!) { loginWithSSO(token: $token) { __typename ... on LoginWithSSOSuccess { session { token expiresAt } } } }',
  createUser:
    'mutation ($input: CreateUserInput!) { createUser(input: $input) { __typename ... on CreateUserSuccess { user { id username } } } }',
};
const gql = (query: string, variables?: Record<string, unknown>) => JSON.stringify({ query, variables });

/** bench/run.ts's `mintSsoToken`: a fresh single-use SSO token, signed like the server's. */
function mintSsoToken(username: string, group: string): string {
  const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const iat = Math.floor(Date.now() / 1000);
  const unsigned = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url({ username, group, jti: randomUUID(), iat, exp: iat + 600 })}`;
  return `${unsigned}.${createHmac('sha256', SSO_SECRET).update(unsigned).digest('base64url')}`;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A POST over node:http (fetch would drop the Host header), as bench/run.ts's `check` sends it. */
function post(port: number, path: string, headers: Record<string, string>, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { ...headers, connection: 'close' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Replaces what differs between two correct answers: JWTs, UUIDs not of the seed,
 * 43-character secrets and digests, ISO times and epoch times, and the given strings.
 * Each distinct value gets its own numbered placeholder, in order of first appearance.
 */
function normalize(text: string, keep: ReadonlySet<string>, fresh: Record<string, string> = {}): string {
  for (const [value, placeholder] of Object.entries(fresh)) text = text.split(value).join(placeholder);
  const numbering = (kind: string) => {
    const seen = new Map<string, string>();
    return (value: string) => (keep.has(value) ? value : (seen.get(value) ?? seen.set(value, `<${kind}:${seen.size + 1}>`).get(value)!));
  };
  return text
    .replace(/eyJ[\w-]+\.[\w-]+\.[\w-]{43}/g, numbering('jwt'))
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, numbering('uuid'))
    // A sealed outcome (src/domain/sealed-outcomes.ts): its random IV makes every one differ; opened apart below.
    .replace(/"v1\.[\w-]{16}\.[\w-]+"/g, '"<sealed>"')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g, '<time>')
    .replace(/(?<![\w-])[A-Za-z0-9_-]{43}(?![\w-])/g, numbering('secret'))
    .replace(/(?<![\w-])1\d{9}(?:\d{3})?(?![\w-])/g, '<epoch>');
}

/** The claims of every JWT in the text, decoded. */
function claimsIn(text: string): unknown[] {
  return [...new Set(text.match(/eyJ[\w-]+\.[\w-]+\.[\w-]{43}/g) ?? [])].map((jwt) =>
    JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')),
  );
}

describe.runIf(testDialect === 'sqlite')('the floors answer what the server answers and write what it writes', () => {
  let dir: string;
  let seed: Seeded;
  let db: Database.Database;
  let server: RunningServer;
  let floors: ChildProcess;
  let floorsPort: number;
  /** Ids the seed made: the same for both sides, so kept as they are. */
  let seedIds: Set<string>;
  let counter = 0;
  const run = randomUUID().slice(0, 6);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'team-api-floors-'));
    const databaseUrl = `file:${join(dir, 'bench.db')}`;
    seed = seedDatabase(databaseUrl, 50);
    server = await startServer({ DATABASE_URL: databaseUrl, SSO_SECRET });
    floorsPort = await freePort();
    floors = spawn(process.execPath, ['--import', 'tsx', 'bench/baselines/floors.ts'], {
      cwd: projectRoot,
      env: {
        ...process.env,
        PORT: String(floorsPort),
        HOST: '127.0.0.1',
        DATABASE_URL: databaseUrl,
        SSO_SECRET,
        PUBLIC_URL: server.origin,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      floors.stderr!.on('data', (d) => (output += d));
      floors.stdout!.on('data', (d) => {
        output += d;
        if (output.includes('listening')) resolve();
      });
      floors.once('exit', (code) => reject(new Error(`floors.ts exited (${code}):\n${output}`)));
    });
    db = new Database(join(dir, 'bench.db'), { readonly: true, fileMustExist: true });
    seedIds = new Set(
      ['SELECT id FROM groups', 'SELECT id FROM api_tokens', 'SELECT id FROM users'].flatMap((q) =>
        (db.prepare(q).all() as Array<{ id: string }>).map((r) => r.id),
      ),
    );
  }, 120_000);

  afterAll(async () => {
    db?.close();
    if (floors && floors.exitCode === null) {
      const exited = new Promise((r) => floors.once('exit', r));
      floors.kill('SIGTERM');
      await exited;
    }
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const marks = () =>
    Object.fromEntries(TABLES.map((t) => [t, (db.prepare(`SELECT coalesce(max(rowid), 0) AS n FROM ${t}`).get() as { n: number }).n])) as Record<Table, number>;
  const rowsSince = (since: Record<Table, number>) =>
    Object.fromEntries(
      TABLES.map((t) => {
        const rows = db.prepare(`SELECT * FROM ${t} WHERE rowid > ? ORDER BY rowid`).all(since[t]) as Array<Record<string, unknown>>;
        // `seq` is the feed position: each side's event has its own.
        return [t, rows.map(({ seq: _seq, ...row }) => row)];
      }),
    ) as Record<Table, Array<Record<string, unknown>>>;

  /** One request to a side, and everything about it that must match. */
  async function exchange(port: number, path: string, headers: Record<string, string>, body: string) {
    const before = marks();
    // A user agent, so that the events' user_agent column is compared with something in it.
    const answer = await post(port, path, { ...headers, 'user-agent': 'floors-test/1' }, body);
    const rows = rowsSince(before);
    const h = answer.headers;
    return {
      answer,
      rows,
      view: {
        status: answer.status,
        headers: {
          'content-type': h['content-type'],
          'x-content-type-options': h['x-content-type-options'],
          'cache-control': h['cache-control'],
          'x-request-id': h['x-request-id'],
          'idempotent-replayed': h['idempotent-replayed'],
          // The cookie's attributes; its value is the session secret of the body.
          'set-cookie': h['set-cookie'],
        },
        body: answer.text,
        claims: claimsIn(answer.text),
        rows,
      },
    };
  }

  /**
   * Sends the operation's request (built per side: createUser needs a fresh username,
   * loginWithSSO a fresh token) to the server, then the same to the floor at
   * `floorPath`, and checks that the two match.
   */
  async function compare(
    floorPath: string,
    serverPath: string,
    headers: Record<string, string>,
    nextRequest: () => { body: string; fresh?: Record<string, string>; headers?: Record<string, string> },
  ) {
    const a = nextRequest();
    const server_ = await exchange(server.port, serverPath, { ...headers, ...a.headers }, a.body);
    const b = nextRequest();
    const floor = await exchange(floorsPort, floorPath, { ...headers, ...b.headers }, b.body);
    expect(server_.answer.status, server_.answer.text).toBe(200);
    const serverView = normalize(JSON.stringify(server_.view, null, 1), seedIds, a.fresh);
    const floorView = normalize(JSON.stringify(floor.view, null, 1), seedIds, b.fresh);
    expect(floorView).toBe(serverView);
    for (const side of [server_, floor]) expect(side.answer.headers['x-request-id']).toBeTruthy();
    return { server: server_, floor };
  }

  const auth = () => ({ 'content-type': 'application/json', authorization: `Bearer ${seed.apiToken}` });
  const onGroup = () => ({ 'content-type': 'application/json', host: `${seed.group}.localhost:4000` });
  const counts = (rows: Record<Table, unknown[]>) => Object.fromEntries(TABLES.map((t) => [t, rows[t].length]));
  const eventTypes = (rows: Record<Table, Array<Record<string, unknown>>>) => rows.events.map((e) => e.type);

  it('the requests here are bench/run.ts’s', () => {
    const source = readFileSync(join(projectRoot, 'bench/run.ts'), 'utf8');
    for (const query of Object.values(QUERIES)) expect(source).toContain(query);
    expect(source).toContain("body: JSON.stringify({ username: seed.username })");
    expect(source).toContain('{ input: { email: `${username}@bench.example`, username } }');
    expect(source).toContain("const onGroup = { ...json, host: `${seed.group}.localhost:4000` };");
  });

  it('viewer (cookie): the session, its user and group; no rows', async () => {
    const { server: s, floor: f } = await compare('/viewer', '/graphql', { ...onGroup(), cookie: seed.sessionCookie }, () => ({
      body: gql(QUERIES.viewer),
    }));
    expect(JSON.parse(s.answer.text).data.viewer.user.username).toBe(seed.username);
    expect(counts(f.rows)).toEqual(counts(s.rows));
    expect(counts(s.rows)).toEqual({ users: 0, memberships: 0, sessions: 0, sso_token_uses: 0, events: 0, idempotency_keys: 0 });
  });

  it('group (API token): the token’s group; no rows', async () => {
    const { server: s } = await compare('/group', '/graphql', auth(), () => ({ body: gql(QUERIES.group) }));
    expect(JSON.parse(s.answer.text).data.group.slug).toBe(seed.group);
    expect(counts(s.rows)).toEqual({ users: 0, memberships: 0, sessions: 0, sso_token_uses: 0, events: 0, idempotency_keys: 0 });
  });

  it('createSSOToken: the same token claims and an sso_token.created event, committed', async () => {
    const query = QUERIES.createSSOToken.replace('${seed.username}', seed.username);
    const { server: s, floor: f } = await compare('/createSSOToken', '/graphql', auth(), () => ({ body: gql(query) }));
    expect(eventTypes(f.rows)).toEqual(eventTypes(s.rows));
    expect(eventTypes(s.rows)).toEqual(['sso_token.created']);
    expect(counts(f.rows)).toEqual(counts(s.rows));
    // The floor's token is one the server takes: it signs in with it.
    const token = JSON.parse(f.answer.text).data.createSSOToken.token as string;
    const login = await post(server.port, '/graphql', onGroup(), gql(QUERIES.loginWithSSO, { token }));
    expect(JSON.parse(login.text).data.loginWithSSO.__typename, login.text).toBe('LoginWithSSOSuccess');
  });

  it('loginWithSSO: the token’s use, a session and a session.created event in one write, and the same cookie', async () => {
    const { server: s, floor: f } = await compare('/loginWithSSO', '/graphql', onGroup(), () => ({
      body: gql(QUERIES.loginWithSSO, { token: mintSsoToken(seed.username, seed.group) }),
    }));
    expect(counts(f.rows)).toEqual(counts(s.rows));
    expect(counts(s.rows)).toEqual({ users: 0, memberships: 0, sessions: 1, sso_token_uses: 1, events: 1, idempotency_keys: 0 });
    expect(eventTypes(f.rows)).toEqual(['session.created']);
    for (const side of [s, f]) {
      // The cookie carries the session secret of the body, and the session row its digest.
      const secret = JSON.parse(side.answer.text).data.loginWithSSO.session.token as string;
      const cookie = side.answer.headers['set-cookie'] as string[];
      expect(cookie).toHaveLength(1);
      expect(cookie[0]!.startsWith(`session=${secret};`)).toBe(true);
      expect(side.rows.sessions[0]!.token_hash).toBe(createHash('sha256').update(secret).digest('base64url'));
    }
    const attributes = (side: typeof s) => (side.answer.headers['set-cookie'] as string[])[0]!.replace(/^session=[^;]*/, 'session=<secret>');
    expect(attributes(f)).toBe(attributes(s));
  });

  it('createUser: a user, its membership and a user.created event in one write', async () => {
    const { server: s, floor: f } = await compare('/createUser', '/graphql', auth(), () => {
      const username = `b${run}${(counter++).toString(36)}`;
      return {
        body: gql(QUERIES.createUser, { input: { email: `${username}@bench.example`, username } }),
        fresh: { [username]: '<new-username>' },
      };
    });
    expect(counts(f.rows)).toEqual(counts(s.rows));
    expect(counts(s.rows)).toEqual({ users: 1, memberships: 1, sessions: 0, sso_token_uses: 0, events: 1, idempotency_keys: 0 });
    expect(eventTypes(f.rows)).toEqual(['user.created']);
  });

  it('createUser with an Idempotency-Key: the same write and the key’s row, its outcome sealed; a retry answers it again', async () => {
    const sent: Array<{ key: string; body: string }> = [];
    const { server: s, floor: f } = await compare('/createUser', '/graphql', auth(), () => {
      const username = `b${run}${(counter++).toString(36)}`;
      const request = { key: randomUUID(), body: gql(QUERIES.createUser, { input: { email: `${username}@bench.example`, username } }) };
      sent.push(request);
      return { body: request.body, headers: { 'idempotency-key': request.key }, fresh: { [username]: '<new-username>', [request.key]: '<key>' } };
    });
    expect(counts(s.rows)).toEqual({ users: 1, memberships: 1, sessions: 0, sso_token_uses: 0, events: 1, idempotency_keys: 1 });
    expect(counts(f.rows)).toEqual(counts(s.rows));
    // Each side's row opens under its own key to the same outcome: the user it created.
    const opened = [s, f].map((side, i) => {
      const row = side.rows.idempotency_keys[0] as { group_id: string; key: string; field: string; fingerprint: string; outcome: string };
      const sealing = new SealingKey(row.group_id, sent[i]!.key);
      expect(row.key).toBe(sealing.lookup);
      expect(row.fingerprint).toBe(sealing.fingerprint(requestFingerprint('POST /graphql', [QUERIES.createUser, JSON.parse(sent[i]!.body).variables, null])));
      return JSON.parse(sealing.open(row.field, row.fingerprint, row.outcome)) as { user: { id: string } };
    });
    expect(opened.map((o) => o.user.id)).toEqual([s.rows.users[0]!.id, f.rows.users[0]!.id]);
    expect(normalize(JSON.stringify(opened[1]), seedIds, { [String(f.rows.users[0]!.username)]: '<new-username>' })).toBe(
      normalize(JSON.stringify(opened[0]), seedIds, { [String(s.rows.users[0]!.username)]: '<new-username>' }),
    );
    // The same key and request again: the first answer, replayed, and nothing written.
    const again = await Promise.all(
      [server.port, floorsPort].map((port, i) => exchange(port, i === 0 ? '/graphql' : '/createUser', { ...auth(), 'idempotency-key': sent[i]!.key }, sent[i]!.body)),
    );
    for (const [i, side] of [s, f].entries()) {
      expect(again[i]!.answer.text).toBe(side.answer.text);
      expect(again[i]!.answer.headers['idempotent-replayed']).toBe('true');
      expect(counts(again[i]!.rows)).toEqual({ users: 0, memberships: 0, sessions: 0, sso_token_uses: 0, events: 0, idempotency_keys: 0 });
    }
  });

  it('REST POST /-/api/ssotoken/create: the route’s JSON and headers, and its sso_token.created event', async () => {
    const { server: s, floor: f } = await compare('/rest', '/-/api/ssotoken/create', auth(), () => ({
      body: JSON.stringify({ username: seed.username }),
    }));
    expect(JSON.parse(f.answer.text).data.requireConfirmation).toBe(false);
    expect(eventTypes(f.rows)).toEqual(eventTypes(s.rows));
    expect(eventTypes(s.rows)).toEqual(['sso_token.created']);
  });
});
