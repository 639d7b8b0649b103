/**
 * The logger: pino, one JSON object per line. The process makes one (server.ts)
 * and hands it to the app; tests make their own and read what it wrote. An error
 * is logged as `logger.error({ err }, '…')`: the `err` serializer (`errorFields`)
 * keeps its stack and drops anything that could carry a request's secrets (SQL
 * parameters, driver details, emails, tokens).
 */
import { writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/config.ts';

export type { Logger };

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go: stdout, in batches (StdoutBatches), unless a test gives a stream. */
  destination?: Pick<Writable, 'write'>;
}

/** A write of at most this many bytes to a pipe is atomic: workers sharing stdout never split each other's lines. */
const ATOMIC_WRITE_BYTES = 4096;

/**
 * stdout, written in batches: the lines of one turn of the event loop go out in one
 * write call (a call per line cost more than the rest of logging together), at the
 * end of that turn, so a line is never held back longer than its turn. Writes are
 * synchronous, as pino's own stdout and console.log are: a log reader that cannot
 * keep up slows the server rather than growing its memory. Each write holds whole
 * lines and at most 4 KiB unless a single line is longer.
 */
class StdoutBatches {
  private pending: string[] = [];
  private scheduled = false;

  write(line: string): boolean {
    this.pending.push(line);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushScheduled);
    }
    return true;
  }

  /** Writes out every pending line now (pino's flush, and at exit). */
  flush(callback?: (error?: Error) => void): void {
    try {
      this.flushSync();
      callback?.();
    } catch (error) {
      callback?.(error as Error);
    }
  }

  flushSync(): void {
    const lines = this.pending;
    if (lines.length === 0) return;
    this.pending = [];
    let chunk = '';
    let bytes = 0;
    for (const line of lines) {
      const size = Buffer.byteLength(line);
      if (bytes > 0 && bytes + size > ATOMIC_WRITE_BYTES) {
        writeToStdout(chunk);
        chunk = '';
        bytes = 0;
      }
      chunk += line;
      bytes += size;
    }
    writeToStdout(chunk);
  }

  private readonly flushScheduled = () => {
    this.scheduled = false;
    // Without a callback a failure is dropped: stdout is gone (EPIPE), there is nowhere left to log to.
    this.flush();
  };
}

function writeToStdout(text: string): void {
  const buffer = Buffer.from(text);
  for (let offset = 0; offset < buffer.length; ) {
    try {
      offset += writeSync(1, buffer, offset);
    } catch (error) {
      // A non-blocking pipe that is full: wait a moment for the reader.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

/** The one stdout destination of the process, written out at exit. */
let stdout: StdoutBatches | null = null;
function stdoutDestination(): StdoutBatches {
  if (!stdout) {
    const destination = new StdoutBatches();
    process.once('exit', () => destination.flush());
    stdout = destination;
  }
  return stdout;
}

export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? stdoutDestination();
  return pino(
    {
      level: options.level,
      // The process id tells workers apart (WORKERS=N); the host name is the platform's business.
      base: { pid: process.pid },
      // `"level":"info"` rather than `30`: read by people as well as by machines.
      formatters: { level: (label) => ({ level: label }) },
      // Instead of pino's own, which copies every enumerable field of an error.
      serializers: { err: errorFields },
    },
    destination,
  );
}

/** A logger that writes nothing: the default of an app given none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Writes out what is still buffered (async stdout), then calls back. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

// Anything in an error message that looks like a secret of this service or an email.
const SECRET_PATTERNS: Array<[RegExp, string]> = [
  [/tapi_[A-Za-z0-9_-]+/g, 'tapi_[redacted]'],
  [/eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g, '[jwt redacted]'],
  // The shape the API accepts (src/domain/inputs.ts); only such an address reaches a query.
  [/[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,63}/g, '[email redacted]'],
];

function scrub(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

export interface LoggedError {
  type: string;
  message: string;
  stack: string;
  code?: string;
  cause?: LoggedError;
}

/**
 * An error as a log field: its type, message, code and stack frames, and its
 * causes, nothing else. Drivers put values in other places (drizzle's `params`,
 * PostgreSQL's `detail`), so only these fields are read; a query error keeps its
 * SQL (placeholders only) and loses its parameters; and whatever still looks like
 * an email, an API token or a JWT is replaced.
 */
function errorFields(error: unknown, depth = 0): LoggedError {
  if (!(error instanceof Error)) return { type: typeof error, message: scrub(String(error)), stack: '' };
  // Some drivers' errors have no constructor of their own (better-sqlite3's SqliteError): then the name says it.
  const constructorName = error.constructor?.name;
  const type = constructorName && constructorName !== 'Object' && constructorName !== 'Error' ? constructorName : error.name || 'Error';
  const query = (error as { query?: unknown }).query;
  const params = (error as { params?: unknown }).params;
  const message =
    typeof query === 'string' && Array.isArray(params)
      ? `Failed query: ${query}\nparams: [${params.length} redacted]`
      : error.message;
  const safeMessage = scrub(message);
  // The stack starts with the (unscrubbed) message: keep only its frames, which are code locations.
  const stack = error.stack ?? '';
  const header = error.message ? `${error.name}: ${error.message}` : error.name;
  const framesAt = stack.startsWith(header) ? header.length : stack.indexOf('\n    at ');
  const frames = framesAt < 0 ? '' : stack.slice(framesAt);
  const logged: LoggedError = { type, message: safeMessage, stack: `${type}: ${safeMessage}${frames}` };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') logged.code = String(code);
  if (error.cause !== undefined && depth < 3) logged.cause = errorFields(error.cause, depth + 1);
  return logged;
}
