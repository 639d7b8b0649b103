/** Users on SQLite: bulk creation runs on plain prepared statements, inside one IMMEDIATE transaction. */
import { eq, sql } from 'drizzle-orm';
import type { PlannedUser, Remember, TakenNames, UserPlan, UserRecord, UserStore } from '../store.ts';
import { userColumns } from '../shared/users.ts';
import type { SqliteDatabase } from './database.ts';
import { users } from './schema.ts';

const userFields = userColumns(users);
const NOTHING_TAKEN: TakenNames = { usernames: new Set(), emails: new Set() };

export function sqliteUsers(c: SqliteDatabase, remember?: Remember<any>): UserStore {
  const hot = c.statements('users', (db, sqlite) => {
    const p = sql.placeholder;
    return {
      // The writes of creating a user as plain statements with positional parameters:
      // drizzle's per-call parameter mapping was a fifth of a bulk import's time, and
      // binding by name from a row object twice the time of the insert itself.
      insertUser: sqlite.prepare<[string, string, string, string, string | null, string | null, number]>(
        `INSERT INTO users (id, username, email, email_normalized, first_name, last_name, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertMembership: sqlite.prepare<[string, string, string, number]>(
        'INSERT INTO memberships (group_id, user_id, role, created_at) VALUES (?, ?, ?, ?)',
      ),
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
    async findUserByUsername(username) {
      return c.db.select(userFields).from(users).where(eq(users.username, username)).get() ?? null;
    },

    async takenUsernames(usernames) {
      if (usernames.length === 0) return new Set();
      const rows = hot().takenUsernames.all({ names: JSON.stringify(usernames) });
      return new Set(rows.map((r) => r.username));
    },

    async insertUsers(groupId, role, plan) {
      const statements = hot();
      const insertUser = ({ id, username, email, firstName, lastName, createdAt }: UserRecord) =>
        statements.insertUser.run(id, username, email, email.toLowerCase(), firstName, lastName, createdAt);
      /** False, having written nothing, when a unique index refuses any user's username or email. */
      const insertedAll = (planned: PlannedUser[]) => {
        try {
          // One user's refused insert wrote nothing; several need a savepoint to undo the first ones.
          if (planned.length === 1) insertUser(planned[0]!.user);
          else c.undoable(() => planned.forEach(({ user }) => insertUser(user)));
          return true;
        } catch (error) {
          if ((error as { code?: unknown }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw error;
          return false;
        }
      };
      const insertMembershipAndEvents = ({ user, events: userEvents }: PlannedUser) => {
        statements.insertMembership.run(groupId, user.id, role, user.createdAt);
        c.writeEvents(userEvents);
      };
      await c.write((_tx, settle) => {
        // Inserted as if every name were free, the unique indexes saying otherwise: the
        // usual plan (a createUser, an import's batch of new people) reads nothing before
        // its inserts. A refusal, by an index or by the plan itself (two inputs with one
        // email: the second might have a taken username, which createUser names first),
        // undoes them and the plan is decided again on the look-ups below.
        const fresh = plan.decide(NOTHING_TAKEN);
        if (fresh.length === plan.inputs && insertedAll(fresh)) {
          fresh.forEach(insertMembershipAndEvents);
          return settle();
        }
        // Read inside the IMMEDIATE transaction: no other writer can take a name before the inserts.
        for (const planned of plan.decide(takenNames(plan))) {
          insertUser(planned.user);
          insertMembershipAndEvents(planned);
        }
        settle();
      }, remember);
    },
  };
}
