/**
 * Compiles client/examples/exhaustive.ts with `tsc --strict` as a program of its own,
 * optionally changed or against another copy of the client's source, in a folder
 * under test-artifacts/ (inside the project, so that its packages resolve).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { projectRoot, run } from '../support/processes.ts';

export const exampleFile = join(projectRoot, 'client/examples/exhaustive.ts');
const exampleConfig = join(projectRoot, 'client/examples/tsconfig.json');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

export interface Compiled {
  code: number | null;
  /** tsc's diagnostics, one a line. */
  output: string;
}

/** `tsc --strict -p client/examples/tsconfig.json`, as it stands. */
export async function compileExample(): Promise<Compiled> {
  const { code, stdout, stderr } = await run(process.execPath, [tsc, '--strict', '--pretty', 'false', '-p', exampleConfig]);
  return { code, output: stdout + stderr };
}

/**
 * The same with `program` in place of the example (in a file named `fileName`), and
 * `@team-api/client` from `clientIndex` (client/src/index.ts by default).
 */
export async function compileVariant(options: { program?: string; fileName?: string; clientIndex?: string; dir?: string }): Promise<Compiled> {
  const dir = options.dir ?? scratchDir('client-example-');
  const fileName = options.fileName ?? 'exhaustive.ts';
  try {
    writeFileSync(join(dir, fileName), options.program ?? readFileSync(exampleFile, 'utf8'));
    const clientIndex = options.clientIndex ?? join(projectRoot, 'client/src/index.ts');
    const config = {
      extends: relative(dir, exampleConfig),
      compilerOptions: { paths: { '@team-api/client': [relative(dir, clientIndex)] } },
      files: [fileName],
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config, null, 2));
    const { code, stdout, stderr } = await run(process.execPath, [tsc, '--strict', '--pretty', 'false', '-p', join(dir, 'tsconfig.json')]);
    return { code, output: stdout + stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A fresh folder under test-artifacts/ (ignored by git); the caller removes it. */
export function scratchDir(prefix: string): string {
  const artifacts = join(projectRoot, 'test-artifacts');
  mkdirSync(artifacts, { recursive: true });
  return mkdtempSync(join(artifacts, prefix));
}
