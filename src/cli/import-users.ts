/**
 * CLI `user import` (API.md §12): users from a CSV or JSON Lines file, created by the
 * same rules as createUser, a batch at a time (one transaction each), with a report
 * line per row. Streaming: memory stays flat however long the file.
 */
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { pipeline, type Readable, Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { SingleBar } from 'cli-progress';
import { type Parser, parse as parseCsv } from 'csv-parse';
import type { GroupRecord, UserRecord } from '../db/store.ts';
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

/** A JSON Lines object as createUser's input, or the InvalidInput it is. */
function objectInput(record: Record<string, unknown>): CreateUserInput | DomainError {
  if (typeof record.email !== 'string') return invalidInput('email', 'must be a string');
  const input: CreateUserInput = { email: record.email };
  for (const key of OPTIONAL_COLUMNS) {
    const value = record[key];
    if (value === undefined || value === null || value === '') input[key] = null;
    else if (typeof value === 'string') input[key] = value;
    else return invalidInput(key, 'must be a string or null');
  }
  return input;
}

const OPTIONAL_COLUMNS = ['username', 'suggestedUsername', 'firstName', 'lastName'] as const;

/** Why a CSV header's column or a JSON object's field is refused: the first of `names` the import does not know; null when it knows them all. */
function unknownName(names: string[], kind: 'column' | 'field'): string | null {
  const unknown = names.find((name) => !(IMPORT_COLUMNS as readonly string[]).includes(name));
  return unknown === undefined ? null : `unknown ${kind} "${unknown.slice(0, 50)}" (${kind}s: ${IMPORT_COLUMNS.join(', ')})`;
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
 * A file's records as a stream, and how each becomes an input. A malformed line does
 * not fail the stream: it sets `stop`, and the records after it are not rows.
 */
interface RecordSource<T> {
  /** An object-mode stream: the file goes in, its records come out. */
  records: Transform;
  /** The inputs of the records read next, in order (a CSV's header is taken from the first, and checked). */
  inputsOf(records: T[]): Array<CreateUserInput | DomainError>;
  /** Set by a malformed line: its error, and how many records came before it. */
  stop: { error: unknown; after: number } | null;
}

/**
 * CSV, by csv-parse, each record an array of fields: a record object per row (its
 * \`columns\` option) made parsing half as costly again. The header, the first record,
 * names the fields each input takes.
 */
function csvRecords(): RecordSource<string[]> {
  let at: Record<(typeof IMPORT_COLUMNS)[number], number> | null = null;
  const header = (names: string[]) => {
    names = names.map((name) => name.trim());
    const unknown = unknownName(names, 'column');
    if (unknown !== null) throw new ImportFileError(1, unknown);
    if (!names.includes('email')) throw new ImportFileError(1, 'the header row has no email column');
    // A column named twice: the last one counts.
    return Object.fromEntries(IMPORT_COLUMNS.map((column) => [column, names.lastIndexOf(column)])) as NonNullable<typeof at>;
  };
  const source: RecordSource<string[]> = {
    // A malformed record stops the import, but only once the records before it are
    // handed on: csv-parse, stopped by an error, drops the records it had parsed from
    // the same chunk, so it is told to skip it instead, and the rows end there.
    records: parseCsv({
      bom: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (error) => {
        const before = (source.records as Parser).info.records;
        source.stop ??= { error: asFileError(error, before + 1), after: before };
      },
    }),
    inputsOf(records) {
      if (at === null && records.length > 0) at = header(records.shift()!);
      if (records.length === 0) return [];
      const { email, username, suggestedUsername, firstName, lastName } = at!;
      // Every record has the header's length (csv-parse refuses one that has not); empty is null.
      const text = (fields: string[], i: number) => (i < 0 || fields[i] === '' ? null : fields[i]!);
      return records.map((fields) => ({
        email: fields[email]!,
        username: text(fields, username),
        suggestedUsername: text(fields, suggestedUsername),
        firstName: text(fields, firstName),
        lastName: text(fields, lastName),
      }));
    },
    stop: null,
  };
  return source;
}

/** JSON Lines: one object per line, blank lines skipped. */
function jsonLinesRecords(): RecordSource<Record<string, unknown>> {
  const decoder = new StringDecoder('utf8');
  let line = 0;
  let parsed = 0;
  let rest = '';
  const take = (push: (record: object | null) => void, text: string, last: boolean) => {
    if (source.stop) return;
    const lines = (rest + text).split('\n');
    rest = last ? '' : lines.pop()!;
    for (const each of lines) {
      if (source.stop) return;
      line++;
      const trimmed = (line === 1 ? each.replace(/^\ufeff/, '') : each).trim();
      if (trimmed === '') continue;
      const problem = (reason: string) => {
        source.stop = { error: new ImportFileError(line, reason), after: parsed };
        push(null);
      };
      let value: unknown;
      try {
        value = JSON.parse(trimmed);
      } catch {
        return problem('not a JSON object');
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return problem('not a JSON object');
      const unknown = unknownName(Object.keys(value), 'field');
      if (unknown !== null) return problem(unknown);
      parsed++;
      push(value);
    }
  };
  const source: RecordSource<Record<string, unknown>> = {
    records: new Transform({
      readableObjectMode: true,
      transform(chunk: Buffer, _encoding, done) {
        take((record) => this.push(record), decoder.write(chunk), false);
        done();
      },
      flush(done) {
        take((record) => this.push(record), decoder.end(), true);
        done();
      },
    }),
    inputsOf: (records) => records.map(objectInput),
    stop: null,
  };
  return source;
}

/**
 * The file's rows, in order, a batch at a time. A malformed file throws ImportFileError
 * at the line it breaks, once the rows read before it have been handed on.
 */
async function* readImportRows(file: string, format: 'csv' | 'jsonl', onBytes: (total: number) => void): AsyncGenerator<ImportRow[]> {
  const source: RecordSource<any> = format === 'csv' ? csvRecords() : jsonLinesRecords();
  // Joined by pipeline: a file that cannot be read (a directory, an I/O error) fails the
  // stream the records are read from, and a stop part way closes the file.
  pipeline(createReadStream(file), byteCounter(onBytes), source.records, () => {});
  let batch: ImportRow[] = [];
  let read = 0;
  let row = 0;
  let stopped: unknown = null;
  try {
    for await (const records of buffered(source.records)) {
      const { stop } = source;
      const kept = stop ? records.slice(0, Math.max(0, stop.after - read)) : records;
      read += kept.length;
      for (const input of source.inputsOf(kept)) {
        batch.push({ row: ++row, input });
        if (batch.length === BATCH) {
          yield batch;
          batch = [];
        }
      }
      if (stop && read >= stop.after) break;
    }
  } catch (error) {
    // The first malformed record is the one named, even if what follows it failed too.
    stopped = source.stop ? source.stop.error : asFileError(error, read + 1);
    if (!(stopped instanceof ImportFileError)) throw stopped;
  } finally {
    source.records.destroy();
  }
  if (batch.length > 0) yield batch;
  stopped ??= source.stop?.error;
  if (stopped) throw stopped;
}

/** csv-parse's error as an ImportFileError at the line it names (else at `line`); any other error as it is. */
function asFileError(error: unknown, line: number): unknown {
  const csvError = error as { code?: string; lines?: number; message?: string };
  if (typeof csvError.code !== 'string' || !csvError.code.startsWith('CSV_')) return error;
  return new ImportFileError(csvError.lines ?? line, String(csvError.message).replace(/ (at|on) line \d+/, ''));
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
  services.users.startImport();
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

  /** Checks and plans the batch at once, writes it once `after` is done, then reports it. */
  const flush = async (batch: ImportRow[], after: Promise<void>) => {
    const inputs: CreateUserInput[] = [];
    for (const { input } of batch) if (!(input instanceof DomainError)) inputs.push(input);
    let outcomes: Array<UserRecord | DomainError | ExistingMember> = [];
    if (inputs.length > 0) outcomes = await services.users.importMany(group, inputs, CLI_CALLER, startedAt, after);
    else await after;
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

  // Two batches at a time: while one is written, the next is read, checked and planned
  // (on SQLite a writer thread writes, docs/performance.md); each is written and
  // reported after the one before it.
  let previous: Promise<void> = Promise.resolve();
  try {
    for await (const batch of readImportRows(options.file, options.format, (total) => (bytes = total))) {
      const current = flush(batch, previous);
      // Awaited below, once the batch before it is: until then, its failure is not yet anyone's to handle.
      current.catch(() => {});
      await previous;
      previous = current;
    }
    await previous;
    bar?.update(Math.max(size, 1));
  } finally {
    // A malformed line or a failure ends the import once what was sent is written.
    await previous.catch(() => {});
    bar?.stop();
    report.end();
    await once(report, 'close');
  }
  return summary;
}
