/**
 * client/README.md stays true: its TypeScript examples, taken together as one
 * program, compile under `tsc --strict` against the client, and every npm script it
 * names exists.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../support/processes.ts';
import { compileVariant } from './compile-example.ts';

const readme = readFileSync(join(projectRoot, 'client/README.md'), 'utf8');
/** What the examples use without importing it themselves (the first example shows the import). */
const PREAMBLE = "import { isErrorResult, TeamApiError } from '@team-api/client';\n";

describe('client/README.md', () => {
  it('has TypeScript examples that compile together under tsc --strict', async () => {
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    const { code, output } = await compileVariant({ program: PREAMBLE + blocks.join('\n'), fileName: 'readme.ts' });
    expect(output).toBe('');
    expect(code).toBe(0);
  });

  it('names only npm scripts that exist', () => {
    const root = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')).scripts;
    const client = JSON.parse(readFileSync(join(projectRoot, 'client/package.json'), 'utf8')).scripts;
    const named = [...readme.matchAll(/npm run -s ([\w:-]+)( --workspace client)?/g)];
    expect(named.length).toBeGreaterThan(0);
    for (const [text, script, workspace] of named) expect(workspace ? client : root, text).toHaveProperty([script!]);
  });
});
