/** SCIM's storage on SQLite: the shared scripts (shared/scim.ts), run synchronously; a write inside one unit of work. */
import { type Row, type Script, scimStoreOf } from '../shared/scim.ts';
import type { ScimStore } from '../store.ts';
import type { Db, SqliteDatabase } from './database.ts';

export function sqliteScim(c: SqliteDatabase): ScimStore {
  /** Runs a script to its end. Locks need nothing: SQLite's writes take turns (BEGIN IMMEDIATE). */
  function runOn<T>(db: Db, script: Script<T>): T {
    let step = script.next();
    while (!step.done) {
      const s = step.value;
      let rows: Row[] = [];
      if ('read' in s) rows = db.all<Row>(s.read);
      else if ('run' in s) db.run(s.run);
      else if ('events' in s) c.writeEvents(s.events);
      step = script.next(rows);
    }
    return step.value;
  }
  const reading = async <T>(script: Script<T>) => runOn(c.db, script);
  const writing = <T>(script: () => Script<T>) => c.write((tx) => runOn(tx, script()));

  return scimStoreOf(reading, writing);
}
