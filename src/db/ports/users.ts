/** The storage port for users, and how a plan of new users is written. */
import type { NewEvent } from './events.ts';
import type { MemberRole, UserRecord } from './records.ts';

/** Which of a plan's usernames and (lower-cased) emails are taken. */
export interface TakenNames {
  usernames: Set<string>;
  emails: Set<string>;
}

/** A user to insert with its membership, and the events of its creation. */
export interface PlannedUser {
  user: UserRecord;
  events: NewEvent[];
}

/**
 * How users are created: the store reads which of `usernames` and `emails` are
 * taken, inside the write's transaction, and inserts what `decide` makes of that,
 * in order. The rules are the domain's; the store only answers "taken?" and writes.
 * If a concurrent writer takes a name between the read and the insert, the store
 * reads again and asks `decide` again, in the same transaction. A store may also
 * ask `decide` with nothing taken first and insert, reading only when a unique index
 * refuses (SQLite does, undoing the refused plan's inserts): `decide` is asked
 * again each time, and only its last answer counts. That first answer stands only
 * when it refused no input: a refusal decided with nothing taken (an email an earlier
 * input took) may hide the one the database would give first (a taken username).
 */
export interface UserPlan {
  usernames: string[];
  /** Lower-cased. */
  emails: string[];
  /** How many users `decide` plans when no input is refused (one per input that passed the checks needing no database). */
  inputs: number;
  decide(taken: TakenNames): PlannedUser[];
  /**
   * The write waits for this (an import's batch for the one before it, so its rows
   * meet the earlier rows' names as a file read in order would), and fails with it.
   * A store may ask `decide` with nothing taken before the wait.
   */
  after?: Promise<unknown>;
}

export interface UserStore {
  findUserByUsername(username: string): Promise<UserRecord | null>;
  /** The subset of the given usernames that are taken. */
  takenUsernames(usernames: string[]): Promise<Set<string>>;
  /**
   * Creates the users the plan decides on, each with its membership and events, all
   * in one transaction (with the key's outcome, when keyed). IdempotentReplay when
   * the key was used already.
   */
  insertUsers(groupId: string, role: MemberRole, plan: UserPlan): Promise<void>;
  /**
   * Says large plans are coming (an import): a store that writes them on a thread of
   * its own (SQLite) starts it now, while the caller opens and reads its file.
   */
  expectManyUsers(): void;
}
