/**
 * The server and CLI that tests spawn, compiled once per run of the suite.
 *
 * Through the TypeScript loader each spawned process spends about a second of CPU
 * compiling and resolving before it does anything; the suite spawns hundreds, on
 * two shared cores. Compiled JavaScript (the same emit as `npm run build`, without
 * the type check `npm test` runs first) starts in under half that. The output goes
 * under node_modules/.cache so that Node resolves the dependencies from the project,
 * in a directory of its own per run so that two runs never share one.
 * `startServer(env, { source: true })` still starts src/server.ts as `npm start`
 * does, for the test of that command.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export function buildForTests(projectRoot: string): string {
  const cache = join(projectRoot, 'node_modules', '.cache', 'team-api-tests');
  mkdirSync(cache, { recursive: true });
  // A run that was killed left its build behind: a day later nothing still uses it.
  for (const stale of readdirSync(cache)) {
    const path = join(cache, stale);
    if (Date.now() - statSync(path).mtimeMs > 86_400_000) rmSync(path, { recursive: true, force: true });
  }
  const dir = mkdtempSync(join(cache, 'build-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const tsc = createRequire(join(projectRoot, 'package.json')).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--noCheck', '--sourceMap', 'false', '--outDir', dir], {
    cwd: projectRoot,
    stdio: 'inherit',
  });
  cpSync(join(projectRoot, 'drizzle'), join(dir, 'drizzle'), { recursive: true });
  // Under node_modules, Node looks for no package.json above this one: without it
  // the emitted ES modules would be read as CommonJS.
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  return dir;
}
