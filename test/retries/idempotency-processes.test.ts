/**
 * Idempotency keys through real server processes: a key commits with its write, so
 * a server SIGKILLed mid-stream leaves each keyed createUser either remembered (the
 * retry replays its id) or not written at all (the retry runs afresh), never
 * half-remembered (UsernameAlreadyExists for the caller's own user). And duplicates
 * sent at once to two instances write once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CREATE_USER } from '../support/documents.ts';
import { createTestDatabase, queryRows, type TestDatabase } from '../support/databases.ts';
import { HttpClient, type RawResponse } from '../support/http-client.ts';
import { Prng, runSeed } from '../support/prng.ts';
import { type RunningServer, startServer } from '../support/processes.ts';

const SEED = runSeed('KEYS_CRASH_SEED');
const ROUNDS = process.env.STRESS === '1' ? 10 : 3;
const IN_FLIGHT = 6;

let database: TestDatabase | null = null;
const servers: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
  await database?.close();
  database = null;
});

function createUserWithKey(client: HttpClient, token: string, key: string, username: string): Promise<RawResponse> {
  return client.send({
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, host: 'demo.localhost', 'idempotency-key': key },
    body: JSON.stringify({ query: CREATE_USER, variables: { input: { email: `${username}@example.com`, username } } }),
  });
}

const typename = (res: RawResponse) => JSON.parse(res.text).data?.createUser?.__typename as string | undefined;
const userId = (res: RawResponse) => JSON.parse(res.text).data.createUser.user.id as string;

describe(`keyed createUser across SIGKILLs (seed ${SEED}; replay with KEYS_CRASH_SEED=${SEED})`, () => {
  it('retries every request with its key after each crash: the first id again, or a fresh create; never UsernameAlreadyExists', async () => {
    const rng = new Prng(SEED);
    database = await createTestDatabase({ shared: true });
    let server = await startServer({ DATABASE_URL: database.url });
    servers.push(server);
    const token = server.demoToken!;
    expect(token).toBeTruthy();

    const answered = new Map<string, string>(); // key → user id of an acknowledged create
    const sent: Array<{ key: string; username: string }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const client = new HttpClient(server.port, IN_FLIGHT);
      const killAfter = rng.int(10, 50);
      let killing: Promise<unknown> | null = null;
      const running = server;
      const lane = async (lane: number) => {
        for (let i = 0; !killing; i++) {
          const request = { key: `key-${round}-${lane}-${i}`, username: `kc-${round}-${lane}-${i}` };
          sent.push(request);
          try {
            const res = await createUserWithKey(client, token, request.key, request.username);
            expect(typename(res), res.text).toBe('CreateUserSuccess');
            answered.set(request.key, userId(res));
          } catch (error) {
            if (killing) return; // Cut off by the kill: unknown whether it committed.
            throw error;
          }
          if (answered.size >= killAfter * (round + 1) && !killing) killing = running.stop('SIGKILL');
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, (_, i) => lane(i)));
      await killing;
      client.close();
      servers.splice(servers.indexOf(running), 1);
      server = await startServer({ DATABASE_URL: database.url });
      servers.push(server);

      // Every request sent so far, retried with its key on the restarted server.
      const retry = new HttpClient(server.port, IN_FLIGHT);
      for (const request of sent) {
        const res = await createUserWithKey(retry, token, request.key, request.username);
        expect(typename(res), `${request.key}: ${res.text}`).toBe('CreateUserSuccess');
        const id = userId(res);
        const first = answered.get(request.key);
        if (first) {
          expect(id, request.key).toBe(first);
          expect(res.headers['idempotent-replayed']).toBe('true');
        }
        answered.set(request.key, id);
      }
      retry.close();
    }
    const rows = await queryRows(database.store, `SELECT id FROM users`);
    expect(new Set(rows.map((r) => String(r.id)))).toEqual(new Set(answered.values()));
    expect(rows.length).toBe(sent.length);
  }, 180_000);
});

describe('duplicates sent at once to two instances', () => {
  it('write once: one answer creates, the others replay it or are told the key is in use', async () => {
    database = await createTestDatabase({ shared: true });
    const env = { DATABASE_URL: database.url };
    servers.push(await startServer(env));
    servers.push(await startServer(env));
    const token = servers[0]!.demoToken!;
    const clients = servers.map((s) => new HttpClient(s.port, 10));
    try {
      for (let round = 0; round < 3; round++) {
        const key = `dup-${round}`;
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) => createUserWithKey(clients[i % 2]!, token, key, `dup-user-${round}`)),
        );
        const fresh = answers.filter((a) => a.status === 200 && a.headers['idempotent-replayed'] === undefined);
        expect(fresh, answers.map((a) => `${a.status} ${a.text}`).join('\n')).toHaveLength(1);
        const id = userId(fresh[0]!);
        for (const answer of answers) {
          if (answer.status === 409) {
            expect(answer.headers['retry-after']).toBe('1');
            expect(JSON.parse(answer.text).errors[0].extensions.code).toBe('IdempotencyKeyInUse');
            continue;
          }
          expect(answer.status).toBe(200);
          expect(userId(answer)).toBe(id);
        }
        const users = await queryRows(database.store, `SELECT count(*) AS n FROM users WHERE username = 'dup-user-${round}'`);
        expect(Number(users[0]!.n)).toBe(1);
      }
    } finally {
      for (const client of clients) client.close();
    }
  }, 120_000);
});
