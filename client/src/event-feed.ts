/** Following the event feed (API.md §13): page after page from a cursor, and on, polling, when asked to. */
import type { CallOptions, EventsOptions } from './options.js';
import { sleep } from './retries.js';
import type { Event, EventConnection } from './types.js';

/** An event of the feed with its position: pass `cursor` as `after` to resume after it. */
export type FeedEvent = Event & { cursor: string };

export interface EventFeedOptions {
  /** The cursor to start after (a `FeedEvent.cursor` or `pageInfo.endCursor` you saved); from the oldest event when left out. */
  after?: string;
  /** Only events of these types. */
  types?: string[];
  /** ISO-8601: only events that occurred at or after it. */
  since?: string;
  /** Events asked for per request (default 100, at most 500). */
  pageSize?: number;
  /** Keep asking for new events once the feed is read to its end (default false: stop there). */
  follow?: boolean;
  /** The wait between two requests that found nothing new, when following (default 5000 ms). */
  pollIntervalMs?: number;
  /** Stops the feed: the `for await` loop ends, also while it waits or a request is in flight. */
  signal?: AbortSignal;
}

type ReadPage = (query: EventsOptions, options: CallOptions) => Promise<EventConnection>;

export async function* readEventFeed(readPage: ReadPage, options: EventFeedOptions): AsyncGenerator<FeedEvent, void, undefined> {
  const { types, since, signal } = options;
  const first = options.pageSize ?? 100;
  const pollIntervalMs = options.pollIntervalMs ?? 5000;
  let after = options.after;
  while (!signal?.aborted) {
    let page: EventConnection;
    try {
      page = await readPage({ first, after, types, since }, { signal });
    } catch (error) {
      if (signal?.aborted) return;
      throw error;
    }
    for (const { cursor, node } of page.edges) {
      yield { ...node, cursor };
      if (signal?.aborted) return;
    }
    // With nothing new, the server hands back the `after` it was given.
    after = page.pageInfo.endCursor ?? after;
    if (page.pageInfo.hasNextPage) continue;
    if (!options.follow) return;
    try {
      await sleep(pollIntervalMs, signal);
    } catch {
      return; // Aborted while waiting.
    }
  }
}
