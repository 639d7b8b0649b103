/**
 * The entry of a SQLite writer thread (see writer-thread.ts): its own connection to
 * the file, writing each plan it is sent in a unit of the group commit, in order.
 * Loaded only as a worker thread's script.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { SqliteDatabase } from './database.ts';
import { sqliteCode } from './errors.ts';
import { insertRows } from './users.ts';
import type { WriterAnswer, WriterMessage, WriterThreadData } from './writer-thread.ts';

function run({ path }: WriterThreadData): void {
  const c = new SqliteDatabase(path);
  const port = parentPort!;
  port.on('message', (message: WriterMessage | 'close') => {
    if (message === 'close') {
      c.close();
      port.close();
      return;
    }
    const { groupId, role, rows } = message;
    // A unit that throws is undone (its savepoint): a refused plan writes nothing.
    c.write(() => insertRows(c, groupId, role, rows)).then(
      () => port.postMessage({ written: true } satisfies WriterAnswer),
      (error: Error) => {
        // The driver's error under the connection's classification: the caller classifies it again.
        const code = sqliteCode(error) ?? undefined;
        const message = String(((error.cause ?? error) as Error).message);
        port.postMessage((code === 'SQLITE_CONSTRAINT_UNIQUE' ? { written: false } : { error: { message, code } }) satisfies WriterAnswer);
      },
    );
  });
}

const data = workerData as WriterThreadData | undefined;
if (!isMainThread && data?.teamApiSqliteWriter) run(data);
