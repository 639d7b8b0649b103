/** Idempotency keys on SQLite; a keyed write claims and settles its key in SqliteDatabase.write. */
import { and, eq, gt, sql } from 'drizzle-orm';
import { type IdempotencyStore, IdempotentReplay, type Remember } from '../store.ts';
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
      // A write of nothing but the key: when the key is used already, what it holds is what is stored now.
      const remember: Remember = { claim, outcome: () => outcome };
      try {
        return await c.write(
          (_tx, settle) => {
            settle();
            return { field: claim.field, fingerprint: claim.fingerprint, outcome };
          },
          remember,
        );
      } catch (error) {
        if (error instanceof IdempotentReplay) return error.stored;
        throw error;
      }
    },
  };
}
