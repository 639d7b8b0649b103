/**
 * A steady stream of createUser calls against a real server, a few in flight at
 * once over keep-alive connections, for the tests that do something to the server
 * in the middle of it (a SIGTERM, a backup). `mark()` splits the stream into before
 * and after that moment: what was acknowledged by then, and which requests had been
 * sent by then, so a test can hold each of them to its answer.
 */
import { CREATE_USER } from './documents.ts';
import { HttpClient } from './http-client.ts';

export interface StreamOptions {
  concurrency?: number;
  /** Usernames are `${prefix}-${n}`. */
  prefix: string;
  host?: string;
}

export interface Mark {
  /** Users whose creation was acknowledged (200, CreateUserSuccess) before the mark. */
  acknowledged: string[];
  /** Requests sent before the mark. */
  sent: number;
}

export interface StreamOutcome {
  /** Every user acknowledged, before the mark or after. */
  acknowledged: string[];
  /** Requests sent before the mark that got no answer (a reset, a refused connection), with the error. */
  unansweredBeforeMark: string[];
  /** Requests sent before the mark that were answered but not with CreateUserSuccess. */
  refusedBeforeMark: string[];
  /** Requests sent after the mark, and how many of them were answered. */
  sentAfterMark: number;
  answeredAfterMark: number;
}

export class CreateUserStream {
  private readonly client: HttpClient;
  private readonly concurrency: number;
  private readonly acknowledged: string[] = [];
  private readonly unansweredBeforeMark: string[] = [];
  private readonly refusedBeforeMark: string[] = [];
  private marked: Mark | null = null;
  private sent = 0;
  private sentAfterMark = 0;
  private answeredAfterMark = 0;
  private stopping = false;
  private senders: Promise<void>[] = [];
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  constructor(
    port: number,
    private readonly token: string,
    private readonly options: StreamOptions,
  ) {
    this.concurrency = options.concurrency ?? 6;
    this.client = new HttpClient(port, this.concurrency);
  }

  start(): this {
    this.senders = Array.from({ length: this.concurrency }, () => this.sender());
    return this;
  }

  /** Resolves once `count` users have been acknowledged. */
  waitForAcknowledged(count: number): Promise<void> {
    if (this.acknowledged.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  mark(): Mark {
    this.marked = { acknowledged: [...this.acknowledged], sent: this.sent };
    return this.marked;
  }

  /** Lets the requests in flight finish, sends no more, and reports. */
  async stop(): Promise<StreamOutcome> {
    this.stopping = true;
    await Promise.all(this.senders);
    this.client.close();
    return {
      acknowledged: [...this.acknowledged],
      unansweredBeforeMark: this.unansweredBeforeMark,
      refusedBeforeMark: this.refusedBeforeMark,
      sentAfterMark: this.sentAfterMark,
      answeredAfterMark: this.answeredAfterMark,
    };
  }

  private async sender(): Promise<void> {
    while (!this.stopping) {
      const username = `${this.options.prefix}-${this.sent++}`;
      const beforeMark = this.marked === null;
      if (!beforeMark) this.sentAfterMark++;
      const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${this.token}` };
      if (this.options.host) headers.host = this.options.host;
      let status: number;
      let typename: unknown;
      try {
        const res = await this.client.send({
          method: 'POST',
          path: '/graphql',
          headers,
          body: JSON.stringify({ query: CREATE_USER, variables: { input: { email: `${username}@example.com`, username } } }),
        });
        status = res.status;
        typename = JSON.parse(res.text).data?.createUser?.__typename;
      } catch (error) {
        if (beforeMark) this.unansweredBeforeMark.push(`${username}: ${String(error)}`);
        // After the mark the server may be gone: this sender is done.
        if (!beforeMark || this.marked) return;
        continue;
      }
      if (!beforeMark) this.answeredAfterMark++;
      if (status === 200 && typename === 'CreateUserSuccess') {
        this.acknowledged.push(username);
        this.waiters = this.waiters.filter((w) => (this.acknowledged.length >= w.count ? (w.resolve(), false) : true));
      } else if (beforeMark) {
        this.refusedBeforeMark.push(`${username}: ${status} ${String(typename)}`);
      }
    }
  }
}
