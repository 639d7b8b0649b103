/** Users on SQLite: bulk creation runs on plain prepared statements, inside one IMMEDIATE transaction. */
import { eq, sql } from 'drizzle-orm';
import type { Remember, TakenNames, UserPlan, UserStore } from '../store.ts';
import { userColumns } from '../shared/users.ts';
import type { SqliteDatabase } from './database.ts';
import { sqliteCode } from './errors.ts';
import { BulkInsert } from './bulk-insert.ts';
import { type PlannedRows, plannedRows, USER_COLUMNS, USER_CREATED_AT, USER_FIELDS } from './planned-rows.ts';
import { users } from './schema.ts';

const userFields = userColumns(users);
const NOTHING_TAKEN: TakenNames = { usernames: new Set(), emails: new Set() };

/**
 * The smallest plan the writer thread writes (writer-thread.ts): a few users take
 * less time to insert than to hand over, and make no pause worth taking off the
 * event loop; a hundred take a few milliseconds.
 */
export const WRITER_THREAD_MIN_USERS = 100;

const MEMBERSHIP_COLUMNS = ['group_id', 'user_id', 'role', 'created_at'];
const MEMBERSHIP_FIELDS = MEMBERSHIP_COLUMNS.length;

/**
 * The inserts of creating users (bulk-insert.ts), as plain statements prepared once
 * per connection: drizzle's per-call parameter mapping was a fifth of a bulk
 * import's time, and binding by name from a row object twice the time of the insert itself.
 */
function insertStatements(c: SqliteDatabase) {
  return c.statements('user inserts', (_db, sqlite) => ({
    user: new BulkInsert(sqlite, 'users', USER_COLUMNS),
    membership: new BulkInsert(sqlite, 'memberships', MEMBERSHIP_COLUMNS),
  }))();
}

/**
 * Inserts the planned users with their memberships and events, in the open
 * transaction; throws what a statement throws. Table by table: a batch's inserts
 * into one B-tree after another keep its pages warm.
 */
export function insertRows(c: SqliteDatabase, groupId: string, role: string, rows: PlannedRows): void {
  const insert = insertStatements(c);
  const { users, events } = rows;
  insert.user.run(users);
  const memberships: unknown[] = new Array((users.length / USER_FIELDS) * MEMBERSHIP_FIELDS);
  for (let i = 0, m = 0; i < users.length; i += USER_FIELDS, m += MEMBERSHIP_FIELDS) {
    memberships[m] = groupId;
    memberships[m + 1] = users[i];
    memberships[m + 2] = role;
    memberships[m + 3] = users[i + USER_CREATED_AT];
  }
  insert.membership.run(memberships);
  c.hot().events.run(events);
}

/** Inserts the planned users (insertRows), or, when a unique index refuses any of them, nothing: false. */
export function insertedAll(c: SqliteDatabase, groupId: string, role: string, rows: PlannedRows, users: number): boolean {
  try {
    // One user's refused insert (the first statement) wrote nothing; several need a savepoint to undo the first ones.
    if (users === 1) insertRows(c, groupId, role, rows);
    else c.undoable(() => insertRows(c, groupId, role, rows));
    return true;
  } catch (error) {
    if (sqliteCode(error) !== 'SQLITE_CONSTRAINT_UNIQUE') throw error;
    return false;
  }
}

export function sqliteUsers(c: SqliteDatabase, remember?: Remember<any>): UserStore {
  const hot = c.statements('users', (db, sqlite) => {
    const p = sql.placeholder;
    return {
      takenUsernames: db
        .select({ username: users.username })
        .from(users)
        .where(sql`${users.username} IN (SELECT value FROM json_each(${p('names')}))`)
        .prepare(),
      // createUser's own look-ups, plain too: drizzle's mapping of a one-column row cost more than the index probe.
      usernameTaken: sqlite.prepare<[string], 1>('SELECT 1 FROM users WHERE username = ?').pluck(),
      emailTaken: sqlite.prepare<[string], 1>('SELECT 1 FROM users WHERE email_normalized = ?').pluck(),
      takenEmails: db
        .select({ email: users.emailNormalized })
        .from(users)
        .where(sql`${users.emailNormalized} IN (SELECT value FROM json_each(${p('emails')}))`)
        .prepare(),
    };
  });

  /** Which of the plan's usernames and emails are taken: a lookup each when they are few, else one query each. */
  function takenNames(plan: UserPlan): TakenNames {
    const statements = hot();
    if (plan.usernames.length + plan.emails.length <= 4) {
      return {
        usernames: new Set(plan.usernames.filter((username) => statements.usernameTaken.get(username) !== undefined)),
        emails: new Set(plan.emails.filter((email) => statements.emailTaken.get(email) !== undefined)),
      };
    }
    return {
      usernames: new Set(statements.takenUsernames.all({ names: JSON.stringify(plan.usernames) }).map((r) => r.username)),
      emails: new Set(statements.takenEmails.all({ emails: JSON.stringify(plan.emails) }).map((r) => r.email)),
    };
  }

  return {
    expectManyUsers() {
      c.writerThread();
    },

    async findUserByUsername(username) {
      return c.db.select(userFields).from(users).where(eq(users.username, username)).get() ?? null;
    },

    async takenUsernames(usernames) {
      if (usernames.length === 0) return new Set();
      const rows = hot().takenUsernames.all({ names: JSON.stringify(usernames) });
      return new Set(rows.map((r) => r.username));
    },

    async insertUsers(groupId, role, plan) {
      // Inserted as if every name were free, the unique indexes saying otherwise: the
      // usual plan (a createUser, an import's batch of new people) reads nothing before
      // its inserts. A refusal, by an index or by the plan itself (two inputs with one
      // email: the second might have a taken username, which createUser names first),
      // undoes them and the plan is decided again on the look-ups below. Decided before
      // the wait for `plan.after`: what nothing taken makes of it does not change.
      const planned = plan.decide(NOTHING_TAKEN);
      const users = planned.length;
      const rows = users === plan.inputs ? plannedRows(planned) : null;
      if (plan.after) await plan.after;
      // A large plan without a key is written by the connection's writer thread, while
      // this one goes on with the next request, or an import's next batch.
      const thread = rows && users >= WRITER_THREAD_MIN_USERS && !remember ? c.writerThread() : null;
      if (thread && (await thread.insertUsers(groupId, role, rows!))) return;
      // Refused by the thread's unique indexes: decided again on the look-ups, below.
      const tryFresh = rows !== null && thread === null;
      await c.write((_tx, settle) => {
        if (tryFresh && insertedAll(c, groupId, role, rows!, users)) return settle();
        // Read inside the IMMEDIATE transaction: no other writer can take a name before the inserts.
        insertRows(c, groupId, role, plannedRows(plan.decide(takenNames(plan))));
        settle();
      }, remember);
    },
  };
}
