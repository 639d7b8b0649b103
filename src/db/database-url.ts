/** Which store a DATABASE_URL selects, told without loading either. */

/** `postgres://…` or `postgresql://…`: the URLs that select the PostgreSQL store; anything else is a SQLite file. */
export function isPostgresUrl(databaseUrl: string): boolean {
  return /^postgres(ql)?:\/\//i.test(databaseUrl);
}
