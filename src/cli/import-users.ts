/**
 * CLI `user import` (API.md §12): users from a CSV or JSON Lines file, created by the
 * same rules as createUser, a batch at a time (one transaction each), with a report
 * line per row. Streaming: memory stays flat however long the file.
 */
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { PassThrough, pipeline, type Readable, Transform } from 'node:stream';
import { SingleBar } from 'cli-progress';
import { type Parser, parse as parseCsv } from 'csv-parse';
import type { GroupRecord } from '../db/store.ts';
import { CLI_CALLER } from '../domain/events.ts';
import type { Services } from '../domain/services.ts';
import type { CreateUserInput, ExistingMember } from '../domain/users.ts';
import { envelopeOf } from '../errors/catalog.ts';
import { DomainError, invalidInput } from '../errors/domain-error.ts';

/** The columns (or JSON keys) a row may have; `email` is required. */
export const IMPORT_COLUMNS = ['email', 'username', 'suggestedUsername', 'firstName', 'lastName'] as const;

/** Rows per transaction: large enough to amortise each commit, small enough to keep memory flat. */
const BATCH = 2000;

/** A file the import cannot read as a whole: stops it, naming the line. */
export class ImportFileError extends Error {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

export interface ImportRow {
  /** 1 for the first row of users (after a CSV header). */
  row: number;
  /** The row as createUser's input, or why it cannot be one. */
  input: CreateUserInput | DomainError;
}

export interface ImportOptions {
  file: string;
  report: string;
  format: 'csv' | 'jsonl';
  /** A terminal to draw a progress bar on; none when null. */
  progress: NodeJS.WriteStream | null;
}

/** csv for `.csv`, jsonl for `.jsonl`/`.ndjson`/`.json`, else whatever the first character says. */
export function importFormat(file: string, given: string | undefined): 'csv' | 'jsonl' {
  if (given === 'csv' || given === 'jsonl') return given;
  if (given !== undefined) throw invalidInput('format', 'must be csv or jsonl');
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.(jsonl|ndjson|json)$/i.test(file)) return 'jsonl';
  return 'csv';
}

/** A record (CSV columns or a JSON object) as createUser's input, or the InvalidInput it is. */
function toInput(record: Record<string, unknown>): CreateUserInput | DomainError {
  if (typeof record.email !== 'string') return invalidInput('email', 'must be a string');
  const input: CreateUserInput = { email: record.email };
  for (const key of ['username', 'suggestedUsername', 'firstName', 'lastName'] as const) {
    const value = record[key];
    if (value === undefined || value === null || value === '') input[key] = null;
    else if (typeof value === 'string') input[key] = value;
    else return invalidInput(key, 'must be a string or null');
  }
  return input;
}

/** Counts the bytes that pass, for a progress bar that knows how far into the file it is. */
function byteCounter(onBytes: (total: number) => void): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.length;
      onBytes(total);
      done(null, chunk);
    },
  });
}

/** JSON Lines rows gathered before they are handed on: one step of the import's loop per this many, not per row. */
const JSONL_ROWS_AT_ONCE = 500;

/**
 * What a readable has buffered, an array at a time: a CSV's records arrive a chunk of
 * the file (about a thousand) per turn of the loop, where iterating them one by one
 * cost two promises a row. Throws the stream's error.
 */
async function* buffered<T>(readable: Readable): AsyncGenerator<T[]> {
  for (;;) {
    const items: T[] = [];
    for (let item: T | null = readable.read(); item !== null; item = readable.read()) items.push(item);
    if (items.length > 0) {
      yield items;
      continue;
    }
    if (readable.errored) throw readable.errored;
    if (readable.readableEnded || readable.destroyed) return;
    await new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        readable.off('readable', settle).off('end', settle).off('close', settle).off('error', settle);
        if (error) reject(error);
        else resolve();
      };
      readable.on('readable', settle).on('end', settle).on('close', settle).on('error', settle);
    });
  }
}

/**
 * The file's rows, in order, some at a time. A malformed file throws ImportFileError
 * at the line it breaks, once the rows read before it have been handed on.
 */
