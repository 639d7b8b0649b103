/** Idempotency keys on SQLite; a keyed write claims and settles its key in SqliteDatabase.write. */
import { storedBy } from '../shared/idempotency.ts';
import type { IdempotencyStore } from '../store.ts';
import type { SqliteDatabase } from './database.ts';

export function sqliteIdempotency(c: SqliteDatabase): IdempotencyStore {
  return {
    async findIdempotencyOutcomes(groupId, key, now) {
      return c.hot().idempotencyOutcomes.all(groupId, key, now);
    },

    async rememberOutcome(claim, outcome) {
      return storedBy(c.write((_tx, settle) => settle(), { claim, outcome: () => outcome }), claim, outcome);
    },
  };
}
