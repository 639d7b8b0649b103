/** Instants as the API and the CLI write them: ISO-8601 in UTC, from the epoch milliseconds the store keeps. */

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}
