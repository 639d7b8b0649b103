/** SCIM's storage on SQLite: the shared scripts (shared/scim.ts), run synchronously; a write inside one unit of work. */
import * as scripts from '../shared/scim.ts';
import type { Row, Script } from '../shared/scim.ts';
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

  return {
    scimMembers: (groupId, query) => reading(scripts.scimMembers(groupId, query)),
    countMembers: (groupId) => reading(scripts.countMembers(groupId)),
    saveScimMember: (groupId, plan) => writing(() => scripts.saveScimMember(groupId, plan)),
    directoryGroups: (groupId, query) => reading(scripts.directoryGroups(groupId, query)),
    countDirectoryGroups: (groupId) => reading(scripts.countDirectoryGroups(groupId)),
    directoryGroupMemberIds: (id) => reading(scripts.directoryGroupMemberIds(id)),
    directoryGroupMembers: (groupId, id, limit, after) => reading(scripts.directoryGroupMembers(groupId, id, limit, after)),
    saveDirectoryGroup: (groupId, plan) => writing(() => scripts.saveDirectoryGroup(groupId, plan)),
    deleteDirectoryGroup: (groupId, id, events) => writing(() => scripts.deleteDirectoryGroup(groupId, id, events)),
    setAdminDirectoryGroup: (groupId, id, decide) => writing(() => scripts.setAdminDirectoryGroup(groupId, id, decide)),
  };
}
