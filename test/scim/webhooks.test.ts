/**
 * SCIM changes reach the group's webhook endpoints (API.md §18 "so webhooks (§14)
 * carry them"): a real server process delivers, from the database it shares with
 * the test, to a real receiver on loopback that checks every delivery with the
 * `standardwebhooks` package, as the webhook tests in test/webhooks/ do. The identity
 * provider's requests go through app.fetch of an app on that same database.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventRecord } from '../../src/db/store.ts';
import { type RunningServer, startServer } from '../support/processes.ts';
import { patchOps, type ScimClient, scimClient, userBody } from '../support/scim.ts';
import { type ServerDatabase, serverDatabase } from '../support/server-database.ts';
import {
  CREATE_WEBHOOK_ENDPOINT,
  dueTo,
  eventually,
  expectDeliveredInOrder,
  feedOf,
  type Receiver,
  startReceiver,
  WEBHOOK_TEST_ENV,
} from '../support/webhooks.ts';

const TEAMAPI_USER = 'urn:ietf:params:scim:schemas:extension:teamapi:2.0:User';

let db: ServerDatabase | null = null;
let server: RunningServer | null = null;
let receiver: Receiver | null = null;

beforeEach(async () => {
  [db, receiver] = await Promise.all([serverDatabase(), startReceiver(() => 204)]);
  server = await startServer({ ...db.env, ...WEBHOOK_TEST_ENV });
}, 60_000);

afterEach(async () => {
  await server?.stop('SIGKILL');
  await receiver?.close();
  await db?.close();
  server = receiver = db = null;
});

/** Creates an endpoint of acme through the server (which starts its delivery thread for it). */
async function createEndpoint(path: string, types?: string[]): Promise<{ id: string; secret: string }> {
  const res = await server!.gql(CREATE_WEBHOOK_ENDPOINT, { host: 'localhost', token: db!.token, variables: { url: receiver!.url(path), types } });
  const created = res.body.data.createWebhookEndpoint;
  expect(created.__typename, JSON.stringify(res.body)).toBe('CreateWebhookEndpointSuccess');
  return { id: created.endpoint.id, secret: created.secret };
}

const dataOf = (event: EventRecord) => JSON.parse(event.data) as Record<string, unknown>;

