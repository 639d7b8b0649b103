/** Users on PostgreSQL: a plan of new users is one statement, with its memberships, events and key. */
import { eq, sql } from 'drizzle-orm';
import { userColumns } from '../shared/users.ts';
import type { TakenNames, UserPlan, UserStore, Remember } from '../store.ts';
import { CLAIM_HOLDS, claimCte, eventsJson, insertEventsFrom, type PostgresDatabase, violatedUniqueConstraint } from './database.ts';
import { users } from './schema.ts';

/** How often a user plan is decided again after losing a name to a concurrent writer. */
const MAX_PLAN_ATTEMPTS = 10;

// Users from a JSON array ($1), their memberships and events ($4), and, when keyed
// ($5..$11), the key's outcome: only if the key is free (or expired), else nothing
// at all is written and `keyed` is 0. A concurrent request with the same key waits
// here for the first to commit, then finds the key taken.
const insertUsersStatement = {
  name: 'team_api_insert_users',
  text: `WITH ${claimCte('$5', '$6', '$7', '$8', '$9', '$10', '$11')},
    new_users AS (
      INSERT INTO users (id, username, email, email_normalized, first_name, last_name, created_at)
      SELECT id, username, email, email_normalized, first_name, last_name, created_at
      FROM json_populate_recordset(NULL::users, $1::json)
      WHERE ${CLAIM_HOLDS('$6')}
    ), new_memberships AS (
      INSERT INTO memberships (group_id, user_id, role, created_at)
      SELECT $2, u.id, $3, u.created_at FROM json_populate_recordset(NULL::users, $1::json) u
      WHERE ${CLAIM_HOLDS('$6')}
    ), new_events AS (
      ${insertEventsFrom('$4', CLAIM_HOLDS('$6'))}
    )
    SELECT (SELECT count(*) FROM keyed)::int AS keyed`,
};

export function postgresUsers(c: PostgresDatabase, remember?: Remember<any>): UserStore {
  const p = sql.placeholder;
  const prepared = c.prepared('users', () => ({
    findUserByUsername: c.db
      .select(userColumns(users))
      .from(users)
      .where(eq(users.username, p('username')))
      .prepare('team_api_find_user_by_username'),
    takenUsernames: c.db
      .select({ username: users.username })
      .from(users)
      .where(sql`${users.username} = ANY(${p('usernames')}::text[])`)
      .prepare('team_api_taken_usernames'),
    takenEmails: c.db
      .select({ email: users.emailNormalized })
      .from(users)
      .where(sql`${users.emailNormalized} = ANY(${p('emails')}::text[])`)
      .prepare('team_api_taken_emails'),
  }));

  const takenUsernames: UserStore['takenUsernames'] = async (usernames) => {
    if (usernames.length === 0) return new Set();
    const rows = await prepared.takenUsernames.execute({ usernames });
    return new Set(rows.map((r) => r.username));
  };

  async function takenNames(plan: UserPlan): Promise<TakenNames> {
    const [usernames, emails] = await Promise.all([
      takenUsernames(plan.usernames),
      plan.emails.length === 0 ? [] : prepared.takenEmails.execute({ emails: plan.emails }).then((rows) => rows.map((r) => r.email)),
    ]);
    return { usernames, emails: new Set(emails) };
  }

  return {
    expectManyUsers() {
      // Every write is the pool's: nothing to start.
    },

    async findUserByUsername(username) {
      return (await prepared.findUserByUsername.execute({ username }))[0] ?? null;
    },

    takenUsernames,

    async insertUsers(groupId, role, plan) {
      await plan.after;
      // One user with a wanted name (createUser's common case) is inserted at once: one
      // round trip. A larger plan reads first, as it will likely meet taken names.
      let taken: TakenNames =
        plan.usernames.length + plan.emails.length <= 2 ? { usernames: new Set(), emails: new Set() } : await takenNames(plan);
      for (let attempt = 1; ; attempt++) {
        const planned = plan.decide(taken);
        const rows = planned.map(({ user }) => ({
          id: user.id,
          username: user.username,
          email: user.email,
          email_normalized: user.email.toLowerCase(),
          first_name: user.firstName,
          last_name: user.lastName,
          created_at: user.createdAt,
        }));
        try {
          const values = [JSON.stringify(rows), groupId, role, eventsJson(planned.flatMap((p) => p.events))];
          await c.keyedStatement(insertUsersStatement, values, remember);
          return;
        } catch (error) {
          // Someone took a name between the read and the insert (or the insert went
          // first): nothing was written; read again and let the plan decide again.
          const constraint = violatedUniqueConstraint(error);
          if ((constraint === 'users_username' || constraint === 'users_email_normalized') && attempt < MAX_PLAN_ATTEMPTS) {
            taken = await takenNames(plan);
            continue;
          }
          throw error;
        }
      }
    },
  };
}
