/** The storage port for webhooks (API.md §14): endpoints, their delivery state and attempts. */
import type { EventPosition, EventsOf, NewEvent } from './events.ts';

export interface WebhookEndpointRecord {
  id: string;
  groupId: string;
  url: string;
  /** The event types it receives; null for every type. */
  types: string[] | null;
  createdAt: number;
  disabledAt: number | null;
}

export interface NewWebhookEndpoint extends WebhookEndpointRecord {
  /** `whsec_…`: kept as is, since the server signs with it. */
  secret: string;
}

/** One delivery attempt of one event to one endpoint. */
export interface WebhookAttemptRecord {
  id: string;
  endpointId: string;
  eventId: string;
  /** The event's type, kept with the attempt so a list of attempts needs no look-up in the log. */
  eventType: string;
  /** 1 for the first attempt. */
  attempt: number;
  attemptedAt: number;
  /** The receiver's HTTP status; null when there was none (refused, timed out, connection failed). */
  status: number | null;
  /** At most 200 characters; null on success. */
  error: string | null;
  /** When the event is tried again; null when it is not (delivered, given up, endpoint disabled). */
  nextAttemptAt: number | null;
}

/** An endpoint as a delivery worker holds it, under a lease. */
export interface ClaimedWebhookEndpoint extends NewWebhookEndpoint {
  /** The feed position of the last event done (delivered or given up). */
  cursor: EventPosition;
  /** Attempts already made on the next matching event after the cursor. */
  headAttempts: number;
  nextAttemptAt: number | null;
  /**
   * Whether an event at this position committed before the endpoint was created
   * (possible past the cursor on PostgreSQL only): such events are not its to receive.
   */
  committedBeforeStart(position: EventPosition): boolean;
}

/** Where a worker got to with one endpoint; written only while its lease is held. */
export interface WebhookProgress {
  endpointId: string;
  /** The new cursor, when it moved. */
  cursor: EventPosition | null;
  headAttempts: number;
  nextAttemptAt: number | null;
  /** Set when a 410 answer disabled the endpoint. */
  disabledAt: number | null;
  /** Gives the lease up (waiting for a retry, disabled, or the worker stopping). */
  release: boolean;
}

export interface WebhookStore {
  /**
   * Inserts the endpoint with its events (and the key's outcome, when keyed); its
   * cursor starts at the feed's present, so it receives what commits after it (its
   * own `webhook_endpoint.created` first). IdempotentReplay when the key was used already.
   * When the group has `maxPerGroup` live endpoints already, nothing is written and the
   * answer is false; counted inside the write, so creates racing at the limit never pass it.
   */
  insertWebhookEndpoint(endpoint: NewWebhookEndpoint, events: NewEvent[], maxPerGroup: number): Promise<boolean>;
  /** Deletes one of the group's live endpoints; null (and no event) when there is none. */
  deleteWebhookEndpoint(
    groupId: string,
    id: string,
    at: number,
    events: EventsOf<WebhookEndpointRecord>,
  ): Promise<WebhookEndpointRecord | null>;
  /** Whether any group has a live, enabled endpoint: until one does, a server starts no delivery thread. */
  hasWebhookEndpoints(): Promise<boolean>;
  /** The group's live (not deleted) endpoints, oldest first. */
  listWebhookEndpoints(groupId: string): Promise<WebhookEndpointRecord[]>;
  /** The endpoint's latest attempts, newest first. */
  listWebhookAttempts(endpointId: string, limit: number): Promise<WebhookAttemptRecord[]>;
  /**
   * Leases up to `limit` live, enabled endpoints that no one holds (or whose lease
   * expired) and that are due at `now`, to `owner` for `leaseMs` (database time on
   * PostgreSQL); each endpoint goes to one caller, however many ask at once.
   * Round-robin by group (each group's first endpoint, then each one's second, …),
   * each group's least recently held first, and of a group at most `quotas.groups[groupId]`,
   * else `quotas.others`.
   */
  claimWebhookEndpoints(
    owner: string,
    leaseMs: number,
    limit: number,
    now: number,
    quotas?: { groups: Record<string, number>; others: number },
  ): Promise<ClaimedWebhookEndpoint[]>;
  /** How many endpoints of each group are waiting to be claimed at `now` (as claimWebhookEndpoints would find them). */
  waitingWebhookEndpoints(now: number): Promise<Record<string, number>>;
  /** Extends the owner's leases; returns the ids it still holds on live, enabled endpoints. */
  renewWebhookLeases(owner: string, leaseMs: number): Promise<string[]>;
  /**
   * Records attempts, and the progress of endpoints the owner still holds, in one
   * transaction (progress for a lease lost meanwhile is dropped: its new holder redoes
   * it). Returns the endpoints whose progress was dropped: deleted, or no longer held.
   */
  recordWebhookProgress(owner: string, progress: WebhookProgress[], attempts: WebhookAttemptRecord[]): Promise<string[]>;
  /** Whether the owner still holds the endpoint's lease, and the endpoint is live and enabled. */
  holdsWebhookEndpoint(owner: string, endpointId: string): Promise<boolean>;
  releaseWebhookLeases(owner: string): Promise<void>;
  /** Deletes attempts made before `before` (epoch ms); returns how many. */
  purgeWebhookAttempts(before: number): Promise<number>;
}
