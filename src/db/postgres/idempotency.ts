/** Idempotency keys on PostgreSQL; keyed writes claim and settle their key in PostgresDatabase. */
import { and, eq, gt, sql } from 'drizzle-orm';
import { type IdempotencyStore, IdempotentReplay } from '../store.ts';
import { claimCte, type PostgresDatabase } from './database.ts';
import { idempotencyKeys } from './schema.ts';

const rememberOutcomeStatement = {
  name: 'team_api_remember_outcome',
  text: `WITH ${claimCte('$1', '$2', '$3', '$4', '$5', '$6', '$7')} SELECT (SELECT count(*) FROM keyed)::int AS keyed`,
};

export function postgresIdempotency(c: PostgresDatabase): IdempotencyStore {
  const p = sql.placeholder;
  const findIdempotencyOutcomes = c.db
    .select({ field: idempotencyKeys.field, fingerprint: idempotencyKeys.fingerprint, outcome: idempotencyKeys.outcome })
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.groupId, p('groupId')), eq(idempotencyKeys.key, p('key')), gt(idempotencyKeys.expiresAt, p('now'))))
    .prepare('team_api_find_idempotency_outcomes');

  return {
    async findIdempotencyOutcomes(groupId, key, now) {
      return findIdempotencyOutcomes.execute({ groupId, key, now });
    },

    async rememberOutcome(claim, outcome) {
      // A write of nothing but the key: when the key is used already, what it holds is what is stored now.
      try {
        await c.keyedStatement(rememberOutcomeStatement, [], { claim, outcome: () => outcome });
        return { field: claim.field, fingerprint: claim.fingerprint, outcome };
      } catch (error) {
        if (error instanceof IdempotentReplay) return error.stored;
        throw error;
      }
    },
  };
}