describe('webhooks carrying SCIM changes', () => {
  it('an endpoint for member.suspended and directory_group.member_added receives them, signed, with data.via "scim"; one for all types every SCIM change', async () => {
    const { t, acme, token } = db!;
    const chosen = await createEndpoint('/chosen', ['member.suspended', 'directory_group.member_added']);
    const all = await createEndpoint('/all');

    // Another group's SCIM change first: it must reach neither endpoint (acme's arrive in order after it).
    const globex = await t.seed.group('globex');
    const theirs = scimClient(t, await globex.token());
    const stranger = await theirs.post('/Users', userBody('stranger@globex.example'));
    expect(stranger.status).toBe(201);
    expect((await theirs.patch(`/Users/${stranger.body.id}`, patchOps({ op: 'replace', value: { active: false } }))).status).toBe(200);

    // acme's identity provider: a user (signed in), deactivated as Entra ID does it, put in a directory group.
    const c: ScimClient = scimClient(t, token);
    const created = await c.post('/Users', userBody('hooked@example.com'));
    expect(created.status).toBe(201);
    const userId = created.body.id as string;
    const username = created.body[TEAMAPI_USER].username as string;
    expect(username).toBe('hooked');
    await acme.session(username);
    const off = await c.patch(`/Users/${userId}`, patchOps({ op: 'Replace', path: 'active', value: 'False' }));
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    const group = await c.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Engineering' });
    expect(group.status).toBe(201);
    const groupId = group.body.id as string;
    const added = await c.patch(`/Groups/${groupId}`, patchOps({ op: 'Add', path: 'members', value: [{ value: userId }] }));
    expect(added.status).toBe(200);

    // What the feed holds, and so what each endpoint is due.
    const feed = await feedOf(db!.db.store, 'acme');
    const suspended = feed.find((e) => e.type === 'member.suspended')!;
    const memberAdded = feed.find((e) => e.type === 'directory_group.member_added')!;
    const dueChosen = dueTo(feed, chosen.id, ['member.suspended', 'directory_group.member_added']);
    const dueAll = dueTo(feed, all.id, null);
    expect(dueChosen.map((e) => e.id)).toEqual([suspended.id, memberAdded.id]);

    await receiver!.waitFor('2 deliveries at /chosen', () => receiver!.at('/chosen').length >= 2, 30_000);
    await receiver!.waitFor(`${dueAll.length} deliveries at /all`, () => receiver!.at('/all').length >= dueAll.length, 30_000);

    // /chosen: exactly the two SCIM events, in order, each as the feed has it, signed with its secret.
    const atChosen = receiver!.at('/chosen');
    expectDeliveredInOrder(atChosen, dueChosen);
    expect(atChosen.map((d) => d.id)).toEqual([suspended.id, memberAdded.id]);
    receiver!.verifyAll('/chosen', chosen.secret);
    expect(() => receiver!.verifyAll('/chosen', all.secret)).toThrow();
    expect(atChosen[0]!.payload).toEqual({
      type: 'member.suspended',
      timestamp: new Date(suspended.occurredAt).toISOString(),
      data: { username: 'hooked', sessionsEnded: 1, via: 'scim', target: { type: 'user', id: userId, name: 'hooked' } },
    });
    expect(atChosen[1]!.payload).toEqual({
      type: 'directory_group.member_added',
      timestamp: new Date(memberAdded.occurredAt).toISOString(),
      data: { userId, username: 'hooked', via: 'scim', target: { type: 'directory_group', id: groupId, name: 'Engineering' } },
    });

    // /all: every event due, in order, nothing of globex; every SCIM change among them says via "scim".
    const atAll = receiver!.at('/all');
    expectDeliveredInOrder(atAll, dueAll);
    receiver!.verifyAll('/all', all.secret);
    const scimTypes = atAll.filter((d) => d.payload.data.via === 'scim').map((d) => d.payload.type);
    expect(scimTypes).toEqual(['user.created', 'member.suspended', 'session.ended', 'directory_group.created', 'directory_group.member_added']);
    // The token's other act here, creating /all through GraphQL, is no SCIM change.
    const byToken = dueAll.filter((event) => event.actor.type === 'api_token');
    expect(byToken.filter((e) => dataOf(e).via !== 'scim').map((e) => e.type)).toEqual(['webhook_endpoint.created']);
    expect(byToken.filter((e) => dataOf(e).via === 'scim').map((e) => e.type)).toEqual(scimTypes);
    const ended = atAll.find((d) => d.payload.type === 'session.ended')!;
    expect(ended.payload.data).toMatchObject({ username: 'hooked', reason: 'suspended', via: 'scim' });
    const strangerIds = new Set([stranger.body.id]);
    for (const d of [...atAll, ...atChosen]) expect(strangerIds.has(d.payload.data.target?.id)).toBe(false);

    // The deliveries are recorded as done, 204 each.
    const endpoints = await eventually(
      'every delivery recorded',
      async () => (await server!.gql(`{ webhookEndpoints { id deliveries(first: 50) { eventId status } } }`, { host: 'localhost', token })).body.data.webhookEndpoints as Array<{ id: string; deliveries: Array<{ eventId: string; status: number }> }>,
      (list) => list.find((e) => e.id === chosen.id)?.deliveries.length === 2,
    );
    const recorded = endpoints.find((e) => e.id === chosen.id)!.deliveries;
    expect(recorded.map((d) => d.eventId).sort()).toEqual([suspended.id, memberAdded.id].sort());
    expect(recorded.map((d) => d.status)).toEqual([204, 204]);
  }, 90_000);
});
