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
      /** False, having written nothing, when a unique index refuses the user's username or email. */
      const insertedUser = (user: UserRecord) => {
        try {
          insertUser(user);
          return true;
        } catch (error) {
          if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') return false;
          throw error;
        }
      };
      const insertMembershipAndEvents = ({ user, events: userEvents }: PlannedUser) => {
        statements.insertMembership.run(groupId, user.id, role, user.createdAt);
        c.writeEvents(userEvents);
      };
      await c.write((_tx, settle) => {
        // One name and one email (createUser without a suggestion; at most one user):
        // insert as if both were free and let the unique indexes say otherwise, so the
        // usual case reads nothing first. A refusal is decided on the look-ups below,
        // which say which rule refuses it.
        if (plan.usernames.length === 1 && plan.emails.length === 1) {
          const planned = plan.decide(NOTHING_TAKEN);
          if (planned.every(({ user }) => insertedUser(user))) {
            planned.forEach(insertMembershipAndEvents);
            return settle();
          }
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
