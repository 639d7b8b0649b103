/**
 * One delivery attempt over HTTP, per Standard Webhooks 1.0: the signed POST, the
 * answer read as little as needed, and an outcome to record. Each endpoint has
 * its own keep-alive agent (one connection, since an endpoint has one delivery in
 * flight), and every new connection goes through the guarded lookup, so the
 * address connected to is the address checked. What stays the same from one
 * delivery to the next (the URL parsed and checked, the request's options, the
 * signing key) is worked out once per endpoint.
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { urlToHttpOptions } from 'node:url';
import type { WebhookConfig } from '../config/config.ts';
import type { EventRecord, NewWebhookEndpoint } from '../db/store.ts';
import { literalRefused } from '../domain/webhook-destinations.ts';
import { iso } from '../time.ts';
import { guardedLookup } from './destinations.ts';

/** What the error of an attempt may say at most (API.md §14). */
export const ERROR_MAX = 200;
/** Bytes of an answer's body read (to keep the connection); a longer body closes it. */
const BODY_READ_MAX = 16 * 1024;

export const USER_AGENT = 'Team-API-Webhooks/1.0';

export interface AttemptOutcome {
  /** Delivered: a 2xx answer. */
  ok: boolean;
  /** Cut off by `abortAll` (the worker is stopping): no outcome to record; the event goes again later. */
  aborted?: boolean;
  status: number | null;
  error: string | null;
}

type Destination = Pick<NewWebhookEndpoint, 'id' | 'url' | 'secret'>;

/**
 * The body of an event's delivery: `{"type","timestamp","data"}`, data being the
 * event's data and its target. The stored data is the JSON this server wrote for an
 * object, so the target is joined to its text; data that already has a key named
 * `target` (which the target replaces) goes the long way, through a parse.
 */
export function payloadOf(event: EventRecord): string {
  const target = JSON.stringify(event.target);
  const { data } = event;
  let joined: string;
  if (data === '{}') joined = `{"target":${target}}`;
  else if (data.charCodeAt(0) === 0x7b && data.charCodeAt(data.length - 1) === 0x7d && !data.includes('"target"')) {
    joined = `${data.slice(0, -1)},"target":${target}}`;
  } else joined = JSON.stringify({ ...(JSON.parse(data) as Record<string, unknown>), target: event.target });
  return `{"type":${JSON.stringify(event.type)},"timestamp":"${iso(event.occurredAt)}","data":${joined}}`;
}

/** The key a destination's signatures are made with: its secret's base64-decoded bytes. */
export function signingKeyOf(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret.replace(/^whsec_/, ''), 'base64'));
}

