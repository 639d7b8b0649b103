/** Idempotency keys on SQLite; a keyed write claims and settles its key in SqliteDatabase.write. */
import { and, eq, gt, sql } from 'drizzle-orm';
import { storedBy } from '../shared/idempotency.ts';
import type { IdempotencyStore } from '../store.ts';
import type { SqliteDatabase } from './database.ts';
import { idempotencyKeys } from './schema.ts';

export function sqliteIdempotency(c: SqliteDatabase): IdempotencyStore {
  const hot = c.statements('idempotency', (db) => {
    const p = sql.placeholder;
    return {
      idempotencyOutcomes: db
        .select({ field: idempotencyKeys.field, fingerprint: idempotencyKeys.fingerprint, outcome: idempotencyKeys.outcome })
        .from(idempotencyKeys)
        .where(
          and(eq(idempotencyKeys.groupId, p('groupId')), eq(idempotencyKeys.key, p('key')), gt(idempotencyKeys.expiresAt, p('now'))),
        )
        .prepare(),
    };
  });

  return {
    async findIdempotencyOutcomes(groupId, key, now) {
      return hot().idempotencyOutcomes.all({ groupId, key, now });
    },

    async rememberOutcome(claim, outcome) {
      return storedBy(c.write((_tx, settle) => settle(), { claim, outcome: () => outcome }), claim, outcome);
    },
  };
}
