/** Webhook endpoint rows as records, for both engines. */
import type { ClaimedWebhookEndpoint, EventPosition, WebhookEndpointRecord } from './store.ts';

interface EndpointRow {
  id: string;
  groupId: string;
  url: string;
  types: string | null;
  createdAt: number;
  disabledAt: number | null;
}

interface ClaimedRow extends EndpointRow {
  secret: string;
  cursorTx: string;
  cursorSeq: number;
  headAttempts: number;
  nextAttemptAt: number | null;
  startSnapshot: string | null;
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
  return {
    ...webhookEndpointRecord(row),
    secret: row.secret,
    cursor: { tx: String(row.cursorTx), seq: Number(row.cursorSeq) },
    headAttempts: Number(row.headAttempts),
    nextAttemptAt: row.nextAttemptAt === null ? null : Number(row.nextAttemptAt),
    committedBeforeStart: startSnapshotCheck(row.startSnapshot),
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
