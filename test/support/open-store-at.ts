/**
 * Opens (creating and migrating) the SQLite database of argv[2] at the wall-clock
 * millisecond argv[3], then prints "ok" or the error: several of these started
 * together make processes race on a new file the way simultaneous servers do.
 */
import { openSqliteStore } from '../../src/db/sqlite/store.ts';

const [databaseUrl, atText] = process.argv.slice(2);
const at = Number(atText);
// Sleep until just before the moment, then spin: timers alone are too coarse to line
// processes up, and spinning all along would starve the others of the CPU.
await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now() - 30)));
while (Date.now() < at) {
  // spin
}
try {
  const store = openSqliteStore(databaseUrl!);
  await store.close();
  console.log('ok');
} catch (error) {
  console.log(`failed: ${(error as Error).message.split('\n')[0]}`);
  process.exitCode = 1;
}
