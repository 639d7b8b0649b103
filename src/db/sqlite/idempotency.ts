/** Idempotency keys on SQLite; a keyed write claims and settles its key in SqliteDatabase.write. */
import { storedBy } from '../shared/idempotency.ts';
import type { IdempotencyStore, StoredOutcome } from '../store.ts';
import type { SqliteDatabase } from './database.ts';

export function sqliteIdempotency(c: SqliteDatabase): IdempotencyStore {
  // A plain statement: every keyed write runs it first, and drizzle's mapping cost a third of it.
  const hot = c.statements('idempotency', (_db, sqlite) => ({
    idempotencyOutcomes: sqlite.prepare<[string, string, number], StoredOutcome>(
      'SELECT field, fingerprint, outcome FROM idempotency_keys WHERE group_id = ? AND key = ? AND expires_at > ?',
    ),
  }));

  return {
    async findIdempotencyOutcomes(groupId, key, now) {
      return hot().idempotencyOutcomes.all(groupId, key, now);
    },

    async rememberOutcome(claim, outcome) {
      return storedBy(c.write((_tx, settle) => settle(), { claim, outcome: () => outcome }), claim, outcome);
    },
  };
}
