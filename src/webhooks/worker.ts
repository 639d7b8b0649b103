/**
 * The webhook delivery worker (API.md §14): reads the event log and posts each
 * event to every live endpoint of its group whose types match, in event order per
 * endpoint, at least once, across crashes and instances.
 *
 * - Claims: a worker delivers to an endpoint only while it holds the endpoint's
 *   lease in the database (claimed so that one worker gets each endpoint, renewed
 *   by a heartbeat, released when it waits for a retry or stops). It starts an
 *   attempt only while the lease will outlast the attempt's timeout, so no two
 *   workers ever make the same attempt; a dead worker's leases expire and another
 *   (or the restarted one) takes over from the stored cursor.
 * - Fairness: at most WEBHOOK_WORKER_CAPACITY endpoints, shared between groups
 *   (claim below); an endpoint held past WEBHOOK_SLOT_SECONDS while others wait
 *   finishes its attempt and gives its place back.
 * - Order: one delivery in flight per endpoint; an event that fails holds back the
 *   later ones of that endpoint until it is delivered or given up. Endpoints never
 *   wait for each other.
 * - Durability: the cursor (the position of the last event done) and every attempt
 *   are written in batches; after a crash the events past the stored cursor are
 *   sent again (at least once: receivers dedupe by `webhook-id`).
 * - The events read are only those the feed shows (listEvents), so a transaction
 *   that commits late on PostgreSQL is never skipped by a cursor.
 *
 * Started and stopped by startWebhookDelivery (delivery.ts): on the delivery thread
 * (delivery-thread.ts), or on the server's own loop for an in-memory database.
 * Importing it starts nothing.
 */
import type { Config } from '../config/config.ts';
import type { EventRecord, Store, WebhookAttemptRecord, WebhookProgress } from '../db/store.ts';
import { newId } from '../ids.ts';
import type { Logger } from '../observability/logger.ts';
import type { WebhookDeliveryStats } from '../observability/metrics.ts';
import { type AttemptOutcome, WebhookSender } from './sender.ts';
import { fairShares, type Held } from './fair-shares.ts';

export interface WebhookWorkerDeps {
  store: Store;
  config: Config;
  /** Where failures of the worker itself are reported (never a secret); silent when left out. */
  logger?: Pick<Logger, 'error'>;
}

/** Endpoints claimed at most per claim round: small, so that instances starting together share them. */
const CLAIM_BATCH = 8;
/** How often due and unheld endpoints are looked for. */
const CLAIM_INTERVAL_MS = 250;
/** How often an endpoint with nothing to send looks for new events: from the first value, doubling up to the second. */
const IDLE_POLL_MS = [50, 1000] as const;
/** Events read per page for one endpoint. */
const PAGE = 200;
/**
 * After a page that was not full (the endpoint is caught up), how long events gather
 * before the next read: under a steady stream, a page of a few events instead of one
 * read (and one endpoint check) per event, for a few milliseconds of lag.
 */
const GATHER_MS = 10;
/** How long a stopping worker lets deliveries in flight finish before cutting them off (they go again later). */
const STOP_GRACE_MS = 2_000;
/** A worker holding all the endpoints it may gives back those idle this long, so others get their turn. */
const IDLE_RELEASE_MS = 30_000;
/** Progress is written at most this long after it is made, or once this many attempts are waiting. */
const FLUSH_MS = 100;
const FLUSH_MAX = 1000;

export function noAttempts(): WebhookDeliveryStats {
  return { delivered: 0, failed: 0, gaveUp: 0, disabled: 0 };
}

export function addAttempts(a: WebhookDeliveryStats, b: WebhookDeliveryStats): WebhookDeliveryStats {
  return { delivered: a.delivered + b.delivered, failed: a.failed + b.failed, gaveUp: a.gaveUp + b.gaveUp, disabled: a.disabled + b.disabled };
}

