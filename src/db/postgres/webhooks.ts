/**
 * Webhooks on PostgreSQL (API.md §14). Leases are in database time, so instances
 * whose clocks disagree still agree on who holds what; claims skip rows another
 * instance is claiming (FOR UPDATE SKIP LOCKED), so each endpoint goes to one of them.
 */
import { eq, lt, sql } from 'drizzle-orm';
import * as shared from '../shared/webhooks.ts';
import type { WebhookStore, Remember } from '../store.ts';
import { insertEvents, type PostgresDatabase } from './database.ts';
import { webhookDeliveries, webhookEndpoints } from './schema.ts';

const endpointFields = shared.webhookEndpointColumns(webhookEndpoints);

/** The database's clock, in epoch milliseconds: what leases are measured in. */
const DB_NOW = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/** Live, enabled, unheld (or expired) and due at the parameter `now`. */
const claimable = (now: string) => `${shared.DELIVERABLE_SQL}
  AND (lease_owner IS NULL OR lease_until < ${DB_NOW})
  AND (next_attempt_at IS NULL OR next_attempt_at <= ${now}::bigint)`;

/** The delivery worker's statements, run often: named, so parsed once per connection. */
const webhookStatements = {
  // Round-robin by group, least recently held first, within each group's quota ($5,
  // else $6). No SKIP LOCKED (not allowed with a window): a row another instance is
  // claiming is waited for, and its WHERE checked again on the new row, so it goes to one.
  claim: {
    name: 'team_api_claim_webhook_endpoints_fair',
    text: `UPDATE webhook_endpoints AS e
      SET lease_owner = $1, lease_until = ${DB_NOW} + $2::bigint
      FROM (
        SELECT id FROM (
          SELECT id, group_id, lease_until,
            row_number() OVER (PARTITION BY group_id ORDER BY coalesce(lease_until, 0), id) AS turn
          FROM webhook_endpoints WHERE ${claimable('$4')}
        ) AS c
        WHERE turn <= coalesce(($5::jsonb ->> c.group_id)::int, $6::int)
        ORDER BY turn, coalesce(lease_until, 0), id
        LIMIT $3
      ) AS due
      WHERE e.id = due.id AND ${claimable('$4')}
      RETURNING e.id, e.group_id, e.url, e.types, e.created_at, e.disabled_at, e.secret,
        e.cursor_tx::text AS cursor_tx, e.cursor_seq, e.head_attempts, e.next_attempt_at, e.start_snapshot`,
  },
  waiting: {
    name: 'team_api_waiting_webhook_endpoints',
    text: `SELECT group_id, count(*)::int AS n FROM webhook_endpoints WHERE ${claimable('$1')} GROUP BY group_id`,
  },
  renew: {
    name: 'team_api_renew_webhook_leases',
    text: `UPDATE webhook_endpoints SET lease_until = ${DB_NOW} + $2::bigint
      WHERE lease_owner = $1 AND ${shared.DELIVERABLE_SQL}
      RETURNING id`,
  },
  holds: {
    name: 'team_api_holds_webhook_endpoint',
    text: `SELECT 1 FROM webhook_endpoints
      WHERE id = $1 AND lease_owner = $2 AND ${shared.DELIVERABLE_SQL}`,
  },
  // Attempts and progress in one statement: one round trip, one transaction.
  progress: {
    name: 'team_api_record_webhook_progress',
    text: `WITH attempts AS (
        INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, attempt, attempted_at, status, error, next_attempt_at)
        SELECT id, endpoint_id, event_id, event_type, attempt, attempted_at, status, error, next_attempt_at
        FROM json_populate_recordset(NULL::webhook_deliveries, $1::json)
      )
      UPDATE webhook_endpoints AS e SET
        cursor_tx = coalesce(p.cursor_tx::xid8, e.cursor_tx),
        cursor_seq = coalesce(p.cursor_seq, e.cursor_seq),
        head_attempts = p.head_attempts,
        next_attempt_at = p.next_attempt_at,
        disabled_at = coalesce(e.disabled_at, p.disabled_at),
        lease_owner = CASE WHEN p.release THEN NULL ELSE e.lease_owner END,
        lease_until = CASE WHEN p.release THEN ${DB_NOW} ELSE e.lease_until END
      FROM json_to_recordset($2::json) AS p(id text, cursor_tx text, cursor_seq bigint, head_attempts int,
        next_attempt_at bigint, disabled_at bigint, release boolean)
      WHERE e.id = p.id AND e.lease_owner = $3 AND e.deleted_at IS NULL
      RETURNING e.id`,
  },
} as const;

