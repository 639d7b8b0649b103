/**
 * The typed client's retries against real server processes: keyed writes sent again
 * with their key after a SIGKILL (mid-request, or right after the commit), while
 * the key is in use, over a rate limit, and after a 500; reads after a 500; and the
 * writes it must not send twice. The network failures are the server's own deaths,
 * or (where said) an answer a fetch wrapper drops after the server sent it.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Fetch,
  type ResponseEvent,
  type RetryEvent,
  TeamApiClient,
  TeamApiError,
  TeamApiNetworkError,
} from '../../client/src/index.ts';
import { breakTable } from '../support/databases.ts';
import { Prng, runSeed } from '../support/prng.ts';
import { loopbackFetch } from '../support/loopback-fetch.ts';
import { freePort } from '../support/processes.ts';
import { type RunningApi, startApi } from './running-api.ts';

const SEED = runSeed('CLIENT_CRASH_SEED');
/** Short waits, so that the tests spend their time on the server, not in backoff. */
const QUICK = { attempts: 6, baseDelayMs: 20, maxDelayMs: 3000 };

/** What fetch throws when the connection breaks before the answer arrives. */
function lostAnswer(): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
}

function keyOf(init: RequestInit): string | null {
  return new Headers(init.headers).get('idempotency-key');
}

async function rejection(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    (value) => new Error(`resolved with ${JSON.stringify(value)}`),
    (thrown: unknown) => thrown,
  );
}

async function usersNamed(api: RunningApi, username: string): Promise<string[]> {
  const rows = await api.database.rows(`SELECT id FROM users WHERE username = '${username}'`);
  return rows.map((row) => String(row.id));
}

describe(`keyed writes across a server crash (seed ${SEED}; replay with CLIENT_CRASH_SEED=${SEED})`, () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startApi();
  }, 60_000);
  afterAll(async () => {
    await api?.close();
  });

  it('killed right after createUser committed: the retry, with the same key, answers the first user id', async () => {
    const keys: Array<string | null> = [];
    let firstId: string | null = null;
    const crashing: Fetch = async (input, init) => {
      keys.push(keyOf(init));
      if (keys.length === 1) {
        const body = await (await fetch(input, init)).json(); // committed and answered…
        firstId = body.data.createUser.user.id;
        await api.kill(); // …and the server died before the answer reached the caller.
        throw lostAnswer();
      }
      if (keys.length === 2) {
        // The server is down: this attempt is refused. It is back for the next one.
        try {
          return await fetch(input, init);
        } finally {
          await api.start();
        }
      }
      return fetch(input, init);
    };
    const responses: ResponseEvent[] = [];
    const retries: RetryEvent[] = [];
    const client = api.backend({
      fetch: crashing,
      retries: QUICK,
      onResponse: (event) => responses.push(event),
      onRetry: (event) => retries.push(event),
    });

    const result = await client.createUser({ email: 'committed@example.com', username: 'committed-once' });

    expect(result.__typename).toBe('CreateUserSuccess');
    if (result.__typename !== 'CreateUserSuccess') return;
    expect(firstId).not.toBeNull();
    expect(result.user.id).toBe(firstId);
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(retries.map((r) => r.failure)).toEqual([expect.any(TeamApiNetworkError), expect.any(TeamApiNetworkError)]);
    expect(responses).toEqual([expect.objectContaining({ replayed: true, attempts: 3, idempotencyKey: keys[0] })]);
    expect(await usersNamed(api, 'committed-once')).toEqual([firstId]);
  }, 60_000);

  it('killed while createUser is in flight: the retry answers the first id or creates the user once, never UsernameAlreadyExists', async () => {
    const rng = new Prng(SEED);
    for (let round = 0; round < 3; round++) {
      const username = `in-flight-${round}`;
      const killAfterMs = rng.int(0, 12);
      let answeredBeforeKill: string | null = null;
      let attempts = 0;
      const crashing: Fetch = async (input, init) => {
        attempts++;
        if (attempts === 1) {
          const inFlight = fetch(input, init).then((r) => r.json());
          await new Promise((resolve) => setTimeout(resolve, killAfterMs));
          const killed = api.kill();
          const settled = await inFlight.then(
            (body) => ({ body }),
            () => ({ body: null }),
          );
          await killed;
          // Answered just before the kill: the answer is lost all the same.
          answeredBeforeKill = settled.body?.data?.createUser?.user?.id ?? null;
          throw lostAnswer();
        }
        if (attempts === 2) await api.start();
        return fetch(input, init);
      };
      const responses: ResponseEvent[] = [];
      const client = api.backend({ fetch: crashing, retries: QUICK, onResponse: (event) => responses.push(event) });

      const result = await client.createUser({ email: `${username}@example.com`, username });

      expect(result.__typename, `round ${round}: ${JSON.stringify(result)}`).toBe('CreateUserSuccess');
      if (result.__typename !== 'CreateUserSuccess') return;
      expect(await usersNamed(api, username)).toEqual([result.user.id]);
      if (answeredBeforeKill !== null) {
        expect(result.user.id).toBe(answeredBeforeKill);
        expect(responses[0]!.replayed).toBe(true);
      }
    }
  }, 120_000);
});