export class WebhookWorker {
  /** This worker's name on its leases. */
  readonly owner = newId();
  readonly stats: WebhookDeliveryStats = noAttempts();

  private readonly store: Store;
  private readonly config: Config;
  private readonly logger: Pick<Logger, 'error'> | null;
  private readonly sender: WebhookSender;
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  /** Endpoints this worker holds at most (each has at most one delivery in flight). */
  private readonly capacity: number;

  private readonly held = new Map<string, Held>();
  private readonly runners = new Set<Promise<void>>();
  private timers: NodeJS.Timeout[] = [];
  private started = false;
  private stopping = false;
  private claiming = false;
  private renewing = false;

  private pendingProgress = new Map<string, WebhookProgress>();
  private pendingAttempts: WebhookAttemptRecord[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(deps: WebhookWorkerDeps) {
    this.store = deps.store;
    this.config = deps.config;
    this.logger = deps.logger ?? null;
    this.sender = new WebhookSender(deps.config.webhooks);
    // Long enough for an attempt started just after a renewal, with heartbeats to spare.
    this.leaseMs = 2 * deps.config.webhooks.timeoutMs + 2_000;
    this.heartbeatMs = Math.floor(this.leaseMs / 6);
    this.capacity = deps.config.webhooks.workerCapacity;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const every = (ms: number, work: () => Promise<unknown>) => {
      const timer = setInterval(() => void work().catch((error: unknown) => this.report('webhook worker', error)), ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(CLAIM_INTERVAL_MS, () => this.claim());
    every(this.heartbeatMs, () => this.renew());
    void this.claim().catch((error: unknown) => this.report('webhook worker', error));
  }

  /**
   * Stops claiming, lets deliveries in flight finish (each is bounded by the
   * timeout), writes what is pending and gives the leases up for others to take.
   */
  async stop(): Promise<void> {
    if (!this.started || this.stopping) return;
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    for (const h of this.held.values()) h.wake?.();
    const grace = setTimeout(() => this.sender.abortAll(), STOP_GRACE_MS);
    await Promise.allSettled([...this.runners]);
    clearTimeout(grace);
    await this.flush();
    await this.store.releaseWebhookLeases(this.owner).catch((error: unknown) => this.report('releasing webhook leases', error));
    this.sender.close();
  }

  /**
   * One round of sharing out this worker's places. The groups with work are those
   * it holds endpoints of and those with endpoints waiting (due and unheld). Unless a
   * group is the only one, it is claimed for up to its fair share, ceil(capacity /
   * groups with work), round-robin by group (the store's claim order). An endpoint
   * held longer than WEBHOOK_SLOT_SECONDS gives its place back when its own group has
   * endpoints waiting for one, or when another group is owed places and its group is
   * above its share: it finishes the attempt under way (so every hold makes progress)
   * and stops. Meanwhile its place may be given to another: yielding endpoints aside,
   * a worker delivers to at most `capacity` endpoints, and to at most twice that in all.
   */
  private async claim(): Promise<void> {
    if (this.stopping || this.claiming) return;
    this.claiming = true;
    try {
      const sentAt = Date.now();
      const waiting = await this.store.waitingWebhookEndpoints(sentAt);
      if (Object.keys(waiting).length === 0) return;
      const plan = fairShares({ held: [...this.held.values()], waiting, capacity: this.capacity, slotMs: this.config.webhooks.slotMs, now: sentAt });
      for (const h of plan.yielding) {
        h.yielding = true;
        h.wake?.();
      }
      const limit = Math.min(CLAIM_BATCH, this.capacity - plan.active, 2 * this.capacity - this.held.size);
      if (limit <= 0) return;
      const claimed = await this.store.claimWebhookEndpoints(this.owner, this.leaseMs, limit, sentAt, { groups: plan.quotas, others: 0 });
      for (const endpoint of claimed) {
        if (this.held.has(endpoint.id)) continue;
        const h: Held = { endpoint, since: Date.now(), yielding: false, leaseDeadline: sentAt + this.leaseMs, held: true, wake: null };
        this.held.set(endpoint.id, h);
        const runner = this.run(h).finally(() => this.runners.delete(runner));
        this.runners.add(runner);
      }
    } finally {
      this.claiming = false;
    }
  }

  private async renew(): Promise<void> {
    if (this.stopping || this.renewing || this.held.size === 0) return;
    this.renewing = true;
    try {
      const sentAt = Date.now();
      const still = new Set(await this.store.renewWebhookLeases(this.owner, this.leaseMs));
      for (const [id, h] of this.held) {
        if (still.has(id)) {
          h.leaseDeadline = sentAt + this.leaseMs;
        } else {
          // Deleted, disabled, or (after a long stall) taken over: stop at once.
          h.held = false;
          h.wake?.();
        }
      }
    } finally {
      this.renewing = false;
    }
  }

  /** Whether an attempt started now would end well within the lease. */
  private mayAttempt(h: Held): boolean {
    return h.held && !h.yielding && !this.stopping && Date.now() + this.config.webhooks.timeoutMs + this.heartbeatMs < h.leaseDeadline;
  }

  /** Delivers to one endpoint while it is held: pages of events past its cursor, one at a time. */
  private async run(h: Held): Promise<void> {
    const { endpoint } = h;
    try {
      let idle: number = IDLE_POLL_MS[0];
      let idleSince = Date.now();
      while (h.held && !h.yielding && !this.stopping) {
        const page = await this.store.listEvents(endpoint.groupId, {
          after: endpoint.cursor,
          types: endpoint.types,
          since: null,
          limit: PAGE,
        });
        if (page.length === 0) {
          if (this.held.size >= this.capacity && Date.now() - idleSince >= IDLE_RELEASE_MS) break;
          await this.pause(h, idle);
          idle = Math.min(idle * 2, IDLE_POLL_MS[1]);
          continue;
        }
        idle = IDLE_POLL_MS[0];
        idleSince = Date.now();
        // Deleted or disabled meanwhile (heartbeats and progress writes tell too, but later): nothing more goes out.
        if (!(await this.store.holdsWebhookEndpoint(this.owner, endpoint.id))) {
          h.held = false;
          break;
        }
        for (const event of page) {
          if (endpoint.committedBeforeStart(event.position)) {
            // Committed before the endpoint existed: not its to receive; the cursor moves on.
            endpoint.cursor = event.position;
            continue;
          }
          if (!this.mayAttempt(h)) break;
          const attemptedAt = Date.now();
          const outcome = await this.sender.send(endpoint, event);
          if (outcome.aborted) break;
          if (this.afterAttempt(h, event, attemptedAt, outcome) === 'released') {
            await this.flush();
            return;
          }
        }
        // A lease too close to its end (renewals failing): stop, and give the endpoint back.
        if (h.held && !h.yielding && !this.stopping && !this.mayAttempt(h)) break;
        if (page.length < PAGE && h.held && !h.yielding && !this.stopping) await this.pause(h, GATHER_MS);
      }
    } catch (error) {
      this.report(`webhook endpoint ${endpoint.id}`, error);
    } finally {
      this.held.delete(endpoint.id);
      this.sender.drop(endpoint.id);
      if (h.held) {
        // Not released by an attempt: give it back with its state, so another worker (or this one) can carry on.
        this.queue(progressOf(endpoint, true), null);
      }
    }
  }

  /** Records an attempt and moves the endpoint on; 'released' when the endpoint must wait (a retry) or stop (410). */
  private afterAttempt(h: Held, event: EventRecord, attemptedAt: number, outcome: AttemptOutcome): 'next' | 'released' {
    const { endpoint } = h;
    const attempt = endpoint.headAttempts + 1;
    const record = (nextAttemptAt: number | null): WebhookAttemptRecord => ({
      id: newId(),
      endpointId: endpoint.id,
      eventId: event.id,
      eventType: event.type,
      attempt,
      attemptedAt,
      status: outcome.status,
      error: outcome.error,
      nextAttemptAt,
    });

    if (outcome.status === 410) {
      // Gone: the receiver asks for nothing more. The endpoint is disabled; the event stays undone.
      this.stats.disabled++;
      h.held = false;
      this.queue(progressOf(endpoint, true, Date.now()), record(null));
      return 'released';
    }
    const delay = outcome.ok ? undefined : this.config.webhooks.retryDelaysMs[attempt - 1];
    if (delay === undefined) {
      // Delivered, or the last retry failed: either way the cursor moves on.
      if (outcome.ok) this.stats.delivered++;
      else this.stats.gaveUp++;
      endpoint.cursor = event.position;
      endpoint.headAttempts = 0;
      endpoint.nextAttemptAt = null;
      this.queue(progressOf(endpoint, false), record(null));
      return 'next';
    }
    this.stats.failed++;
    const nextAttemptAt = Date.now() + delay;
    endpoint.headAttempts = attempt;
    endpoint.nextAttemptAt = nextAttemptAt;
    h.held = false;
    this.queue(progressOf(endpoint, true), record(nextAttemptAt));
    return 'released';
  }

  /** Waits `ms`, or less when the endpoint is let go or the worker stops. */
  private pause(h: Held, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        h.wake = null;
        resolve();
      }
      h.wake = done;
    });
  }

