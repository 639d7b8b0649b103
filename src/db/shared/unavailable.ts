/**
 * The database cannot be reached or cannot write (API.md §17): each dialect
 * classifies its driver's errors (postgresUnavailable, sqliteUnavailable) and the
 * store turns those into ServiceUnavailable, a DomainError that services let pass
 * and transports answer at the transport level (503, with Retry-After).
 *
 * Which failures are which: a lost connection, a refused or timed-out connect, an
 * administrator's shutdown (57P01…), a statement timeout, a full disk or an I/O
 * error is the database being unavailable: ServiceUnavailable, try again shortly.
 * A write the database refused for this request alone (a failing constraint, a
 * trigger) is still a storage failure of the operation: FailedToCreateUser,
 * failedToCreateSession in their unions. Anything else stays InternalError.
 */
import { type DomainError, Errors, findDomainError } from '../../errors/domain-error.ts';

/** What `Retry-After` says: the pool replaces dead connections within about this long. */
export const RETRY_AFTER_SECONDS = 2;

/** `error` as ServiceUnavailable when the dialect's `isUnavailable` says so, unless it is one already. */
export function classified(error: unknown, isUnavailable: (error: unknown) => boolean): unknown {
  if (unavailableIn(error) || !isUnavailable(error)) return error;
  return new Errors.ServiceUnavailable({
    cause: error,
    reason: 'the database is unavailable',
    headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
  });
}

/** The ServiceUnavailable under `error` (a driver error already classified), if any. */
export function unavailableIn(error: unknown): DomainError | null {
  const found = findDomainError(error);
  return found?.code === 'ServiceUnavailable' ? found : null;
}