describe('retries against one server', () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startApi({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
  }, 60_000);
  afterAll(async () => {
    await api?.close();
  });

  it('the same key sent at once by many callers: each is answered with the one user, none is told the key is in use', async () => {
    const retries: RetryEvent[] = [];
    const client = api.backend({ retries: { ...QUICK, maxDelayMs: 5000 }, onRetry: (event) => retries.push(event) });
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        client.createUser({ email: 'same-key@example.com', username: 'same-key' }, { idempotencyKey: 'onboard-same-key' }),
      ),
    );
    const ids = results.map((r) => (r.__typename === 'CreateUserSuccess' ? r.user.id : r.__typename));
    expect(new Set(ids).size, ids.join(' ')).toBe(1);
    expect(await usersNamed(api, 'same-key')).toEqual([ids[0]]);
    // Whichever were told IdempotencyKeyInUse waited at least its Retry-After.
    for (const retry of retries) {
      expect(retry.failure).toBeInstanceOf(TeamApiError);
      expect((retry.failure as TeamApiError).code).toBe('IdempotencyKeyInUse');
      expect(retry.delayMs).toBeGreaterThanOrEqual(1000);
    }
  }, 60_000);

  it('a key of the caller’s own: the same request again gets the first answer; another request with it is IdempotencyKeyReused, not retried', async () => {
    const responses: ResponseEvent[] = [];
    const client = api.backend({ retries: QUICK, onResponse: (event) => responses.push(event) });
    const input = { email: 'own-key@example.com', username: 'own-key' };
    const first = await client.createUser(input, { idempotencyKey: 'import-row-17' });
    const again = await client.createUser(input, { idempotencyKey: 'import-row-17' });
    expect(again).toEqual(first);
    expect(responses.map((r) => r.replayed)).toEqual([false, true]);

    const error = await rejection(client.createUser({ ...input, username: 'own-key-2' }, { idempotencyKey: 'import-row-17' }));
    expect(error).toBeInstanceOf(TeamApiError);
    expect(error).toMatchObject({ code: 'IdempotencyKeyReused', status: 422, attempts: 1 });
  });

  it('a 500 is retried, with the key, for a keyed write, and for a read', async () => {
    const retries: RetryEvent[] = [];
    const heal: Array<() => Promise<void>> = [];
    // Answers the first attempt as the server did (a 500), and mends the database before passing it on.
    const healing: Fetch = async (input, init) => {
      const response = await fetch(input, init);
      while (heal.length > 0) await heal.shift()!();
      return response;
    };
    const client = api.backend({ fetch: healing, retries: QUICK, onRetry: (event) => retries.push(event) });

    heal.push(await breakTable(api.database.db.store, 'idempotency_keys'));
    const created = await client.createUser({ email: 'after-500@example.com', username: 'after-500' });
    expect(created.__typename).toBe('CreateUserSuccess');
    expect(retries).toHaveLength(1);
    expect(retries[0]!.failure).toMatchObject({ code: 'InternalError', status: 500 });
    expect(await usersNamed(api, 'after-500')).toHaveLength(1);

    heal.push(await breakTable(api.database.db.store, 'events'));
    const page = await client.events({ first: 10 });
    expect(page.edges.length).toBeGreaterThan(0);
    expect(retries).toHaveLength(2);
    expect(retries[1]!.failure).toMatchObject({ code: 'InternalError', status: 500 });
    expect(retries[1]!.idempotencyKey).toBeNull();
  }, 60_000);

  it('a webhook endpoint created and deleted with an API token: a lost answer is retried, and the replay is the first answer, secret included', async () => {
    const retries: RetryEvent[] = [];
    let dropped = 0;
    // The first attempt of each call reaches the server, and its answer is lost.
    const dropping: Fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (dropped++ % 2 === 0) throw lostAnswer();
      return response;
    };
    const client = api.backend({ fetch: dropping, retries: QUICK, onRetry: (event) => retries.push(event) });
    const url = `http://127.0.0.1:${await freePort()}/lost-answer`;
    const created = await client.createWebhookEndpoint(url, ['user.created']);
    if (created.__typename !== 'CreateWebhookEndpointSuccess') throw new Error(created.__typename);
    expect(retries).toHaveLength(1);
    expect(created.secret).toMatch(/^whsec_/);
    const live = await api.backend().webhookEndpoints();
    expect(live.filter((e) => e.url === url).map((e) => e.id)).toEqual([created.endpoint.id]);

    const deleted = await client.deleteWebhookEndpoint(created.endpoint.id);
    // The replay answers the first delete's success, not "no such endpoint".
    expect(deleted).toMatchObject({ __typename: 'DeleteWebhookEndpointSuccess', id: created.endpoint.id });
    expect(retries).toHaveLength(2);
    expect(retries.map((r) => r.idempotencyKey)).not.toContain(null);
  });

  it('a write the server does not deduplicate is not sent again once it may have run', async () => {
    await api.database.acme.user('ada-admin', { role: 'admin' });
    const admin = await api.signIn('ada-admin');
    const before = (await admin.apiTokens()).length;
    const retries: RetryEvent[] = [];
    // The server runs the write and answers; the answer is lost on the way back.
    const toAcme = loopbackFetch(api.server.port);
    const dropping: Fetch = async (input, init) => {
      await toAcme(input, init);
      throw lostAnswer();
    };
    const unsure = admin.withOptions({ retries: QUICK, onRetry: (event) => retries.push(event) });

    const error = await rejection(unsure.withOptions({ fetch: dropping }).createApiToken('once'));
    expect(error).toBeInstanceOf(TeamApiNetworkError);
    expect(error).toMatchObject({ attempts: 1 });
    expect(retries).toHaveLength(0);
    expect((await admin.apiTokens()).filter((t) => t.label === 'once')).toHaveLength(1);
    expect((await admin.apiTokens()).length).toBe(before + 1);

    // A 500 is not retried either: the write may have committed before it.
    const restore = await breakTable(api.database.db.store, 'api_tokens');
    try {
      const failed = await rejection(unsure.createApiToken('during-500'));
      expect(failed).toMatchObject({ code: 'InternalError', attempts: 1 });
    } finally {
      await restore();
    }
    expect(retries).toHaveLength(0);
  });

  it('retries off: the first failure is thrown', async () => {
    let calls = 0;
    const dropping: Fetch = async (input, init) => {
      calls++;
      await fetch(input, init);
      throw lostAnswer();
    };
    const error = await rejection(
      api.backend({ fetch: dropping, retries: false }).createUser({ email: 'no-retry@example.com', username: 'no-retry' }),
    );
    expect(error).toMatchObject({ name: 'TeamApiNetworkError', attempts: 1 });
    expect(calls).toBe(1);
  });
});

