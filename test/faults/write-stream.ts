/**
 * A stream of keyed createUser calls against a real server that records every
 * answer by kind (acknowledged, ServiceUnavailable, anything else, no answer within
 * the client's timeout), for the fault tests.
 */
import { CREATE_USER } from '../support/documents.ts';
import { HttpClient } from '../support/http-client.ts';

export const CLIENT_TIMEOUT_MS = 10_000;

export interface Answer {
  at: number;
  username: string;
  kind: 'acknowledged' | 'unavailable' | 'other' | 'unanswered';
  detail: string;
}

export class WriteStream {
  readonly client: HttpClient;
  readonly answers: Answer[] = [];
  private sent = 0;
  private stopping = false;
  private senders: Promise<void>[] = [];

  constructor(
    port: number,
    private readonly token: string,
    private readonly prefix: string,
    private readonly concurrency = 4,
    private readonly host = 'acme.localhost',
  ) {
    this.client = new HttpClient(port, concurrency + 2);
  }

  start(): this {
    this.senders = Array.from({ length: this.concurrency }, () => this.sender());
    return this;
  }

  acknowledged(): string[] {
    return this.answers.filter((a) => a.kind === 'acknowledged').map((a) => a.username);
  }

  since(at: number): Answer[] {
    return this.answers.filter((a) => a.at >= at);
  }

  async waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
    const giveUpAt = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > giveUpAt) return false;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return true;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.senders);
    this.client.close();
  }

  private async sender(): Promise<void> {
    while (!this.stopping) {
      const username = `${this.prefix}-${this.sent++}`;
      const headers = {
        'content-type': 'application/json',
        authorization: `Bearer ${this.token}`,
        host: this.host,
        'idempotency-key': `key-${username}`,
      };
      const body = JSON.stringify({ query: CREATE_USER, variables: { input: { email: `${username}@example.com`, username } } });
      let answer: Answer;
      try {
        const res = await this.client.send({ method: 'POST', path: '/graphql', headers, body }, CLIENT_TIMEOUT_MS);
        const parsed = JSON.parse(res.text);
        const typename = parsed.data?.createUser?.__typename;
        const code = parsed.errors?.[0]?.extensions?.code;
        if (res.status === 200 && typename === 'CreateUserSuccess') answer = { at: Date.now(), username, kind: 'acknowledged', detail: '' };
        else if (res.status === 503 && code === 'ServiceUnavailable' && Number(res.headers['retry-after']) >= 1) {
          answer = { at: Date.now(), username, kind: 'unavailable', detail: String(res.headers['retry-after']) };
        } else answer = { at: Date.now(), username, kind: 'other', detail: `${res.status} ${typename ?? code}` };
      } catch (error) {
        answer = { at: Date.now(), username, kind: 'unanswered', detail: String(error) };
      }
      this.answers.push(answer);
      // Pace the stream during an outage, as a client honouring Retry-After would (a little).
      if (answer.kind !== 'acknowledged') await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** GET `path` on the server: its status, or 0 when no answer came within the client's timeout. */
export async function statusOf(client: HttpClient, path: string): Promise<number> {
  try {
    return (await client.send({ method: 'GET', path, headers: {} }, CLIENT_TIMEOUT_MS)).status;
  } catch {
    return 0;
  }
}