async function* readImportRows(file: string, format: 'csv' | 'jsonl', onBytes: (total: number) => void): AsyncGenerator<ImportRow[]> {
  // Joined by pipeline: a file that cannot be read (a directory, an I/O error) fails the
  // stream the rows are read from, and a stop part way closes the file.
  const read = <T extends Transform>(last: T): T => {
    pipeline(createReadStream(file), byteCounter(onBytes), last, () => {});
    return last;
  };
  if (format === 'jsonl') {
    let line = 0;
    let row = 0;
    let rows: ImportRow[] = [];
    const fail = (reason: string) => new ImportFileError(line, reason);
    try {
      for await (const text of createInterface({ input: read(new PassThrough()), crlfDelay: Infinity })) {
        line++;
        const trimmed = (line === 1 ? text.replace(/^\ufeff/, '') : text).trim();
        if (trimmed === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(trimmed);
        } catch {
          throw fail('not a JSON object');
        }
        if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail('not a JSON object');
        const unknown = Object.keys(value).find((key) => !(IMPORT_COLUMNS as readonly string[]).includes(key));
        if (unknown !== undefined) throw fail(`unknown field "${unknown.slice(0, 50)}" (fields: ${IMPORT_COLUMNS.join(', ')})`);
        rows.push({ row: ++row, input: toInput(value as Record<string, unknown>) });
        if (rows.length >= JSONL_ROWS_AT_ONCE) {
          yield rows;
          rows = [];
        }
      }
    } catch (error) {
      // The rows before the line that stops the import are imported.
      if (error instanceof ImportFileError && rows.length > 0) yield rows;
      throw error;
    }
    if (rows.length > 0) yield rows;
    return;
  }
  // A malformed record stops the import, but only once the records before it are
  // handed on: csv-parse, stopped by an error, drops the records it had parsed from
  // the same chunk, so it is told to skip it instead, and the rows end there.
  let stop = null as { error: unknown; after: number } | null;
  const parser: Parser = read(
    parseCsv({
      bom: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (error) => {
        stop ??= { error: asFileError(error, parser.info.records + 1), after: parser.info.records };
      },
      columns: (header: string[]) => {
        const names = header.map((name) => name.trim());
        const unknown = names.find((name) => !(IMPORT_COLUMNS as readonly string[]).includes(name));
        if (unknown !== undefined) throw new ImportFileError(1, `unknown column "${unknown.slice(0, 50)}" (columns: ${IMPORT_COLUMNS.join(', ')})`);
        if (!names.includes('email')) throw new ImportFileError(1, 'the header row has no email column');
        return names;
      },
    }),
  );
  let row = 0;
  try {
    for await (const records of buffered<Record<string, string>>(parser)) {
      const kept = stop ? records.slice(0, Math.max(0, stop.after - row)) : records;
      yield kept.map((record) => ({ row: ++row, input: toInput(record) }));
      if (stop && row >= stop.after) break;
    }
  } catch (error) {
    // The first malformed record is the one named, even if what follows it failed too.
    throw stop ? stop.error : asFileError(error, row + 1);
  } finally {
    parser.destroy();
  }
  if (stop) throw stop.error;
}

/** csv-parse's error as an ImportFileError at the line it names (else at `line`); any other error as it is. */
function asFileError(error: unknown, line: number): unknown {
  const csvError = error as { code?: string; lines?: number; message?: string };
  if (typeof csvError.code !== 'string' || !csvError.code.startsWith('CSV_')) return error;
  return new ImportFileError(csvError.lines ?? line, String(csvError.message).replace(/ at line \d+/, ''));
}

/** One report line: the username made (or found), or the refusal with its envelope. */
function reportLine(row: number, outcome: { username: string } | ExistingMember | DomainError): string {
  if (outcome instanceof DomainError) {
    return JSON.stringify({ row, error: envelopeOf(outcome.code), ...(outcome.field ? { field: outcome.field } : {}) });
  }
  if ('existing' in outcome) return JSON.stringify({ row, username: outcome.existing.username, existing: true });
  return JSON.stringify({ row, username: outcome.username });
}

/** Imports the file into the group; resolves with the counts once the report is written. */
export async function importUsers(services: Services, group: GroupRecord, options: ImportOptions) {
  const startedAt = Date.now();
  const size = statSync(options.file).size;
  const bar = options.progress
    ? new SingleBar({
        stream: options.progress,
        format: ' {bar} {percentage}% | {rows} rows | {rate} rows/s | {eta_formatted} left',
        barCompleteChar: '█',
        barIncompleteChar: '░',
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 50,
      })
    : null;
  bar?.start(Math.max(size, 1), 0, { rows: 0, rate: 0 });
  let bytes = 0;
  const report = createWriteStream(options.report);
  const summary = { created: 0, existing: 0, failed: 0, rows: 0 };

  const flush = async (batch: ImportRow[]) => {
    const inputs = batch.flatMap((r) => (r.input instanceof DomainError ? [] : [r.input]));
    const outcomes = inputs.length > 0 ? await services.users.importMany(group, inputs, CLI_CALLER, startedAt) : [];
    let next = 0;
    let text = '';
    for (const { row, input } of batch) {
      const outcome = input instanceof DomainError ? input : outcomes[next++]!;
      if (outcome instanceof DomainError) summary.failed++;
      else if ('existing' in outcome) summary.existing++;
      else summary.created++;
      text += `${reportLine(row, outcome)}\n`;
    }
    if (!report.write(text)) await once(report, 'drain');
    summary.rows += batch.length;
    const seconds = (Date.now() - startedAt) / 1000;
    bar?.update(bytes, { rows: summary.rows, rate: seconds > 0 ? Math.round(summary.rows / seconds) : 0 });
  };

  let batch: ImportRow[] = [];
  try {
    try {
      for await (const rows of readImportRows(options.file, options.format, (total) => (bytes = total))) {
        for (const row of rows) {
          batch.push(row);
          if (batch.length >= BATCH) {
            await flush(batch);
            batch = [];
          }
        }
      }
    } catch (error) {
      // A malformed line stops the import; the rows read before it are imported all the same.
      if (error instanceof ImportFileError && batch.length > 0) await flush(batch);
      throw error;
    }
    if (batch.length > 0) await flush(batch);
    bar?.update(Math.max(size, 1));
  } finally {
    bar?.stop();
    report.end();
    await once(report, 'close');
  }
  return summary;
}
