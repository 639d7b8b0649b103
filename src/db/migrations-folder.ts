import { fileURLToPath } from 'node:url';

/**
 * The committed migrations of a dialect (`drizzle/<dialect>`), found from this file:
 * `src/db/` in the sources, `dist/src/db/` in the build, beside which the build copies
 * `drizzle/`. The CLI's joined build (`dist/src/cli/`, see `scripts/bundle-cli.ts`)
 * holds this code two levels under `dist/` too, so the same path holds there.
 */
export function migrationsFolder(dialect: 'sqlite' | 'postgres'): string {
  return fileURLToPath(new URL(`../../drizzle/${dialect}`, import.meta.url));
}
