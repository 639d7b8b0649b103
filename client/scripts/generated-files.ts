/**
 * What graphql-codegen makes of ../schema.graphql and src/operations/*.graphql with
 * codegen.ts, without writing it, and which committed files under src/generated/
 * differ from that: the staleness check of `npm run -s check` and of the tests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';
import config from '../codegen.ts';

export const clientRoot = fileURLToPath(new URL('..', import.meta.url));
const generatedDir = join(clientRoot, 'src/generated');

export interface GeneratedFile {
  /** Absolute path. */
  path: string;
  content: string;
}

/** Another schema file or documents than codegen.ts names: the tests' way to change them. */
export interface Sources {
  schema?: string;
  documents?: string;
}

/** The files codegen makes now. */
export async function generatedFiles(sources: Sources = {}): Promise<GeneratedFile[]> {
  const overrides = Object.fromEntries(Object.entries(sources).filter(([, value]) => value !== undefined));
  const outputs = await generate({ ...config, ...overrides, cwd: clientRoot, silent: true }, false);
  return (outputs as Array<{ filename: string; content: string }>).map((output) => ({
    path: resolve(clientRoot, output.filename),
    content: output.content,
  }));
}

/** Paths (relative to client/) of the committed generated files that are missing, different, or no longer generated. */
export async function staleFiles(sources: Sources = {}): Promise<string[]> {
  const fresh = await generatedFiles(sources);
  const stale = fresh.filter((file) => read(file.path) !== file.content).map((file) => file.path);
  const expected = new Set(fresh.map((file) => file.path));
  const extra = readdirSync(generatedDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => !expected.has(path));
  return [...stale, ...extra].map((path) => relative(clientRoot, path)).sort();
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
