/**
 * Remembered outcomes keep their secrets (API.md §11, docs/retries-and-bulk.md): after
 * a keyed createSSOToken or createWebhookEndpoint the database holds no SSO token, no
 * `whsec_` secret as an outcome, no raw key, no request fingerprint anyone could check
 * a guess against; the key's holder still gets the same answer again, another key
 * reads nothing, and a tampered outcome fails closed (a masked InternalError).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { requestFingerprint } from '../../src/domain/idempotency.ts';
import { SealingKey, UnreadableOutcome } from '../../src/domain/sealed-outcomes.ts';
import { consoleApp, formTokenOf, hiddenField, open, post, shownSecret, textOf } from '../support/console.ts';
import { CREATE_SSO_TOKEN } from '../support/documents.ts';
import { acmeApp, envelopeOf, type GroupSeed, type TestApp } from '../support/harness.ts';
import { postJson } from '../support/rest.ts';

let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

const SEALED = /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22,}$/;
const CREATE_WEBHOOK = `mutation ($url: String!) { createWebhookEndpoint(url: $url) {
  __typename ... on CreateWebhookEndpointSuccess { secret endpoint { id url } } ... on Error { code } } }`;

/** A fresh app on a database other processes could open too (a file on SQLite, whose bytes the tests read). */
async function setup(env: Record<string, string> = {}): Promise<{ app: TestApp; acme: GroupSeed; token: string }> {
  const made = await acmeApp({ shared: true, env });
  t = made.t;
  return { app: made.t, acme: made.acme, token: made.token };
}