describe('retries with no server', () => {
  it('a refused connection is retried for any call, a write the server would not deduplicate included, until the attempts run out', async () => {
    const url = `http://localhost:${await freePort()}/graphql`;
    const retries: RetryEvent[] = [];
    const client = new TeamApiClient({ url, retries: { attempts: 3, baseDelayMs: 5 }, onRetry: (event) => retries.push(event) });
    const error = await rejection(client.loginWithSSO('some-token'));
    expect(error).toBeInstanceOf(TeamApiNetworkError);
    expect(error).toMatchObject({ attempts: 3, timedOut: false });
    expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
    expect(new Set(retries.map((r) => r.idempotencyKey)).size).toBe(1);
  });

  it('an attempt that runs over timeoutMs is a network error, retried for a read', async () => {
    const silent: Server = createServer(() => {}); // Takes the connection, never answers.
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as { port: number };
      const client = new TeamApiClient({ url: `http://127.0.0.1:${port}/graphql`, timeoutMs: 200, retries: { attempts: 2, baseDelayMs: 5 } });
      const error = await rejection(client.group());
      expect(error).toMatchObject({ name: 'TeamApiNetworkError', timedOut: true, attempts: 2 });
    } finally {
      silent.close();
    }
  });

  it('the caller’s signal ends the retries', async () => {
    const controller = new AbortController();
    const url = `http://localhost:${await freePort()}/graphql`;
    const client = new TeamApiClient({ url, retries: { attempts: 10, baseDelayMs: 50 }, onRetry: () => controller.abort() });
    const error = await rejection(client.group({ signal: controller.signal }));
    expect(error).toMatchObject({ name: 'AbortError' });
  });
});

