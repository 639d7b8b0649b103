/** Provisioning users into a group: the rules of API.md §2 and one all-or-nothing write. */
import type { GroupRecord, NewEvent, PlannedUser, TakenNames, UserPlan, UserRecord } from '../db/store.ts';
import { StorageWriteError } from '../db/store.ts';
import { DomainError, Errors, invalidInput } from '../errors/domain-error.ts';
import { newId } from '../ids.ts';
import type { ServiceDeps } from './deps.ts';
import { type Caller, newEvent, targets } from './events.ts';
import type { ErrorCode } from '../errors/catalog.ts';
import { decodeRefusal, encodeRefusal, isEncodedRefusal, type Keyed, type OutcomeCodec, remembering } from './idempotency.ts';
import { optionalText, parseEmail } from './inputs.ts';
import {
  isReserved,
  normalizeUsername,
  suggestionBase,
  suggestionCandidates,
  suggestionProblem,
  usernameProblem,
} from './usernames.ts';

/** What createUser may answer instead of a user: the members of CreateUserResult. */
export const CREATE_USER_REFUSALS = [
  'InvalidInput',
  'InvalidEmailDomain',
  'InvalidUsername',
  'OutOfRangeUsername',
  'OutOfRangeSuggestedUsername',
  'UsernameAlreadyExists',
  'EmailAlreadyExists',
  'FailedToCreateUser',
] as const satisfies readonly ErrorCode[];

/** A created user as a keyed createUser remembers it. */
export const createUserOutcome: OutcomeCodec<UserRecord> = {
  refusals: CREATE_USER_REFUSALS,
  encode: (user) => ({ user }),
  decode: (stored) => (stored as { user: UserRecord }).user,
};

/** createUsers' outcomes, one per input, as a keyed createUsers remembers them. */
export const createUsersOutcome: OutcomeCodec<Array<UserRecord | DomainError>> = {
  refusals: [],
  encode: (outcomes) => outcomes.map((o) => (o instanceof DomainError ? encodeRefusal(o) : createUserOutcome.encode(o))),
  decode: (stored) => (stored as unknown[]).map((o) => (isEncodedRefusal(o) ? decodeRefusal(o) : createUserOutcome.decode(o))),
};

/** How many free alternatives an unavailable username comes with. */
export const USERNAME_ALTERNATIVES = 3;

export interface CreateUserInput {
  email: string;
  username?: string | null;
  suggestedUsername?: string | null;
  firstName?: string | null;
  lastName?: string | null;
}

export interface UsernameAvailability {
  /** The name as it would be stored (trimmed, lower-case). */
  username: string;
  available: boolean;
  /** Free usernames built from it when it is not available; else empty. */
  alternatives: string[];
}

export class UserService {
  constructor(private readonly deps: ServiceDeps) {}

  /**
   * Whether createUser could take this username now. Malformed names answer
   * OutOfRangeUsername / InvalidUsername; a reserved name is never available.
   * Alternatives use the same random suffixes as `suggestedUsername`, on the name
   * cut to 15 characters, so each is a valid username of at most 25.
   */
  async availability(usernameInput: string): Promise<UsernameAvailability> {
    const username = normalizeUsername(usernameInput);
    const problem = usernameProblem(username);
    if (problem) throw problem;
    if (!isReserved(username) && !(await this.deps.store.takenUsernames([username])).has(username)) {
      return { username, available: true, alternatives: [] };
    }
    const candidates = suggestionCandidates(suggestionBase(username));
    const taken = await this.deps.store.takenUsernames(candidates);
    const alternatives = candidates.filter((c) => !taken.has(c)).slice(0, USERNAME_ALTERNATIVES);
    return { username, available: false, alternatives };
  }

  /**
   * Creates a user in the group (with a `member` membership), or throws the refusal
   * of API.md §2. With `keyed`, the outcome, success or refusal, is remembered in
   * the same transaction.
   */
  async create(group: GroupRecord, input: CreateUserInput, caller: Caller, keyed?: Keyed<UserRecord | DomainError>): Promise<UserRecord> {
    const prepared = this.prepare(group, input);
    const [outcome] = await this.write(group, [prepared], caller, keyed && { claim: keyed.claim, encode: ([one]) => keyed.encode(one!) });
    if (outcome instanceof DomainError) throw outcome;
    return outcome!;
  }

