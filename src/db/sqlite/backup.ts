/**
 * A consistent copy of a live SQLite database (`admin backup`). `VACUUM INTO` reads
 * one snapshot in a single read transaction: in WAL mode it never blocks the
 * server's writers and is never restarted by them (the online backup API restarts
 * whenever another process writes). The copy is written under a temporary name in
 * the destination's folder, synced, then renamed over the destination, so a
 * destination path never holds a partial copy.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { BUSY_TIMEOUT_MS } from './database.ts';
import { sqlitePath } from './store.ts';

export class BackupError extends Error {}

/** Copies the database of `databaseUrl` to `destination`; returns the copy's size in bytes. */
export function backupSqlite(databaseUrl: string, destination: string): { bytes: number } {
  const source = sqlitePath(databaseUrl);
  if (source === ':memory:') throw new BackupError('an in-memory database cannot be backed up');
  const target = resolve(destination);
  if (target === source || target === `${source}-wal` || target === `${source}-shm`) {
    throw new BackupError('the backup must not overwrite the database itself');
  }
  const db = openSource(source);
  const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now()}.tmp`);
  try {
    db.prepare('VACUUM INTO ?').run(temporary);
    syncFile(temporary);
    renameSync(temporary, target);
    syncFile(dirname(target));
    return { bytes: statSync(target).size };
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  } finally {
    db.close();
  }
}

function openSource(path: string): Database.Database {
  try {
    // Read-only: a backup never migrates, seeds or otherwise writes the database.
    return new Database(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  } catch (error) {
    throw new BackupError(`cannot open the database at ${path}: ${(error as Error).message}`);
  }
}

function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
