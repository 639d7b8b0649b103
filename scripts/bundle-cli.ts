/**
 * The admin CLI's production build, joined by esbuild: `dist/src/cli/admin.js` (in place
 * of the compiler's output of the same name), with what it imports lazily (each store)
 * in files of its own beside it. The ES module loader resolving and reading the CLI's
 * 300-odd modules one by one took a quarter of a second of every command's start. The
 * sources are type-checked by `tsc` before this runs; esbuild only joins them.
 *
 * Left out, and loaded from node_modules as before: better-sqlite3 (a native addon)
 * and pg (only the PostgreSQL store loads it, when DATABASE_URL names one).
 */
import { build } from 'esbuild';

await build({
  entryPoints: [
    { in: 'src/cli/admin.ts', out: 'admin' },
    // SQLite's writer thread (an import's), started on a file beside the module that starts it.
    { in: 'src/db/sqlite/writer-thread-entry.ts', out: 'writer-thread-entry' },
  ],
  outdir: 'dist/src/cli',
  bundle: true,
  // What is imported lazily stays lazy, in a file of its own beside admin.js: in one file,
  // the PostgreSQL store's import of pg would be hoisted to the top, loading pg (and
  // Node's fetch, which pg looks for) on every start on SQLite.
  splitting: true,
  chunkNames: 'admin-[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  external: ['better-sqlite3', 'pg', 'pg-native'],
  // The CommonJS packages joined in call require(), which an ES module has not.
  banner: { js: "import { createRequire as createRequireOfBundle } from 'node:module'; const require = createRequireOfBundle(import.meta.url);" },
  logLevel: 'warning',
});
