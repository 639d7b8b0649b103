/** SQLite's errors: their codes under a driver's wrappers, and which mean the file cannot be used right now. */
/** The code of the SQLite error under a drizzle wrapper, if any. */
export function sqliteCode(error: unknown): string | null {
  let current: unknown = error;
  for (let i = 0; current && i < 4; i++) {
    const e = current as { code?: unknown; cause?: unknown };
    if (typeof e.code === 'string' && e.code.startsWith('SQLITE_')) return e.code;
    current = e.cause;
  }
  return null;
}

/**
 * Whether a driver error means the database file cannot be written or read right
 * now (this dialect's classification; see ../shared/unavailable.ts): a full disk,
 * an I/O error, a file that cannot be opened or is read-only.
 */
export function sqliteUnavailable(error: unknown): boolean {
  const code = sqliteCode(error);
  return (
    !!code &&
    (code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY'))
  );
}