export function postgresWebhooks(c: PostgresDatabase, remember?: Remember<any>): WebhookStore {
  const { db } = c;
  return {
    async insertWebhookEndpoint(endpoint, newEvents, maxPerGroup) {
      return c.keyedTransaction(remember, async (tx, settle) => {
        // Creates for one group take turns (a lock for this transaction), so two of them
        // never both see room for one more.
        await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`webhook_endpoints:${endpoint.groupId}`}, 0))`);
        const [{ n }] = (
          await tx.execute<{ n: number }>(
            sql`SELECT count(*)::int AS n FROM webhook_endpoints WHERE group_id = ${endpoint.groupId} AND deleted_at IS NULL`,
          )
        ).rows as [{ n: number }];
        if (n >= maxPerGroup) return false;
        // The cursor starts before every transaction still running, so none of them
        // can commit an event behind it; the snapshot, with this transaction counted
        // as running, tells the events past the cursor that committed before.
        const { rows } = await tx.execute<{ own: string; snapshot: string }>(
          sql`SELECT pg_current_xact_id()::text AS own, pg_current_snapshot()::text AS snapshot`,
        );
        const { own, snapshot } = rows[0]!;
        const [xmin, xmax, running] = snapshot.split(':') as [string, string, string];
        await tx.insert(webhookEndpoints).values({
          ...endpoint,
          types: shared.typesColumn(endpoint.types),
          cursorTx: xmin,
          cursorSeq: 0,
          startSnapshot: `${xmin}:${xmax}:${[running, own].filter((x) => x !== '').join(',')}`,
        });
        await insertEvents(tx, newEvents);
        await settle(undefined);
        return true;
      });
    },

    async deleteWebhookEndpoint(groupId, id, at, eventsOf) {
      return c.keyedTransaction(remember, async (tx, settle) => {
        const [row] = await tx
          .update(webhookEndpoints)
          .set({ deletedAt: at, leaseOwner: null, leaseUntil: null })
          .where(shared.liveEndpointOf(webhookEndpoints, groupId, id))
          .returning(endpointFields);
        if (!row) return null;
        const endpoint = shared.webhookEndpointRecord(row);
        await insertEvents(tx, eventsOf(endpoint));
        await settle(endpoint);
        return endpoint;
      });
    },

    async listWebhookEndpoints(groupId) {
      return (await shared.liveEndpoints(db.select(endpointFields).from(webhookEndpoints), webhookEndpoints, groupId)).map(shared.webhookEndpointRecord);
    },

    async listWebhookAttempts(endpointId, limit) {
      return shared.latestAttempts(db.select().from(webhookDeliveries), webhookDeliveries, endpointId, limit);
    },

    async claimWebhookEndpoints(owner, leaseMs, limit, now, quotas) {
      return c.write(async () => {
        const { rows } = await c.run(webhookStatements.claim, [
          owner,
          leaseMs,
          limit,
          now,
          JSON.stringify(quotas?.groups ?? {}),
          quotas?.others ?? limit,
        ]);
        return (rows as shared.ClaimedRow[]).map(shared.claimedWebhookEndpoint);
      });
    },

    async waitingWebhookEndpoints(now) {
      const { rows } = await c.run(webhookStatements.waiting, [now]);
      return Object.fromEntries(rows.map((r) => [r.group_id as string, Number(r.n)]));
    },

    async renewWebhookLeases(owner, leaseMs) {
      return c.write(async () => (await c.run(webhookStatements.renew, [owner, leaseMs])).rows.map((r) => r.id as string));
    },

    async recordWebhookProgress(owner, progress, attempts) {
      if (progress.length === 0 && attempts.length === 0) return [];
      const attemptRows = attempts.map((a) => ({
        id: a.id,
        endpoint_id: a.endpointId,
        event_id: a.eventId,
        event_type: a.eventType,
        attempt: a.attempt,
        attempted_at: a.attemptedAt,
        status: a.status,
        error: a.error,
        next_attempt_at: a.nextAttemptAt,
      }));
      const progressRows = progress.map((p) => ({
        id: p.endpointId,
        cursor_tx: p.cursor?.tx ?? null,
        cursor_seq: p.cursor?.seq ?? null,
        head_attempts: p.headAttempts,
        next_attempt_at: p.nextAttemptAt,
        disabled_at: p.disabledAt,
        release: p.release,
      }));
      const { rows } = await c.write(() =>
        c.run(webhookStatements.progress, [JSON.stringify(attemptRows), JSON.stringify(progressRows), owner]),
      );
      const recorded = new Set(rows.map((r) => r.id as string));
      return progress.map((p) => p.endpointId).filter((id) => !recorded.has(id));
    },

    async hasWebhookEndpoints() {
      const rows = await db.select({ id: webhookEndpoints.id }).from(webhookEndpoints).where(shared.deliverableEndpoints(webhookEndpoints)).limit(1);
      return rows.length > 0;
    },

    async holdsWebhookEndpoint(owner, endpointId) {
      const { rows } = await c.run(webhookStatements.holds, [endpointId, owner]);
      return rows.length > 0;
    },

    async releaseWebhookLeases(owner) {
      await c.write(() =>
        db.update(webhookEndpoints).set({ leaseOwner: null, leaseUntil: null }).where(eq(webhookEndpoints.leaseOwner, owner)),
      );
    },

    async purgeWebhookAttempts(before) {
      return c.write(async () => (await db.delete(webhookDeliveries).where(lt(webhookDeliveries.attemptedAt, before))).rowCount ?? 0);
    },
  };
}