describe('rate limits', () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startApi({ RATE_LIMIT_WRITES: '1', RATE_LIMIT_WINDOW_SECONDS: '1' });
  }, 60_000);
  afterAll(async () => {
    await api?.close();
  });

  it('TooManyRequests is retried after its Retry-After, and a Retry-After longer than maxDelayMs is thrown at once', async () => {
    const retries: RetryEvent[] = [];
    const client = api.backend({ retries: { attempts: 8, baseDelayMs: 20 }, onRetry: (event) => retries.push(event) });
    // Three writes at once, one allowed a second: at least two are refused and wait.
    const results = await Promise.all(
      [1, 2, 3].map((i) => client.createUser({ email: `limited-${i}@example.com`, username: `limited-${i}` })),
    );
    expect(results.map((r) => r.__typename)).toEqual(['CreateUserSuccess', 'CreateUserSuccess', 'CreateUserSuccess']);
    const refused = retries.filter((r) => r.failure instanceof TeamApiError && r.failure.code === 'TooManyRequests');
    expect(refused.length).toBeGreaterThanOrEqual(2);
    for (const retry of refused) {
      const seconds = (retry.failure as TeamApiError).retryAfterSeconds;
      expect(seconds).toBeGreaterThanOrEqual(1);
      expect(retry.delayMs).toBeGreaterThanOrEqual(seconds! * 1000);
    }

    const impatient = api.backend({ retries: { attempts: 8, maxDelayMs: 500 } });
    const outcomes = await Promise.allSettled(
      [4, 5, 6].map((i) => impatient.createUser({ email: `limited-${i}@example.com`, username: `limited-${i}` })),
    );
    const thrown = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason);
    expect(thrown.length).toBeGreaterThanOrEqual(2);
    for (const error of thrown) expect(error).toMatchObject({ code: 'TooManyRequests', status: 429, attempts: 1 });
  }, 60_000);
});
