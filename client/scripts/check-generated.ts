/** Fails when src/generated/ is not what codegen makes of the schema and the documents now. */
import { staleFiles } from './generated-files.ts';

const stale = await staleFiles();
if (stale.length > 0) {
  console.error(`client: stale generated files: ${stale.join(', ')}. Run \`npm run -s client:generate\` and commit them.`);
  process.exit(1);
}
console.log('client: generated types are up to date');