  /**
   * Creates many users at once: one outcome per input, in order, each what `create`
   * would have answered had the inputs come one after another (so of two inputs with
   * one username, the second is refused). All of them are written in one transaction.
   */
  async createMany(
    group: GroupRecord,
    inputs: CreateUserInput[],
    caller: Caller,
    keyed?: Keyed<Array<UserRecord | DomainError>>,
    after?: Promise<unknown>,
  ): Promise<Array<UserRecord | DomainError>> {
    const prepared = inputs.map((input) => {
      try {
        return this.prepare(group, input);
      } catch (error) {
        if (error instanceof DomainError) return error;
        throw error;
      }
    });
    return this.write(group, prepared, caller, keyed, after);
  }

  /** An import begins: the store gets ready for its batches (SQLite starts its writer thread). */
  startImport(): void {
    this.deps.store.expectManyUsers();
  }

  /**
   * An import's batch (CLI `user import`): createMany, except that an input whose
   * email already belongs to a member who joined the group before `importStartedAt`
   * is that member, so running the same file again creates nothing twice. Such an
   * input cannot be created (its email is taken), and one that is refused takes no
   * name from the inputs after it, so the members are looked up for the refused
   * inputs alone, afterwards: a batch of new people reads nothing but its inserts.
   * With `after` (the batch before it), the batch is checked and planned at once and
   * written once that one is done: an import reads and plans a batch while the one
   * before it is written.
   */
  async importMany(
    group: GroupRecord,
    inputs: CreateUserInput[],
    caller: Caller,
    importStartedAt: number,
    after?: Promise<unknown>,
  ): Promise<Array<UserRecord | DomainError | ExistingMember>> {
    const outcomes = await this.createMany(group, inputs, caller, undefined, after);
    // The email of each refused input, as compared for uniqueness (null for the rest).
    const refusedEmails = inputs.map(({ email }, i) =>
      outcomes[i] instanceof DomainError && typeof email === 'string' ? email.trim().toLowerCase() : null,
    );
    const refused = [...new Set(refusedEmails.filter((email): email is string => email !== null))];
    if (refused.length === 0) return outcomes;
    const members = await this.deps.store.findMembersByEmails(group.id, refused);
    const before = new Map(members.filter((m) => m.joinedAt < importStartedAt).map((m) => [m.user.email.toLowerCase(), m.user]));
    return outcomes.map((outcome, i) => {
      const email = refusedEmails[i];
      const member = email == null ? undefined : before.get(email);
      return member ? { existing: member } : outcome;
    });
  }

  /**
   * Checks an input against the rules that need no database (email, names, allowed
   * domains, the shape of the usernames) and draws its suggestion candidates once;
   * throws the refusal. The same input always gets the same refusal here.
   */
  private prepare(group: GroupRecord, input: CreateUserInput): PreparedUser {
    const { email, domain } = parseEmail(input.email);
    const firstName = optionalText('firstName', input.firstName);
    const lastName = optionalText('lastName', input.lastName);
    if (group.allowedDomains.length > 0 && !group.allowedDomains.includes(domain)) {
      throw new Errors.InvalidEmailDomain();
    }

    const username = input.username == null ? null : normalizeUsername(input.username);
    const suggestion = input.suggestedUsername == null ? null : normalizeUsername(input.suggestedUsername);
    if (username === null && suggestion === null) throw invalidInput('username', 'give a username or a suggestedUsername');
    // A bad suggestion is refused even when the username would have done: the
    // same input always gets the same answer, whatever the database holds.
    const badSuggestion = suggestion === null ? null : suggestionProblem(suggestion);
    if (badSuggestion) throw badSuggestion;
    // A malformed or reserved username falls back to the suggestion, if there is one.
    const problem = username === null ? null : (usernameProblem(username) ?? (isReserved(username) ? new Errors.UsernameAlreadyExists() : null));
    if (problem && suggestion === null) throw problem;
    return {
      email,
      emailKey: email.toLowerCase(),
      firstName,
      lastName,
      username: problem ? null : username,
      candidates: suggestion === null ? [] : suggestionCandidates(suggestion),
    };
  }

