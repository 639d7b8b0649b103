/** Idempotency keys on PostgreSQL; keyed writes claim and settle their key in PostgresDatabase. */
import { and, eq, gt, sql } from 'drizzle-orm';
import { storedBy } from '../shared/idempotency.ts';
import type { IdempotencyStore } from '../store.ts';
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
      return storedBy(c.keyedStatement(rememberOutcomeStatement, [], { claim, outcome: () => outcome }), claim, outcome);
    },
  };
}
