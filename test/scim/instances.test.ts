/**
 * SCIM over real HTTP on two server processes sharing one database (a PostgreSQL
 * schema in the PostgreSQL half, one SQLite file in the other): what one instance
 * writes the other answers; races across them end with one winner and typed refusals;
 * concurrent member changes all land; the admin rule holds across instances; and a
 * webhook endpoint receives the SCIM changes with `data.via: "scim"`.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_CALLER } from '../../src/domain/events.ts';
import { type RunningServer, startServer } from '../support/processes.ts';
import { type ServerDatabase, serverDatabase } from '../support/server-database.ts';
import { CREATE_WEBHOOK_ENDPOINT, type Receiver, startReceiver, WEBHOOK_TEST_ENV } from '../support/webhooks.ts';
import { patchOps, userBody } from '../support/scim.ts';

const TEAMAPI_USER = 'urn:ietf:params:scim:schemas:extension:teamapi:2.0:User';
const HOST = 'acme.localhost';
const CREATE_SSO_TOKEN = `mutation ($username: String!) { createSSOToken(username: $username) { __typename ... on Error { code } } }`;

let db: ServerDatabase;
let a: RunningServer;
let b: RunningServer;
let receiver: Receiver;

beforeAll(async () => {
  [db, receiver] = await Promise.all([serverDatabase(), startReceiver()]);
  [a, b] = await Promise.all([startServer({ ...db.env, ...WEBHOOK_TEST_ENV }), startServer({ ...db.env, ...WEBHOOK_TEST_ENV })]);
}, 90_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await receiver?.close();
  await db?.close();
});

/** One SCIM request over node:http to an instance, with the group's API token. */
function scim(server: RunningServer, method: string, path: string, body?: unknown): Promise<{ status: number; headers: Record<string, unknown>; body: any }> {
  const headers: Record<string, string> = {
    host: `localhost:${server.port}`,
    authorization: `Bearer ${db.token}`,
    'content-type': 'application/scim+json',
    connection: 'close',
  };
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, path: `/scim/v2${path}`, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text === '' ? null : JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const filter = (f: string) => `/Users?filter=${encodeURIComponent(f)}`;

describe(`SCIM on two instances of one ${process.env.TEST_DATABASE === 'postgres' ? 'PostgreSQL' : 'SQLite'} database`, () => {
  it('a user created on A is found on B, deactivated on B, and refused a sign-in link on A', async () => {
    const created = await scim(a, 'POST', '/Users', userBody('pat@example.com'));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const username = created.body[TEAMAPI_USER].username as string;
    const found = await scim(b, 'GET', filter('userName eq "PAT@example.com"'));
    expect(found.status).toBe(200);
    expect(found.body.totalResults).toBe(1);
    expect(found.body.Resources.map((r: any) => r.id)).toEqual([id]);
    // Active, it gets a sign-in link on A: the refusal below is the deactivation's.
    const before = await a.gql(CREATE_SSO_TOKEN, { host: HOST, token: db.token, variables: { username } });
    expect(before.body.data.createSSOToken.__typename).toBe('CreateSSOTokenSuccess');
    const patched = await scim(b, 'PATCH', `/Users/${id}`, patchOps({ op: 'replace', value: { active: false } }));
    expect(patched.status).toBe(200);
    expect(patched.body.active).toBe(false);
    const read = await scim(a, 'GET', `/Users/${id}`);
    expect(read.status).toBe(200);
    expect(read.body.active).toBe(false);
    const minted = await a.gql(CREATE_SSO_TOKEN, { host: HOST, token: db.token, variables: { username } });
    expect(minted.body.data.createSSOToken).toEqual({ __typename: 'MemberSuspended', code: 'MemberSuspended' });
  }, 60_000);

  it('the same userName posted to both at once: one 201 and one 409 UsernameAlreadyExists, never a 500', async () => {
    for (let round = 0; round < 5; round++) {
      const userName = `race${round}@example.com`;
      const body = userBody(userName);
      const answers = await Promise.all([scim(a, 'POST', '/Users', body), scim(b, 'POST', '/Users', body)]);
      expect(answers.map((r) => r.status).sort(), `round ${round}: ${JSON.stringify(answers.map((r) => r.body))}`).toEqual([201, 409]);
      const refused = answers.find((r) => r.status === 409)!;
      expect(refused.body.scimType).toBe('uniqueness');
      expect(refused.headers['team-api-error-code']).toBe('UsernameAlreadyExists');
      // One user behind the name, as either instance sees it.
      const winner = answers.find((r) => r.status === 201)!.body.id;
      for (const server of [a, b]) {
        const found = await scim(server, 'GET', filter(`userName eq "${userName}"`));
        expect(found.body.Resources.map((r: any) => r.id)).toEqual([winner]);
      }
    }
  }, 60_000);

  it('concurrent member additions on both instances all land, each once', async () => {
    const many = Array.from({ length: 200 }, (_, i) => ({ email: `m${i}@example.com`, username: `member${i}` }));
    const ids = (await db.t.app.services.users.createMany(db.acme.group, many, CLI_CALLER)).map((u) => (u as { id: string }).id);
    const group = await scim(a, 'POST', '/Groups', { displayName: 'Everyone' });
    const parts = [0, 1, 2, 3].map((p) => ids.slice(p * 50, p * 50 + 50));
    const answers = await Promise.all(
      parts.map((part, p) =>
        scim(p % 2 ? b : a, 'PATCH', `/Groups/${group.body.id}?excludedAttributes=members`, patchOps({ op: 'add', path: 'members', value: part.map((value) => ({ value })) })),
      ),
    );
    expect(group.status).toBe(201);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    // Every member once (a sorted list equal to the ids has no duplicate), on either instance.
    for (const server of [a, b]) {
      const read = await scim(server, 'GET', `/Groups/${group.body.id}`);
      expect(read.status).toBe(200);
      expect(read.body.members.map((m: { value: string }) => m.value).sort()).toEqual([...ids].sort());
    }
    const [stored] = await db.rows(`SELECT count(*) AS n FROM directory_group_members WHERE directory_group_id = '${group.body.id}'`);
    expect(Number(stored!.n)).toBe(200);
    const [row] = await db.rows(`SELECT count(*) AS n FROM events WHERE type = 'directory_group.member_added'`);
    expect(Number(row!.n)).toBe(200);
  }, 60_000);

  it('two instances removing the two admins of the admin directory group at once: one succeeds, the group keeps an admin', async () => {
    const adminRows = () =>
      db.rows(`SELECT m.user_id AS id FROM memberships m JOIN groups g ON g.id = m.group_id WHERE g.slug = 'acme' AND m.role = 'admin' ORDER BY m.user_id`);
    const ids: string[] = [];
    for (const name of ['boss1@example.com', 'boss2@example.com']) {
      const created = await scim(a, 'POST', '/Users', userBody(name));
      expect(created.status).toBe(201);
      ids.push(created.body.id);
    }
    const group = await scim(a, 'POST', '/Groups', { displayName: 'Admins', members: ids.map((value) => ({ value })) });
    expect(group.status).toBe(201);
    await db.t.app.services.scim.setAdminDirectoryGroup(db.acme.group, group.body.id, CLI_CALLER);
    // The mapping made exactly the two of them the group's admins.
    expect((await adminRows()).map((r) => r.id)).toEqual([...ids].sort());

    const answers = await Promise.all(
      ids.map((id, i) => scim(i ? b : a, 'PATCH', `/Groups/${group.body.id}`, patchOps({ op: 'remove', path: `members[value eq "${id}"]` }))),
    );
    expect(answers.map((r) => r.status).sort(), JSON.stringify(answers.map((r) => r.body))).toEqual([200, 400]);
    const refused = answers.find((r) => r.status === 400)!;
    expect(refused.body.scimType).toBe('mutability');
    expect(refused.headers['team-api-error-code']).toBe('InvalidInput');
    // The one whose removal was refused is the admin left, and the directory group's only member.
    const kept = ids[answers.indexOf(refused)]!;
    expect((await adminRows()).map((r) => r.id)).toEqual([kept]);
    for (const server of [a, b]) {
      expect((await scim(server, 'GET', `/Groups/${group.body.id}`)).body.members.map((m: { value: string }) => m.value)).toEqual([kept]);
    }
  }, 60_000);

  it('a webhook endpoint receives SCIM changes, with data.via "scim"', async () => {
    const endpoint = await a.gql(CREATE_WEBHOOK_ENDPOINT, {
      host: 'acme.localhost',
      token: db.token,
      variables: { url: receiver.url('/scim'), types: ['member.suspended', 'directory_group.member_added'] },
    });
    expect(endpoint.body.data.createWebhookEndpoint.__typename).toBe('CreateWebhookEndpointSuccess');
    const user = await scim(b, 'POST', '/Users', userBody('hooked@example.com'));
    await scim(a, 'PATCH', `/Users/${user.body.id}`, patchOps({ op: 'Replace', path: 'active', value: 'False' }));
    const group = await scim(b, 'POST', '/Groups', { displayName: 'Hooked' });
    await scim(a, 'PATCH', `/Groups/${group.body.id}`, patchOps({ op: 'Add', path: 'members', value: [{ value: user.body.id }] }));
    await receiver.waitFor('two SCIM deliveries', () => receiver.at('/scim').length >= 2, 30_000);
    const payloads = receiver.at('/scim').map((d) => d.payload);
    expect(payloads.map((p) => p.type)).toEqual(['member.suspended', 'directory_group.member_added']);
    for (const p of payloads) expect(p.data.via).toBe('scim');
    expect(payloads[0]!.data).toMatchObject({ username: 'hooked', sessionsEnded: 0, target: { type: 'user', id: user.body.id } });
    expect(payloads[1]!.data).toMatchObject({ userId: user.body.id, target: { type: 'directory_group', id: group.body.id, name: 'Hooked' } });
  }, 60_000);

  it('neither instance answered a 5xx or logged an error while all this ran', () => {
    for (const server of [a, b]) {
      const lines = server.output().split('\n').filter((l) => l.startsWith('{'));
      expect(lines.length).toBeGreaterThan(0);
      const bad = lines.map((l) => JSON.parse(l) as { level?: string; status?: number }).filter((e) => e.level === 'error' || e.level === 'fatal' || (e.status ?? 0) >= 500);
      expect(bad).toEqual([]);
    }
  });
});
