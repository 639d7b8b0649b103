/** `print` writes schema.graphql from the built schema; `check` fails when the file is stale. */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printedSchema } from '../src/graphql/schema.ts';

const file = fileURLToPath(new URL('../schema.graphql', import.meta.url));
const mode = process.argv[2];

if (mode === 'print') {
  writeFileSync(file, printedSchema());
  console.log(`wrote ${file}`);
} else if (mode === 'check') {
  let committed = '';
  try {
    committed = readFileSync(file, 'utf8');
  } catch {
    // A missing file is stale too.
  }
  if (committed !== printedSchema()) {
    console.error('schema.graphql differs from the built schema: run `npm run schema:print` and commit it.');
    process.exit(1);
  }
  console.log('schema.graphql is up to date');
} else {
  console.error('usage: tsx scripts/schema.ts print|check');
  process.exit(2);
}
