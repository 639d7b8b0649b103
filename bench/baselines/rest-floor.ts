/**
 * Baseline: the floor of `POST /-/api/ssotoken/create`. The route's essential work
 * written straight onto node:http and better-sqlite3, with nothing else: read the
 * JSON body, digest the bearer token and look it up with its group, look up the
 * member, sign an HS256 token, answer JSON. No shared request pipeline, no input
 * checks, no limits, no rate limiting: not a server anyone should run, but the
 * most any implementation of this route could reach on the machine. It reads the
 * server's seeded database (DATABASE_URL, SQLite only).
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import Database from 'better-sqlite3';
import { type ErrorCode, envelopeOf } from '../../src/errors/catalog.ts';

const db = new Database(process.env.DATABASE_URL!.replace(/^file:/, ''), { readonly: true });
const tokenByHash = db.prepare(
  `SELECT g.id, g.slug FROM api_tokens t JOIN groups g ON g.id = t.group_id
   WHERE t.token_hash = ? AND t.revoked_at IS NULL AND g.deleted_at IS NULL AND g.is_api_enabled = 1`,
);
const member = db.prepare(
  'SELECT u.username FROM users u JOIN memberships m ON m.user_id = u.id AND m.group_id = ? WHERE u.username = ?',
);
const key = Buffer.from(process.env.SSO_SECRET!);
const ttl = 600;
const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
const publicUrl = new URL(process.env.PUBLIC_URL ?? 'http://localhost:4000');
const port = Number(process.env.PORT ?? 4102);

function answer(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The catalog's envelope, as the server answers (the benchmark never sends a failing request). */
function refuse(res: ServerResponse, code: ErrorCode): void {
  answer(res, envelopeOf(code).status, { error: envelopeOf(code) });
}

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const { username } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { username?: unknown };
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const group = tokenByHash.get(createHash('sha256').update(bearer).digest('base64url')) as { id: string; slug: string } | undefined;
    if (!group) return refuse(res, 'InvalidApiToken');
    const found = typeof username === 'string' ? (member.get(group.id, username) as { username: string } | undefined) : undefined;
    if (!found) return refuse(res, 'NotGroupMember');
    const iat = Math.floor(Date.now() / 1000);
    const claims = { username: found.username, group: group.slug, jti: randomUUID(), iat, exp: iat + ttl };
    const signingInput = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const token = `${signingInput}.${createHmac('sha256', key).update(signingInput).digest('base64url')}`;
    const loginUrl = `${publicUrl.protocol}//${group.slug}.${publicUrl.host}/-/api/ssotoken/login?token=${token}`;
    answer(res, 200, { data: { token, loginUrl, expiresAt: new Date((iat + ttl) * 1000).toISOString() } });
  });
}).listen(port, '127.0.0.1', () => console.log(`listening on ${port}`));
