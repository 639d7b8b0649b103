/**
 * The admin CLI's production build as one file, `dist/src/cli/admin.js` (in place of
 * the compiler's output of the same name): an ES module loader resolving and reading
 * the CLI's 300-odd modules one by one took a quarter of a second of every command's
 * start, as long as a third of a 100,000-row import's work above its database's. The
 * sources are type-checked by `tsc` before this runs; esbuild only joins them.
 *
 * Left out, and loaded from node_modules as before: better-sqlite3 (a native addon)
 * and pg (only the PostgreSQL store loads it, when DATABASE_URL names one).
 */
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/admin.ts'],
  outfile: 'dist/src/cli/admin.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  external: ['better-sqlite3', 'pg', 'pg-native'],
  // The CommonJS packages joined in call require(), which an ES module has not.
  banner: { js: "import { createRequire as createRequireOfBundle } from 'node:module'; const require = createRequireOfBundle(import.meta.url);" },
  logLevel: 'warning',
});
