/** The typed client's event-feed iterator against a real server process: pages, resuming, following, stopping. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FeedEvent, type ResponseEvent, TeamApiError } from '../../client/src/index.ts';
import { type RunningApi, startApi } from './running-api.ts';

const USERS = ['feed-a', 'feed-b', 'feed-c', 'feed-d', 'feed-e', 'feed-f', 'feed-g'];

let api: RunningApi;
beforeAll(async () => {
  api = await startApi();
  const results = await api.backend().createUsers(USERS.map((username) => ({ username, email: `${username}@example.com` })));
  expect(results.every((r) => r.__typename === 'CreateUserSuccess')).toBe(true);
  await api.database.t.feedCaughtUp(); // On PostgreSQL an event is listed once older transactions have ended.
}, 60_000);
afterAll(async () => {
  await api?.close();
});

async function collect(feed: AsyncIterable<FeedEvent>): Promise<FeedEvent[]> {
  const events: FeedEvent[] = [];
  for await (const event of feed) events.push(event);
  return events;
}

const createdName = (event: FeedEvent) => JSON.parse(event.data).username as string;

describe('eventFeed', () => {
  it('reads the feed to its end, page after page, oldest first', async () => {
    const pages: ResponseEvent[] = [];
    const client = api.backend({ onResponse: (event) => pages.push(event) });
    const events = await collect(client.eventFeed({ types: ['user.created'], pageSize: 2 }));
    expect(events.map(createdName)).toEqual(USERS);
    expect(pages.length).toBe(Math.ceil(USERS.length / 2));
    expect(new Set(events.map((e) => e.cursor)).size).toBe(USERS.length);
  });

  it('resumes after a saved cursor with what came after it', async () => {
    const client = api.backend();
    const all = await collect(client.eventFeed({ types: ['user.created'], pageSize: 3 }));
    const resumed = await collect(client.eventFeed({ types: ['user.created'], pageSize: 3, after: all[2]!.cursor }));
    expect(resumed.map(createdName)).toEqual(USERS.slice(3));
    expect(await collect(client.eventFeed({ types: ['user.created'], after: all.at(-1)!.cursor }))).toEqual([]);
  });

  it('follows: new events arrive as they happen, and the signal ends the loop', async () => {
    const backend = api.backend();
    const all = await collect(backend.eventFeed({ types: ['user.created'] }));
    const controller = new AbortController();
    const received: string[] = [];
    const following = (async () => {
      for await (const event of backend.eventFeed({
        types: ['user.created'],
        after: all.at(-1)!.cursor,
        follow: true,
        pollIntervalMs: 50,
        signal: controller.signal,
      })) {
        received.push(createdName(event));
        if (received.length === 2) controller.abort();
      }
      return 'ended';
    })();
    for (const username of ['late-one', 'late-two']) {
      expect((await backend.createUser({ username, email: `${username}@example.com` })).__typename).toBe('CreateUserSuccess');
    }
    expect(await following).toBe('ended');
    expect(received).toEqual(['late-one', 'late-two']);
  });

  it('stops when its signal aborts while it waits for new events', async () => {
    const controller = new AbortController();
    const feed = api.backend().eventFeed({ follow: true, pollIntervalMs: 60_000, signal: controller.signal });
    const read: FeedEvent[] = [];
    const reading = (async () => {
      for await (const event of feed) read.push(event);
    })();
    // Everything there is gets read, then the feed waits a minute for more; the abort ends that wait.
    await api.database.t.feedCaughtUp();
    const total = (await api.backend().events({ first: 500 })).edges.length;
    while (read.length < total) await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    await reading;
    expect(read.length).toBe(total);
  });

  it('throws the request’s own failure, naming the argument', async () => {
    const error = await collect(api.backend().eventFeed({ since: 'not-a-date' })).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(TeamApiError);
    expect(error).toMatchObject({ code: 'InvalidInput', field: 'since' });
  });
});
