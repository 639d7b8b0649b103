/** Webhook endpoints as both dialects read them: their columns, and rows as records. */
import { and, asc, desc, eq, isNull, type SQL } from 'drizzle-orm';
import { type Columns, type Filterable, type Pageable, selection } from './tables.ts';
import type { ClaimedWebhookEndpoint, EventPosition, WebhookEndpointRecord } from '../store.ts';

/** An endpoint's row: its record, with the event types as the `types` column holds them. */
type EndpointRow = Omit<WebhookEndpointRecord, 'types'> & { types: string | null };

/** A claimed endpoint's row as both dialects' raw claim statements answer it (their column names). */
export interface ClaimedRow {
  id: string;
  group_id: string;
  url: string;
  types: string | null;
  created_at: number;
  disabled_at: number | null;
  secret: string;
  cursor_tx: string;
  cursor_seq: number;
  head_attempts: number;
  next_attempt_at: number | null;
  start_snapshot: string | null;
}

/** Event types as the `types` column holds them: a JSON array, or NULL for every type. */
export function typesColumn(types: string[] | null): string | null {
  return types === null ? null : JSON.stringify(types);
}

export function webhookEndpointRecord(row: EndpointRow): WebhookEndpointRecord {
  return {
    id: row.id,
    groupId: row.groupId,
    url: row.url,
    types: row.types === null ? null : (JSON.parse(row.types) as string[]),
    createdAt: Number(row.createdAt),
    disabledAt: row.disabledAt === null ? null : Number(row.disabledAt),
  };
}

export function claimedWebhookEndpoint(row: ClaimedRow): ClaimedWebhookEndpoint {
  const { group_id: groupId, created_at: createdAt, disabled_at: disabledAt } = row;
  return {
    ...webhookEndpointRecord({ id: row.id, groupId, url: row.url, types: row.types, createdAt, disabledAt }),
    secret: row.secret,
    cursor: { tx: String(row.cursor_tx), seq: Number(row.cursor_seq) },
    headAttempts: Number(row.head_attempts),
    nextAttemptAt: row.next_attempt_at === null ? null : Number(row.next_attempt_at),
    committedBeforeStart: startSnapshotCheck(row.start_snapshot),
  };
}

/**
 * Whether a transaction id is shown as committed by a PostgreSQL snapshot in its text
 * form `xmin:xmax:xip,…` (pg_visible_in_snapshot, in TypeScript): below xmin, or
 * below xmax and not listed as in progress. No snapshot (SQLite): never.
 */
export function startSnapshotCheck(snapshot: string | null): (position: EventPosition) => boolean {
  if (snapshot === null) return () => false;
  const [xmin, xmax, list] = snapshot.split(':');
  const low = BigInt(xmin!);
  const high = BigInt(xmax!);
  const inProgress = new Set((list ?? '').split(',').filter((x) => x !== ''));
  return ({ tx }) => {
    const xid = BigInt(tx);
    return xid < low || (xid < high && !inProgress.has(tx));
  };
}

/** An endpoint record's columns. */
export const webhookEndpointColumns = selection('id', 'groupId', 'url', 'types', 'createdAt', 'disabledAt');

/** Endpoints that are live (not deleted) and enabled: the ones a worker delivers to. */
export const DELIVERABLE_SQL = 'deleted_at IS NULL AND disabled_at IS NULL';

/** DELIVERABLE_SQL, for a query drizzle builds. */
export function deliverableEndpoints(endpoints: Columns<'deletedAt' | 'disabledAt'>): SQL | undefined {
  return and(isNull(endpoints.deletedAt), isNull(endpoints.disabledAt));
}

/** One of the group's live endpoints. */
export function liveEndpointOf(endpoints: Columns<'id' | 'groupId' | 'deletedAt'>, groupId: string, id: string): SQL | undefined {
  return and(eq(endpoints.id, id), eq(endpoints.groupId, groupId), isNull(endpoints.deletedAt));
}

/** The group's live endpoints, oldest first. */
export function liveEndpoints<Q>(query: Filterable<Q>, endpoints: Columns<'groupId' | 'deletedAt' | 'createdAt' | 'id'>, groupId: string): Q {
  return query.where(and(eq(endpoints.groupId, groupId), isNull(endpoints.deletedAt))).orderBy(asc(endpoints.createdAt), asc(endpoints.id));
}

/** The endpoint's latest delivery attempts, newest first. */
export function latestAttempts<Q>(
  query: Pageable<Q>,
  deliveries: Columns<'endpointId' | 'attemptedAt' | 'id'>,
  endpointId: string,
  limit: number,
): Q {
  return query
    .where(eq(deliveries.endpointId, endpointId))
    .orderBy(desc(deliveries.attemptedAt), desc(deliveries.id))
    .limit(limit);
}
