/**
 * Keeps the README's error table equal to the catalog: `write` regenerates it in
 * place, `check` fails when it differs. The table sits between two markers.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { addedErrorCodes, errorCatalog, errorCodes } from '../src/errors/catalog.ts';

export const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
const START = '<!-- error-table:start -->';
const END = '<!-- error-table:end -->';

export function errorTable(): string {
  const rows = errorCodes.map((code) => {
    const { status, message } = errorCatalog[code];
    const added = addedErrorCodes.includes(code) ? ' (added, API.md §9)' : '';
    return `| \`${code}\`${added} | ${status} | ${message} |`;
  });
  return ['| code | status | message |', '|---|---|---|', ...rows].join('\n');
}

export function withErrorTable(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the ${START} … ${END} markers`);
  return `${readme.slice(0, start + START.length)}\n${errorTable()}\n${readme.slice(end)}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const readme = readFileSync(readmePath, 'utf8');
  const updated = withErrorTable(readme);
  if (process.argv[2] === 'write') {
    writeFileSync(readmePath, updated);
  } else if (updated !== readme) {
    console.error('README.md error table differs from the catalog: run `npm run -s docs:errors`.');
    process.exit(1);
  }
}
