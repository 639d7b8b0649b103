/** Provisioning users into a group: the rules of API.md §2 and one all-or-nothing write. */
import type { GroupRecord, InsertUserOutcome, NewUser, UserRecord } from '../db/store.ts';
import { StorageWriteError } from '../db/store.ts';
import { type DomainError, Errors, invalidInput } from '../errors/domain-error.ts';
import type { ServiceDeps } from './deps.ts';
import { type Caller, newEvent, targets } from './events.ts';
import { optionalText, parseEmail } from './inputs.ts';
import { newId } from './secrets.ts';
import {
  isReserved,
  normalizeUsername,
  suggestionBase,
  suggestionCandidates,
  suggestionProblem,
  usernameProblem,
} from './usernames.ts';

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

  async create(group: GroupRecord, input: CreateUserInput, caller: Caller): Promise<UserRecord> {
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

    const base = { email, firstName, lastName };
    if (username !== null) {
      const problem: DomainError | null =
        usernameProblem(username) ?? (isReserved(username) ? new Errors.UsernameAlreadyExists() : null);
      if (!problem) {
        const outcome = await this.insert(group, { ...base, username }, caller);
        if (outcome.ok) return outcome.user;
        if (outcome.conflict === 'email' || suggestion === null) throw conflictError(outcome.conflict);
      } else if (suggestion === null) {
        throw problem;
      }
    }
    return this.createFromSuggestion(group, base, suggestion!, caller);
  }

  /** Tries random suffixes on the suggestion until one is free (at least 10 tries). */
  private async createFromSuggestion(
    group: GroupRecord,
    base: Omit<NewUser, 'id' | 'createdAt' | 'username'>,
    suggestion: string,
    caller: Caller,
  ): Promise<UserRecord> {
    const candidates = suggestionCandidates(suggestion);
    const taken = await this.deps.store.takenUsernames(candidates);
    for (const username of candidates) {
      if (taken.has(username)) continue;
      const outcome = await this.insert(group, { ...base, username }, caller);
      if (outcome.ok) return outcome.user;
      if (outcome.conflict === 'email') throw conflictError('email');
      // Lost a race for this candidate: try the next.
    }
    throw new Errors.UsernameAlreadyExists();
  }

  private async insert(
    group: GroupRecord,
    fields: Omit<NewUser, 'id' | 'createdAt'>,
    caller: Caller,
  ): Promise<InsertUserOutcome> {
    const user: NewUser = { ...fields, id: newId(), createdAt: this.deps.now() };
    const role = 'member';
    const { username, email, firstName, lastName } = user;
    const created = newEvent('user.created', group, caller, targets.user(user), { username, email, firstName, lastName, role }, user.createdAt);
    try {
      return await this.deps.store.insertUserWithMembership(user, group.id, role, [created]);
    } catch (error) {
      if (error instanceof StorageWriteError) throw new Errors.FailedToCreateUser({ cause: error.cause });
      throw error;
    }
  }
}

function conflictError(conflict: 'username' | 'email'): DomainError {
  return conflict === 'username' ? new Errors.UsernameAlreadyExists() : new Errors.EmailAlreadyExists();
}