/** `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed with the secret's base64-decoded bytes. */
export function signatureOf(key: string | KeyObject, id: string, timestamp: number, body: string): string {
  const secret = typeof key === 'string' ? signingKeyOf(key) : key;
  return `v1,${createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** Text fit for the `error` of an attempt: one line, at most ERROR_MAX characters. */
export function errorText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim().slice(0, ERROR_MAX);
}

/**
 * What is known of a destination before any request: its URL parsed and checked, the
 * request's options with its own keep-alive agent, and its signing key. Made on its
 * first delivery and kept while its URL and secret stay the same.
 */
type Route = { url: string; secret: string } & (
  | {
      /** Why nothing can be sent to it: an invalid URL, or a refused address literal. */
      refusal: string;
    }
  | {
      refusal: null;
      client: typeof http | typeof https;
      options: http.RequestOptions;
      agent: http.Agent;
      key: KeyObject;
    }
);

export class WebhookSender {
  private readonly routes = new Map<string, Route>();
  /** Requests in flight, so that a stopping worker can cut them off. */
  private readonly inFlight = new Map<http.ClientRequest, () => void>();
  private readonly lookup;

  constructor(private readonly config: WebhookConfig) {
    this.lookup = guardedLookup(config.allowPrivateNetworks);
  }

  /** Posts the event to the destination once; never throws. */
  async send(destination: Destination, event: EventRecord): Promise<AttemptOutcome> {
    const route = this.routeOf(destination);
    if (route.refusal !== null) return { ok: false, status: null, error: route.refusal };
    const body = payloadOf(event);
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': event.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureOf(route.key, event.id, timestamp, body),
      'content-length': String(Buffer.byteLength(body)),
    };
    return new Promise<AttemptOutcome>((resolve) => {
      let settled = false;
      const settle = (outcome: AttemptOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inFlight.delete(request);
        resolve(outcome);
      };
      const request = route.client.request({ ...route.options, headers });
      this.inFlight.set(request, () => {
        settle({ ok: false, aborted: true, status: null, error: null });
        request.destroy();
      });
      const timer = setTimeout(() => {
        settle({ ok: false, status: null, error: `no answer within ${this.config.timeoutMs / 1000} s` });
        request.destroy();
      }, this.config.timeoutMs);
      request.on('error', (error: NodeJS.ErrnoException) => {
        const refused = error.code === 'WEBHOOK_DESTINATION_REFUSED';
        settle({ ok: false, status: null, error: errorText(refused ? `refused: ${error.message}` : describeError(error)) });
      });
      request.on('response', (response) => {
        const status = response.statusCode ?? 0;
        let text = '';
        let read = 0;
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          read += chunk.length;
          if (text.length < ERROR_MAX) text += chunk.slice(0, ERROR_MAX);
          // A long answer is not worth reading for a status: drop the connection instead.
          if (read > BODY_READ_MAX) response.destroy();
        });
        const done = () => settle(outcomeOf(status, text));
        response.on('end', done);
        response.on('close', done);
        response.on('error', done);
      });
      request.end(body);
    });
  }

  /** Forgets an endpoint's connection (it was deleted, disabled or handed to another instance). */
  drop(endpointId: string): void {
    const route = this.routes.get(endpointId);
    if (route) dropRoute(route);
    this.routes.delete(endpointId);
  }

  /** Cuts off every request in flight; each resolves as `aborted`. */
  abortAll(): void {
    for (const abort of [...this.inFlight.values()]) abort();
  }

  close(): void {
    this.abortAll();
    for (const route of this.routes.values()) dropRoute(route);
    this.routes.clear();
  }

  private routeOf(destination: Destination): Route {
    const known = this.routes.get(destination.id);
    if (known && known.url === destination.url && known.secret === destination.secret) return known;
    if (known) dropRoute(known);
    const route = this.newRoute(destination);
    this.routes.set(destination.id, route);
    return route;
  }

  private newRoute({ url: text, secret }: Destination): Route {
    const refused = (refusal: string): Route => ({ url: text, secret, refusal });
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return refused('invalid URL');
    }
    if (literalRefused(url, this.config.allowPrivateNetworks)) {
      return refused(errorText(`refused: ${url.hostname} is a non-public address`));
    }
    const client = url.protocol === 'https:' ? https : http;
    // One connection, since an endpoint has one delivery in flight.
    const agent = new client.Agent({ keepAlive: true, maxSockets: 1 });
    const options: http.RequestOptions = { ...urlToHttpOptions(url), method: 'POST', agent, lookup: this.lookup };
    return { url: text, secret, refusal: null, client, options, agent, key: signingKeyOf(secret) };
  }
}

/** Closes a route's connection, if it has one. */
function dropRoute(route: Route): void {
  if (route.refusal === null) route.agent.destroy();
}

function outcomeOf(status: number, text: string): AttemptOutcome {
  if (status >= 200 && status < 300) return { ok: true, status, error: null };
  const what = status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`;
  const detail = errorText(text);
  return { ok: false, status, error: errorText(detail ? `${what}: ${detail}` : what) };
}

function describeError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset before an answer';
    case 'ENOTFOUND':
      return 'host not found';
    case 'EAI_AGAIN':
      return 'host name lookup failed';
    default:
      return error.code ? `${error.code}: ${error.message}` : error.message;
  }
}
