/** SCIM's storage on PostgreSQL: the shared scripts (shared/scim.ts), each statement awaited; a write in one transaction. */
import { sql } from 'drizzle-orm';
import { type Row, type Script, scimStoreOf } from '../shared/scim.ts';
import { StorageWriteError, type ScimStore } from '../store.ts';
import { type Db, insertEvents, type PostgresDatabase, type Tx, violatedUniqueConstraint } from './database.ts';

/** Events are inserted in slices: one statement takes at most 65,535 parameters. */
const EVENT_SLICE = 1000;
const ATTEMPTS = 3;

export function postgresScim(c: PostgresDatabase): ScimStore {
  async function runOn<T>(db: Db | Tx, script: Script<T>): Promise<T> {
    let step = script.next();
    while (!step.done) {
      const s = step.value;
      let rows: Row[] = [];
      if ('read' in s) rows = (await db.execute(s.read)).rows as Row[];
      else if ('run' in s) await db.execute(s.run);
      else if ('lock' in s) await db.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`scim:${s.lock}`}))`);
      else for (let i = 0; i < s.events.length; i += EVENT_SLICE) await insertEvents(db as Tx, s.events.slice(i, i + EVENT_SLICE));
      step = script.next(rows);
    }
    return step.value;
  }
  const reading = <T>(script: Script<T>) => runOn(c.db, script);
  /**
   * A write in one transaction. SCIM writes of a group take turns (the lock), but
   * another write (createUser) may take an email between the read and the insert:
   * then the script runs again, reads what is there now, and decides again.
   */
  async function writing<T>(script: () => Script<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await c.transaction((tx) => runOn(tx, script()));
      } catch (error) {
        const cause = error instanceof StorageWriteError ? error.cause : error;
        if (attempt < ATTEMPTS && violatedUniqueConstraint(cause)) continue;
        throw error;
      }
    }
  }

  return scimStoreOf(reading, writing);
}