  /**
   * Decides every prepared input against what the database holds, as if one after
   * another, and writes the users in one transaction (with the key's outcome).
   */
  private async write(
    group: GroupRecord,
    prepared: Array<PreparedUser | DomainError>,
    caller: Caller,
    keyed?: Keyed<Array<UserRecord | DomainError>>,
    after?: Promise<unknown>,
  ): Promise<Array<UserRecord | DomainError>> {
    // Every prepared input gets its outcome when the plan decides; until then it has none.
    const outcomes: Array<UserRecord | DomainError | null> = prepared.map((p) => (p instanceof DomainError ? p : null));
    const candidates = prepared.filter((p): p is PreparedUser => !(p instanceof DomainError));
    const decided = () => outcomes.map((o) => o!);
    if (candidates.length === 0 && !keyed) {
      await after;
      return decided();
    }
    const createdAt = this.deps.now();
    let names: { usernames: string[]; emails: string[] } | null = null;
    // The names to look up, gathered when a store first asks: SQLite inserts first and reads them only on a refusal.
    const namesToLookUp = () =>
      (names ??= {
        usernames: [...new Set(candidates.flatMap((p) => (p.username === null ? p.candidates : [p.username, ...p.candidates])))],
        emails: [...new Set(candidates.map((p) => p.emailKey))],
      });
    const plan: UserPlan = {
      inputs: candidates.length,
      get usernames() {
        return namesToLookUp().usernames;
      },
      get emails() {
        return namesToLookUp().emails;
      },
      decide: (taken) => {
        // Each user taken by an earlier input counts as taken for the later ones.
        const usernames = new Set(taken.usernames);
        const emails = new Set(taken.emails);
        const planned: PlannedUser[] = [];
        prepared.forEach((p, i) => {
          if (p instanceof DomainError) return;
          const choice = chooseUsername(p, { usernames, emails });
          if (choice instanceof DomainError) {
            outcomes[i] = choice;
            return;
          }
          const user: UserRecord = { id: newId(), username: choice, email: p.email, firstName: p.firstName, lastName: p.lastName, createdAt };
          usernames.add(user.username);
          emails.add(p.emailKey);
          outcomes[i] = user;
          planned.push({ user, events: [userCreated(group, caller, user)] });
        });
        return planned;
      },
      after,
    };
    try {
      await this.deps.store.keyed(remembering(keyed, decided)).insertUsers(group.id, 'member', plan);
    } catch (error) {
      if (!(error instanceof StorageWriteError)) throw error;
      // Nothing was written: every user that would have been created failed to be.
      return outcomes.map((o, i) => (prepared[i] instanceof DomainError ? o! : new Errors.FailedToCreateUser({ cause: error.cause })));
    }
    return decided();
  }
}

/** An imported row that names a member the group already had. */
export interface ExistingMember {
  existing: UserRecord;
}

/** An input that passed the checks needing no database. */
interface PreparedUser {
  email: string;
  /** The email as compared for uniqueness: lower-cased. */
  emailKey: string;
  firstName: string | null;
  lastName: string | null;
  /** The wanted username, well-formed and not reserved; null when there is none or it cannot be used. */
  username: string | null;
  /** The suggestion plus random suffixes, drawn once; empty without a suggestion. */
  candidates: string[];
}

/**
 * createUser's rule, given what is taken: the wanted username if free (else the
 * suggestion), the first free candidate of the suggestion; the email must be free.
 */
function chooseUsername(p: PreparedUser, taken: TakenNames): string | DomainError {
  if (p.username !== null) {
    if (!taken.usernames.has(p.username)) return taken.emails.has(p.emailKey) ? new Errors.EmailAlreadyExists() : p.username;
    if (p.candidates.length === 0) return new Errors.UsernameAlreadyExists();
  }
  const free = p.candidates.find((candidate) => !taken.usernames.has(candidate));
  if (free === undefined) return new Errors.UsernameAlreadyExists();
  return taken.emails.has(p.emailKey) ? new Errors.EmailAlreadyExists() : free;
}

function userCreated(group: GroupRecord, caller: Caller, user: UserRecord): NewEvent {
  const { username, email, firstName, lastName } = user;
  return newEvent('user.created', group, caller, targets.user(user), { username, email, firstName, lastName, role: 'member' }, user.createdAt);
}
