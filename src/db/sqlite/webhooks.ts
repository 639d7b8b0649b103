/**
 * Webhooks on SQLite (API.md §14). Leases use this machine's clock, which every
 * process sharing the file shares; claims are IMMEDIATE transactions, so two
 * processes never take the same endpoint.
 */
import { and, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import * as shared from '../shared/webhooks.ts';
import type { Remember, WebhookAttemptRecord, WebhookStore } from '../store.ts';
import type { SqliteDatabase } from './database.ts';
import { events, webhookDeliveries, webhookEndpoints } from './schema.ts';

const endpointFields = shared.webhookEndpointColumns(webhookEndpoints);

/** Live, enabled, unheld (or expired) and due at @now, by the clock @clock. */
const CLAIMABLE = `${shared.DELIVERABLE_SQL}
  AND (lease_owner IS NULL OR lease_until < @clock)
  AND (next_attempt_at IS NULL OR next_attempt_at <= @now)`;

export function sqliteWebhooks(c: SqliteDatabase, remember?: Remember<any>): WebhookStore {
  const { db } = c;
  // Prepared on first use, not at migration: most processes never deliver.
  let prepared: ReturnType<typeof prepareStatements> | null = null;
  const prepareStatements = () => {
    const p = sql.placeholder;
    return {
      // Plain statements: the delivery thread runs them for every page and attempt, where
      // drizzle built the query (or mapped the parameters) again each time.
      insertAttempt: c.sqlite.prepare<WebhookAttemptRecord>(
        `INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, attempt, attempted_at, status, error, next_attempt_at)
         VALUES (@id, @endpointId, @eventId, @eventType, @attempt, @attemptedAt, @status, @error, @nextAttemptAt)`,
      ),
      holds: c.sqlite.prepare<{ id: string; owner: string }>(
        `SELECT 1 FROM webhook_endpoints
         WHERE id = @id AND lease_owner = @owner AND ${shared.DELIVERABLE_SQL}`,
      ),
      progress: c.sqlite.prepare(
        `UPDATE webhook_endpoints SET
           cursor_seq = coalesce(@cursorSeq, cursor_seq),
           head_attempts = @headAttempts,
           next_attempt_at = @nextAttemptAt,
           disabled_at = coalesce(disabled_at, @disabledAt),
           lease_owner = CASE WHEN @release THEN NULL ELSE lease_owner END,
           lease_until = CASE WHEN @release THEN @now ELSE lease_until END
         WHERE id = @id AND lease_owner = @owner AND deleted_at IS NULL`,
      ),
      claim: c.sqlite.prepare(
        `SELECT * FROM (
           SELECT e.*, row_number() OVER (PARTITION BY group_id ORDER BY coalesce(lease_until, 0), id) AS turn
           FROM webhook_endpoints AS e WHERE ${CLAIMABLE}
         ) AS c
         WHERE turn <= coalesce((SELECT value FROM json_each(@quotas) WHERE key = c.group_id), @others)
         ORDER BY turn, coalesce(lease_until, 0), id
         LIMIT @limit`,
      ),
      waiting: c.sqlite.prepare(`SELECT group_id AS groupId, count(*) AS n FROM webhook_endpoints WHERE ${CLAIMABLE} GROUP BY group_id`),
    };
  };

  return {
    async insertWebhookEndpoint(endpoint, newEvents, maxPerGroup) {
      return c.write((tx, settle) => {
        // Counted inside the write: writers take turns, so two creates never both see room for one.
        const live = tx
          .select({ n: sql<number>`count(*)` })
          .from(webhookEndpoints)
          .where(and(eq(webhookEndpoints.groupId, endpoint.groupId), isNull(webhookEndpoints.deletedAt)))
          .get()?.n ?? 0;
        if (live >= maxPerGroup) return false;
        // Writers take turns, so the last sequence number now is the feed's present.
        const last = tx.select({ seq: sql<number | null>`max(${events.seq})` }).from(events).get()?.seq ?? 0;
        tx.insert(webhookEndpoints)
          .values({ ...endpoint, types: shared.typesColumn(endpoint.types), cursorTx: '0', cursorSeq: last, startSnapshot: null })
          .run();
        c.writeEvents(newEvents);
        settle();
        return true;
      }, remember);
    },

    async deleteWebhookEndpoint(groupId, id, at, eventsOf) {
      return c.write((tx, settle) => {
        const live = shared.liveEndpointOf(webhookEndpoints, groupId, id);
        const row = tx.select(endpointFields).from(webhookEndpoints).where(live).get();
        if (!row) return null;
        tx.update(webhookEndpoints).set({ deletedAt: at, leaseOwner: null, leaseUntil: null }).where(live).run();
        const endpoint = shared.webhookEndpointRecord(row);
        c.writeEvents(eventsOf(endpoint));
        settle(endpoint);
        return endpoint;
      }, remember);
    },

    async listWebhookEndpoints(groupId) {
      return shared.liveEndpoints(db.select(endpointFields).from(webhookEndpoints), webhookEndpoints, groupId).all().map(shared.webhookEndpointRecord);
    },

    async listWebhookAttempts(endpointId, limit) {
      return shared.latestAttempts(db.select().from(webhookDeliveries), webhookDeliveries, endpointId, limit).all();
    },

    async claimWebhookEndpoints(owner, leaseMs, limit, now, quotas) {
      const statements = (prepared ??= prepareStatements());
      const claimable = (clock: number) =>
        statements.claim.all({
          clock,
          now,
          limit,
          quotas: JSON.stringify(quotas?.groups ?? {}),
          others: quotas?.others ?? limit,
        }) as shared.ClaimedRow[];
      // Asked several times a second by every process: a read first, so that a round
      // with nothing to claim takes no write lock.
      if (claimable(Date.now()).length === 0) return [];
      return c.write((tx) => {
        const clock = Date.now();
        const rows = claimable(clock);
        if (rows.length === 0) return [];
        tx.update(webhookEndpoints)
          .set({ leaseOwner: owner, leaseUntil: clock + leaseMs })
          .where(inArray(webhookEndpoints.id, rows.map((r) => r.id)))
          .run();
        return rows.map(shared.claimedWebhookEndpoint);
      });
    },

    async waitingWebhookEndpoints(now) {
      const statements = (prepared ??= prepareStatements());
      const rows = statements.waiting.all({ clock: Date.now(), now }) as Array<{ groupId: string; n: number }>;
      return Object.fromEntries(rows.map((r) => [r.groupId, Number(r.n)]));
    },

    async renewWebhookLeases(owner, leaseMs) {
      return c.write((tx) =>
        tx
          .update(webhookEndpoints)
          .set({ leaseUntil: Date.now() + leaseMs })
          .where(and(eq(webhookEndpoints.leaseOwner, owner), shared.deliverableEndpoints(webhookEndpoints)))
          .returning({ id: webhookEndpoints.id })
          .all()
          .map((r) => r.id),
      );
    },

    async recordWebhookProgress(owner, progress, attempts) {
      if (progress.length === 0 && attempts.length === 0) return [];
      const statements = (prepared ??= prepareStatements());
      return c.write(() => {
        const dropped: string[] = [];
        for (const attempt of attempts) statements.insertAttempt.run(attempt);
        for (const p of progress) {
          const { changes } = statements.progress.run({
            id: p.endpointId,
            owner,
            cursorSeq: p.cursor?.seq ?? null,
            headAttempts: p.headAttempts,
            nextAttemptAt: p.nextAttemptAt,
            disabledAt: p.disabledAt,
            release: p.release ? 1 : 0,
            // Kept on release: when it was last held, so that claims take the least recently held first.
            now: Date.now(),
          });
          if (changes === 0) dropped.push(p.endpointId);
        }
        return dropped;
      });
    },

    async hasWebhookEndpoints() {
      return db.select({ id: webhookEndpoints.id }).from(webhookEndpoints).where(shared.deliverableEndpoints(webhookEndpoints)).limit(1).get() !== undefined;
    },

    async holdsWebhookEndpoint(owner, endpointId) {
      const statements = (prepared ??= prepareStatements());
      return statements.holds.get({ id: endpointId, owner }) !== undefined;
    },

    async releaseWebhookLeases(owner) {
      await c.write((tx) =>
        tx.update(webhookEndpoints).set({ leaseOwner: null, leaseUntil: null }).where(eq(webhookEndpoints.leaseOwner, owner)).run(),
      );
    },

    async purgeWebhookAttempts(before) {
      return c.writeOneStatement((tx) => tx.delete(webhookDeliveries).where(lt(webhookDeliveries.attemptedAt, before)).run().changes);
    },
  };
}
