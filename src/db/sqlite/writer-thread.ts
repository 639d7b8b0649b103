/**
 * A SQLite connection's writer thread: a second connection to the same file, on a
 * thread of its own, that writes large plans of users (a createUsers call, an
 * import's batch). better-sqlite3 runs each statement and COMMIT on the thread that
 * calls it, so on one thread the inserts and commits (60 to 70 % of a bulk write's
 * time) and the JavaScript around them (a request's JSON, GraphQL and checks; an
 * import's file, checks, ids, events and report) took turns; on two, they overlap.
 *
 * The thread's connection is opened as every connection is (SqliteDatabase: WAL,
 * synchronous=FULL, the same busy timeout) and writes through the same group commit,
 * so what it writes is as durable as what the main connection writes, and plans sent
 * while it commits are committed together. Its plans are written in the order they
 * are sent. The two connections take turns at the write lock as two processes do: a
 * write of the main connection waits (the busy timeout) while the thread commits,
 * as it waited while the same plan was written on its own thread. Started on the
 * first large plan: a thread costs about 30 MB.
 */
import type { Worker } from 'node:worker_threads';
import { startThread } from '../../threads.ts';
import type { PlannedRows } from './planned-rows.ts';

/** What the thread is sent: a plan's rows to insert, or 'close'. */
export interface WriterMessage {
  groupId: string;
  role: string;
  rows: PlannedRows;
}

/** What it answers each plan: written, refused by a unique index (nothing written), or the driver's error. */
export type WriterAnswer = { written: boolean } | { error: { message: string; code?: string } };

/** The thread's start data. */
export interface WriterThreadData {
  teamApiSqliteWriter: true;
  path: string;
}

export class WriterThread {
  private readonly thread: Worker;
  /** Whether the thread failed or ended: it writes nothing more (its connection makes a new one). */
  get ended(): boolean {
    return this.failure !== null;
  }

  /** Plans sent and not yet answered, oldest first (the thread answers in order). */
  private readonly waiting: Array<{ resolve: (written: boolean) => void; reject: (error: unknown) => void }> = [];
  private failure: Error | null = null;
  /** Called once no plan is in flight (`whenIdle`). */
  private idle: Array<() => void> = [];
  /** Plans held back while the main connection takes its turn (`hold`). */
  private held: Array<() => void> | null = null;

  /**
   * `failed` turns the thread's error into the one the caller's writes throw
   * (SqliteDatabase's classification); `written` is told of each commit, at once
   * (the main connection's remembered reads forget what it may have changed).
   */
  constructor(
    path: string,
    private readonly failed: (error: unknown) => Error,
    private readonly written: () => void,
  ) {
    const data: WriterThreadData = { teamApiSqliteWriter: true, path };
    this.thread = startThread(import.meta.url, 'writer-thread-entry', data);
    // It keeps the process alive while it has plans to answer, and only then.
    this.thread.unref();
    this.thread.on('message', (answer: WriterAnswer) => {
      const waiting = this.waiting.shift()!;
      if ('written' in answer && answer.written) this.written();
      if ('written' in answer) waiting.resolve(answer.written);
      else waiting.reject(this.failed(Object.assign(new Error(answer.error.message), { code: answer.error.code })));
      if (this.waiting.length === 0) this.becameIdle();
    });
    const lost = (error: Error) => {
      this.failure ??= error;
      for (const waiting of this.waiting.splice(0)) waiting.reject(this.failed(error));
      this.becameIdle();
    };
    this.thread.on('error', lost);
    this.thread.on('exit', (code) => lost(new Error(`the SQLite writer thread exited (${code})`)));
  }

  /**
   * Inserts the planned users (`rows`) with their memberships and events, in one
   * durable transaction of the thread's connection: true once committed, false when
   * a unique index refused one of them (nothing written).
   */
  insertUsers(groupId: string, role: string, rows: PlannedRows): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const send = () => {
        if (this.failure) return reject(this.failed(this.failure));
        this.waiting.push({ resolve, reject });
        this.thread.ref();
        this.thread.postMessage({ groupId, role, rows } satisfies WriterMessage);
      };
      if (this.held) this.held.push(send);
      else send();
    });
  }

  /** Whether a plan is in flight: the thread may hold the file's write lock. */
  get busy(): boolean {
    return this.waiting.length > 0;
  }

  /** Calls `then` once no plan is in flight (at once when none is). */
  whenIdle(then: () => void): void {
    if (this.waiting.length === 0) then();
    else this.idle.push(then);
  }

  /** Holds back plans sent from now on, until `release`: the main connection's turn at the lock. */
  hold(): void {
    this.held ??= [];
  }

  /** Sends the plans held back, in order. */
  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const send of held) send();
  }

  private becameIdle(): void {
    this.thread.unref();
    const idle = this.idle;
    this.idle = [];
    for (const then of idle) then();
  }

  /** Ends the thread once the plans in flight are answered; its connection is closed, and later plans are refused. */
  async close(): Promise<void> {
    this.release();
    await new Promise<void>((resolve) => this.whenIdle(resolve));
    if (this.failure) return;
    this.failure = new Error('the SQLite writer thread was closed');
    const exited = new Promise((resolve) => this.thread.once('exit', resolve));
    this.thread.ref();
    this.thread.postMessage('close');
    await exited;
  }
}