  private queue(progress: WebhookProgress, attempt: WebhookAttemptRecord | null): void {
    const before = this.pendingProgress.get(progress.endpointId);
    this.pendingProgress.set(
      progress.endpointId,
      before
        ? { ...progress, disabledAt: progress.disabledAt ?? before.disabledAt, release: progress.release || before.release }
        : progress,
    );
    if (attempt) this.pendingAttempts.push(attempt);
    if (this.pendingAttempts.length >= FLUSH_MAX) void this.flush();
    else this.flushTimer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Writes the pending attempts and progress in one transaction; resolves once they are written (or failed). */
  private flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.flushing = this.flushing.then(async () => {
      if (this.pendingProgress.size === 0 && this.pendingAttempts.length === 0) return;
      const progress = [...this.pendingProgress.values()];
      const attempts = this.pendingAttempts;
      this.pendingProgress = new Map();
      this.pendingAttempts = [];
      try {
        const dropped = await this.store.recordWebhookProgress(this.owner, progress, attempts);
        for (const id of dropped) {
          // Deleted (or, after a long stall, taken over): nothing more goes to it from here.
          const h = this.held.get(id);
          if (h) {
            h.held = false;
            h.wake?.();
          }
        }
      } catch (error) {
        // Not lost yet: tried again with the next batch (and, if this worker dies
        // first, the stored cursor makes the events go out again).
        this.report('recording webhook deliveries', error);
        for (const p of progress) if (!this.pendingProgress.has(p.endpointId)) this.pendingProgress.set(p.endpointId, p);
        this.pendingAttempts = [...attempts, ...this.pendingAttempts];
        if (!this.stopping) this.flushTimer ??= setTimeout(() => void this.flush(), 1_000);
      }
    });
    return this.flushing;
  }

  private report(what: string, error: unknown): void {
    // The logger's err serializer keeps the causes, and cuts what could carry a secret (query parameters).
    this.logger?.error({ err: error }, what);
  }
}

/** The endpoint's state as it stands, to write (and, with `release`, its lease to give up). */
function progressOf(endpoint: Held['endpoint'], release: boolean, disabledAt: number | null = null): WebhookProgress {
  return {
    endpointId: endpoint.id,
    cursor: endpoint.cursor,
    headAttempts: endpoint.headAttempts,
    nextAttemptAt: endpoint.nextAttemptAt,
    disabledAt,
    release,
  };
}