/** POSTs a GraphQL document with the API token and the key; the raw answer. */
async function keyed(app: TestApp, token: string, key: string, query: string, variables: Record<string, unknown>) {
  const res = await app.request('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** A value as text, whatever the driver gives (a BLOB as its bytes). */
const textOfValue = (value: unknown) => (Buffer.isBuffer(value) ? value.toString('latin1') : String(value));

/** Every value of every row of every table, `table.column=value` a line, less the columns `except` names. */
async function databaseText(app: TestApp, except: string[] = []): Promise<string> {
  const tables = await app.rows(
    app.dialect === 'sqlite'
      ? `SELECT name FROM sqlite_master WHERE type = 'table'`
      : `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
  );
  const lines: string[] = [];
  for (const { name } of tables) {
    for (const row of await app.rows(`SELECT * FROM "${String(name)}"`)) {
      for (const [column, value] of Object.entries(row)) {
        if (!except.includes(`${String(name)}.${column}`)) lines.push(`${String(name)}.${column}=${textOfValue(value)}`);
      }
    }
  }
  return lines.join('\n');
}

/** The idempotency table's text columns, each row as it is stored. */
async function idempotencyRows(app: TestApp) {
  return (await app.rows(`SELECT group_id, key, field, fingerprint, outcome FROM idempotency_keys`)) as Array<Record<string, string>>;
}

/** On SQLite, every byte of the database's files (main file, WAL, shared memory), as latin1 text; '' on PostgreSQL. */
function fileBytes(app: TestApp): string {
  if (app.dialect !== 'sqlite') return '';
  const file = app.databaseUrl.replace(/^file:/, '');
  const dir = dirname(file);
  return readdirSync(dir)
    .map((name) => readFileSync(join(dir, name)).toString('latin1'))
    .join('\n');
}

/** Sets the stored outcome of the only row of `key`'s lookup; returns how many rows changed. */
async function setOutcome(app: TestApp, lookup: string, outcome: string): Promise<number> {
  const rows = await app.rows(`UPDATE idempotency_keys SET outcome = '${outcome}' WHERE key = '${lookup}' RETURNING key`);
  return rows.length;
}

/** The same stored value with one base64url character of its ciphertext changed. */
function tampered(sealed: string): string {
  const at = sealed.length - 20;
  return sealed.slice(0, at) + (sealed[at] === 'A' ? 'B' : 'A') + sealed.slice(at + 1);
}

const eventCount = async (app: TestApp, type: string) =>
  Number((await app.rows(`SELECT count(*) AS n FROM events WHERE type = '${type}'`))[0]!.n);

describe('a keyed createSSOToken', () => {
  it('leaves neither the token nor the key in the database, and replays the same token to the key', async () => {
    const { app, acme, token } = await setup();
    await acme.user('alice');
    const key = `mint-${'k7Qz'.repeat(6)}`;
    const first = await keyed(app, token, key, CREATE_SSO_TOKEN, { username: 'alice' });
    const minted = JSON.parse(first.text).data.createSSOToken;
    expect(minted.token).toMatch(/^eyJ/);
    const signature = minted.token.split('.')[2] as string;

    const rows = await idempotencyRows(app);
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.outcome).toMatch(SEALED);
    expect(row.key).toBe(new SealingKey(acme.group.id, key).lookup);
    expect(row.key).not.toBe(key);
    // The fingerprint is no plain digest of the request: a guess cannot be checked against it.
    const guess = requestFingerprint('POST /graphql', [CREATE_SSO_TOKEN, { username: 'alice' }, null]);
    for (const value of Object.values(row)) {
      for (const needle of [minted.token, signature, minted.loginUrl, key, guess]) expect(value).not.toContain(needle);
    }
    const everything = await databaseText(app);
    for (const needle of [minted.token, signature, key]) expect(everything).not.toContain(needle);
    const bytes = fileBytes(app);
    if (app.dialect === 'sqlite') expect(bytes.length).toBeGreaterThan(4096);
    for (const needle of [minted.token, signature, key]) expect(bytes.includes(needle), needle).toBe(false);

    const again = await keyed(app, token, key, CREATE_SSO_TOKEN, { username: 'alice' });
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await eventCount(app, 'sso_token.created')).toBe(1);
  });

  it('on REST too: the same token again to the key, nothing of it stored', async () => {
    const { app, acme, token } = await setup();
    await acme.user('alice');
    const mint = () => postJson(app, '/-/api/ssotoken/create', { username: 'alice' }, { token, headers: { 'idempotency-key': 'rest-mint-1' } });
    const first = await mint();
    expect(first.status).toBe(200);
    const again = await mint();
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const everything = await databaseText(app);
    expect(everything).not.toContain(first.body.token);
    expect(everything).not.toContain('rest-mint-1');
    expect(fileBytes(app).includes(first.body.token)).toBe(false);
  });

  it('gives another key nothing of it: the same request mints afresh, and the sealed outcome moved under another key does not open', async () => {
    const { app, acme, token } = await setup();
    await acme.user('alice');
    const first = JSON.parse((await keyed(app, token, 'key-of-a', CREATE_SSO_TOKEN, { username: 'alice' })).text).data.createSSOToken;
    const other = await keyed(app, token, 'key-of-b', CREATE_SSO_TOKEN, { username: 'alice' });
    expect(other.headers.get('idempotent-replayed')).toBeNull();
    expect(JSON.parse(other.text).data.createSSOToken.token).not.toBe(first.token);

    // Whoever can write the database and holds key C moves A's sealed outcome under C's lookup.
    const a = new SealingKey(acme.group.id, 'key-of-a');
    const c = new SealingKey(acme.group.id, 'key-of-c');
    const [row] = (await app.rows(`SELECT * FROM idempotency_keys WHERE key = '${a.lookup}'`)) as Array<Record<string, unknown>>;
    const copy = async (fingerprint: string) => {
      await app.rows(`DELETE FROM idempotency_keys WHERE key = '${c.lookup}' RETURNING key`);
      await app.rows(
        `INSERT INTO idempotency_keys (group_id, key, field, fingerprint, outcome, created_at, expires_at)
         VALUES ('${String(row!.group_id)}', '${c.lookup}', '${String(row!.field)}', '${fingerprint}', '${String(row!.outcome)}', ${String(row!.created_at)}, ${String(row!.expires_at)})
         RETURNING key`,
      );
    };
    // As it was: its fingerprint is A's, so C's request does not match it.
    await copy(String(row!.fingerprint));
    const reused = await keyed(app, token, 'key-of-c', CREATE_SSO_TOKEN, { username: 'alice' });
    expect(reused.status).toBe(422);
    expect(JSON.parse(reused.text).errors[0].extensions.error).toEqual(envelopeOf('IdempotencyKeyReused'));
    expect(reused.text).not.toContain(first.token);
    // With C's own fingerprint beside it: the outcome does not open under C's key.
    await copy(c.fingerprint(requestFingerprint('POST /graphql', [CREATE_SSO_TOKEN, { username: 'alice' }, null])));
    const unreadable = await keyed(app, token, 'key-of-c', CREATE_SSO_TOKEN, { username: 'alice' });
    expect(unreadable.status).toBe(500);
    expect(JSON.parse(unreadable.text).errors[0].extensions.error).toEqual(envelopeOf('InternalError'));
    expect(unreadable.text).not.toContain(first.token);
    expect(await eventCount(app, 'sso_token.created')).toBe(2);
  });

  it('fails closed on a tampered outcome: a masked InternalError, never another answer, nothing run again', async () => {
    const { app, acme, token } = await setup();
    await acme.user('alice');
    const lookup = new SealingKey(acme.group.id, 'k-tamper').lookup;
    const first = await keyed(app, token, 'k-tamper', CREATE_SSO_TOKEN, { username: 'alice' });
    const minted = JSON.parse(first.text).data.createSSOToken.token as string;
    const [{ outcome }] = (await idempotencyRows(app)) as [{ outcome: string }];
    const [version, iv, sealed] = outcome.split('.') as [string, string, string];

    for (const bad of [
      tampered(outcome),
      `${version}.${iv.slice(0, -1)}${iv.endsWith('A') ? 'B' : 'A'}.${sealed}`,
      `${version}.${iv}.${sealed.slice(0, -22)}`,
      `v2.${iv}.${sealed}`,
      `${outcome}.`,
      JSON.stringify({ token: 'eyJforged', loginUrl: 'https://evil.example/', expiresAt: '2030-01-01T00:00:00.000Z' }),
      '',
    ]) {
      expect(await setOutcome(app, lookup, bad.replaceAll("'", "''"))).toBe(1);
      const res = await keyed(app, token, 'k-tamper', CREATE_SSO_TOKEN, { username: 'alice' });
      expect(res.status, bad).toBe(500);
      const body = JSON.parse(res.text);
      expect(body.data ?? null).toBeNull();
      expect(body.errors[0].extensions.error).toEqual(envelopeOf('InternalError'));
      expect(res.text).not.toMatch(/eyJ|evil|integrity|Unreadable|aes|gcm/i);
      expect(res.headers.get('idempotent-replayed')).toBeNull();
    }
    expect(await eventCount(app, 'sso_token.created')).toBe(1);
    // On REST: the same masked InternalError.
    const restLookup = new SealingKey(acme.group.id, 'k-tamper-rest').lookup;
    const rest = () => postJson(app, '/-/api/ssotoken/create', { username: 'alice' }, { token, headers: { 'idempotency-key': 'k-tamper-rest' } });
    expect((await rest()).status).toBe(200);
    const [stored] = await app.rows(`SELECT outcome FROM idempotency_keys WHERE key = '${restLookup}'`);
    await setOutcome(app, restLookup, tampered(String(stored!.outcome)));
    const refused = await rest();
    expect(refused.status).toBe(500);
    expect(refused.body).toEqual({ error: envelopeOf('InternalError') });
    // Restored, it replays again: the first token, to the key.
    await setOutcome(app, lookup, outcome);
    expect((await keyed(app, token, 'k-tamper', CREATE_SSO_TOKEN, { username: 'alice' })).text).toContain(minted);
  });

  it('does not let outcomes of one request trade places (each is sealed to its own field)', async () => {
    const { app, acme, token } = await setup();
    await acme.user('alice');
    await acme.user('bobby');
    const query = `mutation { a: createSSOToken(username: "alice") { ... on CreateSSOTokenSuccess { token } }
      b: createSSOToken(username: "bobby") { ... on CreateSSOTokenSuccess { token } } }`;
    const first = await keyed(app, token, 'k-two', query, {});
    expect(first.status).toBe(200);
    const lookup = new SealingKey(acme.group.id, 'k-two').lookup;
    const rows = (await app.rows(`SELECT field, outcome FROM idempotency_keys WHERE key = '${lookup}' ORDER BY field`)) as Array<{ field: string; outcome: string }>;
    expect(rows.map((r) => r.field)).toEqual(['a', 'b']);
    await app.rows(`UPDATE idempotency_keys SET outcome = '${rows[1]!.outcome}' WHERE key = '${lookup}' AND field = 'a' RETURNING key`);
    const swapped = await keyed(app, token, 'k-two', query, {});
    expect(swapped.status).toBe(500);
    expect(swapped.text).not.toContain(JSON.parse(first.text).data.b.token);
  });

  it('ignores rows written before outcomes were sealed (a raw key, a plain outcome): the request runs afresh', async () => {
    const { app, acme, token } = await setup();
    await acme.user('alice');
    const now = Date.now();
    const fingerprint = requestFingerprint('POST /graphql', [CREATE_SSO_TOKEN, { username: 'alice' }, null]);
    const old = JSON.stringify({ token: 'eyJold', loginUrl: 'http://acme.localhost:4000/old', expiresAt: '2030-01-01T00:00:00.000Z' });
    await app.rows(
      `INSERT INTO idempotency_keys (group_id, key, field, fingerprint, outcome, created_at, expires_at)
       VALUES ('${acme.group.id}', 'k-legacy', 'createSSOToken', '${fingerprint}', '${old}', ${now}, ${now + 86_400_000}) RETURNING key`,
    );
    const res = await keyed(app, token, 'k-legacy', CREATE_SSO_TOKEN, { username: 'alice' });
    expect(res.status).toBe(200);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
    expect(JSON.parse(res.text).data.createSSOToken.token).not.toBe('eyJold');
  });
});

describe('a keyed createWebhookEndpoint', () => {
  it('keeps the whsec_ secret only where the server signs with it, the key nowhere; the key replays it', async () => {
    const { app, token } = await setup({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    const key = `hook-${'Zq3x'.repeat(6)}`;
    const first = await keyed(app, token, key, CREATE_WEBHOOK, { url: 'http://127.0.0.1:9/hook' });
    const { secret } = JSON.parse(first.text).data.createWebhookEndpoint;
    expect(secret).toMatch(/^whsec_/);

    for (const row of await idempotencyRows(app)) {
      expect(row.outcome).toMatch(SEALED);
      for (const value of Object.values(row)) {
        for (const needle of [secret, secret.slice('whsec_'.length), 'whsec_', key]) expect(value).not.toContain(needle);
      }
    }
    // The endpoint's own row holds the secret (it signs deliveries); nothing else does.
    const everything = await databaseText(app, ['webhook_endpoints.secret']);
    for (const needle of [secret.slice('whsec_'.length), key]) expect(everything).not.toContain(needle);
    const bytes = fileBytes(app);
    for (const needle of [`"secret":"${secret}"`, key]) expect(bytes.includes(needle), needle).toBe(false);

    const again = await keyed(app, token, key, CREATE_WEBHOOK, { url: 'http://127.0.0.1:9/hook' });
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await app.count('webhook_endpoints')).toBe(1);

    const other = await keyed(app, token, `${key}-other`, CREATE_WEBHOOK, { url: 'http://127.0.0.1:9/hook' });
    expect(other.headers.get('idempotent-replayed')).toBeNull();
    expect(JSON.parse(other.text).data.createWebhookEndpoint.secret).not.toBe(secret);
  });

  it('in the console: the form key is stored only as its digest, and the form sent again still adds nothing', async () => {
    const made = await consoleApp({ shared: true });
    t = made.t;
    const { acme, adminCookie } = made;
    const page = await open(t, '/admin/webhooks', { host: acme.host, cookie: adminCookie });
    const formKey = hiddenField(page.text, 'formKey');
    const form: Array<[string, string]> = [
      ['csrfToken', formTokenOf(page.text)],
      ['formKey', formKey],
      ['url', 'https://93.184.215.14/hooks/sealed'],
    ];
    const added = await post(t, '/admin/webhooks', form, { host: acme.host, cookie: adminCookie });
    const secret = shownSecret(added.text)!;
    expect(secret).toMatch(/^whsec_/);
    const rows = await idempotencyRows(t);
    expect(rows.map((r) => r.key)).toEqual([new SealingKey(acme.group.id, `console:${formKey}`).lookup]);
    expect(await databaseText(t)).not.toContain(formKey);
    expect(fileBytes(t).includes(formKey)).toBe(false);
    const again = await post(t, '/admin/webhooks', form, { host: acme.host, cookie: adminCookie });
    expect(textOf(again.text, 'created-heading')).toBe('This webhook endpoint was created already');
    expect(again.text).not.toContain(secret);
  });
});

describe('SealingKey', () => {
  const key = new SealingKey('group-1', 'the-key');
  const fingerprint = key.fingerprint('request');

  it('opens what it sealed, for the same row only; a fresh IV each time', () => {
    const a = key.seal('field', fingerprint, '{"token":"x"}');
    const b = key.seal('field', fingerprint, '{"token":"x"}');
    expect(a).not.toBe(b);
    expect(a).toMatch(SEALED);
    expect(key.open('field', fingerprint, a)).toBe('{"token":"x"}');
    expect(new SealingKey('group-1', 'the-key').open('field', fingerprint, b)).toBe('{"token":"x"}');
    expect(() => key.open('other-field', fingerprint, a)).toThrow(UnreadableOutcome);
    expect(() => key.open('field', key.fingerprint('another request'), a)).toThrow(UnreadableOutcome);
    expect(() => new SealingKey('group-1', 'another-key').open('field', fingerprint, a)).toThrow(UnreadableOutcome);
    expect(() => new SealingKey('group-2', 'the-key').open('field', fingerprint, a)).toThrow(UnreadableOutcome);
    for (const bad of [tampered(a), `${a}A`, a.replace('v1.', 'v0.'), 'v1..', 'v1', '{"token":"x"}']) {
      expect(() => key.open('field', fingerprint, bad), bad).toThrow(UnreadableOutcome);
    }
  });

  it('tells keys and groups apart in the lookup and the fingerprint, and keeps the key out of both', () => {
    const lookups = new Set([key.lookup, new SealingKey('group-2', 'the-key').lookup, new SealingKey('group-1', 'the-key2').lookup]);
    expect(lookups.size).toBe(3);
    expect(key.lookup).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new SealingKey('group-1', 'another-key').fingerprint('request')).not.toBe(fingerprint);
    expect(key.fingerprint('request')).toBe(fingerprint);
    expect(fingerprint).not.toContain('request');
  });
});
