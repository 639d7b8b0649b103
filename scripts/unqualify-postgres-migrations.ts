/**
 * drizzle-kit writes foreign keys as REFERENCES "public"."table"; this strips the
 * schema so the migrations apply to whichever schema the connection's search_path
 * names (tests and side-by-side deployments each get their own). Run after
 * `drizzle-kit generate` (the `db:generate` scripts do).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const folder = fileURLToPath(new URL('../drizzle/postgres/', import.meta.url));

for (const name of readdirSync(folder).filter((f) => f.endsWith('.sql'))) {
  const path = folder + name;
  const before = readFileSync(path, 'utf8');
  const after = before.replaceAll('"public".', '');
  if (after !== before) {
    writeFileSync(path, after);
    console.log(`unqualified ${name}`);
  }
}
