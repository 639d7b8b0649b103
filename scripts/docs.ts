/**
 * The tables the docs hold that are generated from the code: the error table in the
 * README from the catalog, and the configuration table in docs/configuration.md from
 * the configuration schema. `write` regenerates them in place; `check` fails when one
 * differs. Each table sits between two markers.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configVariables } from '../src/config/documentation.ts';
import { addedErrorCodes, errorCatalog, errorCodes } from '../src/errors/catalog.ts';

export const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
export const configurationPath = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));

export function errorTable(): string {
  const rows = errorCodes.map((code) => {
    const { status, message } = errorCatalog[code];
    const added = !addedErrorCodes.includes(code) ? '' : code === 'MemberSuspended' ? ' (added, API.md §18)' : ' (added, API.md §9)';
    return `| \`${code}\`${added} | ${status} | ${message} |`;
  });
  return ['| code | status | message |', '|---|---|---|', ...rows].join('\n');
}

export function configTable(): string {
  const rows = configVariables.map((v) => `| \`${v.name}\` | ${v.default} | ${v.description.replace(/\|/g, '\\|')} |`);
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** The text with the table between `<!-- {name}:start -->` and `<!-- {name}:end -->` replaced. */
export function withTable(text: string, name: string, table: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`the ${start} … ${end} markers are missing`);
  return `${text.slice(0, from + start.length)}\n${table}\n${text.slice(to)}`;
}

export const generated = [
  { path: readmePath, update: (text: string) => withTable(text, 'error-table', errorTable()) },
  { path: configurationPath, update: (text: string) => withTable(text, 'config-table', configTable()) },
];

if (import.meta.url === `file://${process.argv[1]}`) {
  let stale = false;
  for (const { path, update } of generated) {
    const text = readFileSync(path, 'utf8');
    const updated = update(text);
    if (process.argv[2] === 'write') writeFileSync(path, updated);
    else if (updated !== text) {
      console.error(`${path} differs from the code: run \`npm run -s docs:generate\`.`);
      stale = true;
    }
  }
  if (stale) process.exit(1);
}
