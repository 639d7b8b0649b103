/**
 * A real webhook receiver on loopback, for the webhook tests: it records every
 * delivery as it came (headers and raw body) and answers as the test says, and
 * checks each delivery with the `standardwebhooks` package, the spec's own library.
 * Also the GraphQL documents of API.md §14.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { EventRecord, Store } from '../../src/db/store.ts';
import { ERROR_FIELDS } from './documents.ts';

export interface Delivery {
  /** The endpoint path it was posted to (one receiver serves several endpoints). */
  path: string;
  id: string;
  timestamp: string;
  signature: string;
  headers: IncomingMessage['headers'];
  method: string;
  body: string;
  /** The parsed body: `{ type, timestamp, data }`. */
  payload: { type: string; timestamp: string; data: Record<string, any> };
}

/** How to answer a delivery: a status, never answer (the sender times out), or close the connection unanswered. */
export type Answer = number | 'hang' | 'close' | { status: number; headers?: Record<string, string>; body?: string; afterMs?: number };

export interface Receiver {
  origin: string;
  /** The URL of an endpoint path on this receiver. */
  url(path: string): string;
  /** Every delivery received, in arrival order. */
  deliveries: Delivery[];
  /** Deliveries to one path, in arrival order. */
  at(path: string): Delivery[];
  /** Waits until `check` holds (polling), or fails after `timeoutMs` with `what`. */
  waitFor(what: string, check: () => boolean, timeoutMs?: number): Promise<void>;
  /** Verifies every delivery to `path` with the `standardwebhooks` package; throws on the first that fails. */
  verifyAll(path: string, secret: string): void;
  close(): Promise<void>;
}

export async function startReceiver(answer: (delivery: Delivery, index: number) => Answer = () => 204): Promise<Receiver> {
  const deliveries: Delivery[] = [];
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let payload: Delivery['payload'];
      try {
        payload = JSON.parse(body);
      } catch {
        payload = { type: '(not JSON)', timestamp: '', data: {} };
      }
      const delivery: Delivery = {
        path: req.url ?? '',
        id: String(req.headers['webhook-id'] ?? ''),
        timestamp: String(req.headers['webhook-timestamp'] ?? ''),
        signature: String(req.headers['webhook-signature'] ?? ''),
        headers: req.headers,
        method: req.method ?? '',
        body,
        payload,
      };
      deliveries.push(delivery);
      const reply = answer(delivery, deliveries.length - 1);
      if (reply === 'hang') {
        hanging.add(res);
        return;
      }
      if (reply === 'close') {
        req.socket.destroy();
        return;
      }
      const { status, headers, body: text, afterMs } = typeof reply === 'number' ? { status: reply, headers: {}, body: '', afterMs: 0 } : reply;
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(status, headers);
        res.end(text ?? '');
      };
      if (afterMs) {
        // A slow receiver: answers later, unless the connection is gone by then.
        hanging.add(res);
        setTimeout(() => {
          hanging.delete(res);
          send();
        }, afterMs).unref();
      } else {
        send();
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: (path) => `${origin}${path}`,
    deliveries,
    at: (path) => deliveries.filter((d) => d.path === path),
    async waitFor(what, check, timeoutMs = 60_000) {
      const giveUpAt = Date.now() + timeoutMs;
      while (!check()) {
        if (Date.now() > giveUpAt) throw new Error(`receiver: ${what} did not happen within ${timeoutMs} ms (${deliveries.length} deliveries)`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    verifyAll(path, secret) {
      const webhook = new Webhook(secret);
      for (const d of deliveries.filter((x) => x.path === path)) {
        webhook.verify(d.body, { 'webhook-id': d.id, 'webhook-timestamp': d.timestamp, 'webhook-signature': d.signature });
      }
    },
    async close() {
      for (const res of hanging) res.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const WEBHOOK_ENDPOINT_FIELDS = 'id url types createdAt disabledAt';
export const WEBHOOK_DELIVERY_FIELDS = 'id eventId attempt attemptedAt status error nextAttemptAt';

export const CREATE_WEBHOOK_ENDPOINT = `mutation CreateWebhookEndpoint($url: String!, $types: [String!]) {
  createWebhookEndpoint(url: $url, types: $types) {
    __typename
    ... on CreateWebhookEndpointSuccess { secret endpoint { ${WEBHOOK_ENDPOINT_FIELDS} } }
    ${ERROR_FIELDS}
  }
}`;

export const DELETE_WEBHOOK_ENDPOINT = `mutation DeleteWebhookEndpoint($id: ID!) {
  deleteWebhookEndpoint(id: $id) {
    __typename
    ... on DeleteWebhookEndpointSuccess { id }
    ${ERROR_FIELDS}
  }
}`;

export const WEBHOOK_ENDPOINTS = `query WebhookEndpoints($first: Int) {
  webhookEndpoints { ${WEBHOOK_ENDPOINT_FIELDS} deliveries(first: $first) { ${WEBHOOK_DELIVERY_FIELDS} } }
}`;

/** What a server under a webhook test runs with: loopback receivers allowed, and retries and timeouts of a second. */
export const WEBHOOK_TEST_ENV: Record<string, string> = {
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
  WEBHOOK_RETRY_SECONDS: '1,1,1',
  WEBHOOK_TIMEOUT_SECONDS: '1',
};

/** Polls `read` until `check` holds of its value; returns that value, or fails naming `what` after `timeoutMs`. */
export async function eventually<T>(what: string, read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > giveUpAt) throw new Error(`${what} did not happen within ${timeoutMs} ms; last seen: ${JSON.stringify(value).slice(0, 2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The group's events in feed order (waiting for the feed to show every commit first). */
export async function feedOf(store: Store, groupSlug: string): Promise<EventRecord[]> {
  if (!(await store.feedCaughtUp(30_000))) throw new Error('the event feed did not catch up within 30 s');
  const group = await store.findGroupBySlug(groupSlug);
  return store.listEvents(group!.id, { after: null, types: null, since: null, limit: 100_000 });
}

/**
 * The events an endpoint must receive: those of `types` (all when null) from its own
 * webhook_endpoint.created on, in feed order.
 */
export function dueTo(feed: EventRecord[], endpointId: string, types: string[] | null): EventRecord[] {
  const start = feed.findIndex((e) => e.type === 'webhook_endpoint.created' && e.target.id === endpointId);
  if (start < 0) throw new Error(`no webhook_endpoint.created for ${endpointId} in the feed`);
  return feed.slice(start).filter((e) => types === null || types.includes(e.type));
}

/**
 * Checks what arrived at one endpoint against what was due: every event at least
 * once, nothing else, and never an event before all of the ones before it (a
 * redelivery after a crash may repeat earlier ones, but never skips ahead).
 */
export function expectDeliveredInOrder(arrived: Array<{ id: string }>, due: EventRecord[]): void {
  const index = new Map(due.map((e, i) => [e.id, i]));
  const strangers = arrived.filter((d) => !index.has(d.id)).map((d) => d.id);
  if (strangers.length > 0) throw new Error(`delivered events that were not due: ${strangers.join(', ')}`);
  let highest = -1;
  for (const [position, d] of arrived.entries()) {
    const i = index.get(d.id)!;
    if (i > highest + 1) throw new Error(`delivery ${position} is due event ${i}, but event ${highest + 1} had not arrived yet`);
    highest = Math.max(highest, i);
  }
  const missing = due.filter((e) => !arrived.some((d) => d.id === e.id)).map((e) => `${e.type} ${e.id}`);
  if (missing.length > 0) throw new Error(`never delivered: ${missing.join(', ')}`);
}
