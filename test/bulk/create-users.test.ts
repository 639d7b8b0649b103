/** createUsers (API.md §12): one result per input, each what createUser would answer one after another. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_CALLER } from '../../src/domain/events.ts';
import { EVENTS, expectTransportError, MEMBERS_BY_TOKEN } from '../support/admin-documents.ts';
import { CREATE_USER, ERROR_FIELDS } from '../support/documents.ts';
import { acmeApp, type GroupSeed, type TestApp } from '../support/harness.ts';
import { Prng, runSeed } from '../support/prng.ts';

export const CREATE_USERS = `mutation CreateUsers($inputs: [CreateUserInput!]!) {
  createUsers(inputs: $inputs) {
    __typename
    ... on CreateUserSuccess { user { id username email firstName lastName createdAt } }
    ${ERROR_FIELDS}
  }
}`;

const SEED = runSeed('BULK_SEED');

let t: TestApp;
let acme: GroupSeed;
let token: string;
beforeEach(async () => {
  ({ t, acme, token } = await acmeApp());
});
afterEach(() => t.close());

type Input = { email: string; username?: string | null; suggestedUsername?: string | null; firstName?: string | null; lastName?: string | null };

/** A seeded mix of good, duplicate, taken and bad inputs. */
function mixedInputs(rng: Prng, count: number): Input[] {
  const names = ['ada', 'grace', 'hopper', 'turing', 'lovelace', 'knuth', 'dijkstra', 'liskov'];
  const inputs: Input[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${names[rng.int(0, names.length - 1)]}${rng.int(0, 12)}`;
    const email = `${name}${rng.int(0, 3)}@${rng.int(0, 5) === 0 ? 'EXAMPLE.com' : 'example.com'}`;
    switch (rng.int(0, 9)) {
      case 0:
        inputs.push({ email, suggestedUsername: name.slice(0, 10) });
        break;
      case 1:
        inputs.push({ email, username: name, suggestedUsername: name.slice(0, 8) });
        break;
      case 2:
        inputs.push({ email: 'not-an-email', username: name });
        break;
      case 3:
        inputs.push({ email, username: rng.int(0, 1) ? 'ab' : 'Bad_Name' });
        break;
      case 4:
        inputs.push({ email, username: 'admin', suggestedUsername: rng.int(0, 1) ? 'adminish' : null });
        break;
      case 5:
        inputs.push({ email, username: name, firstName: 'x'.repeat(rng.int(0, 1) ? 10 : 101) });
        break;
      case 6:
        inputs.push({ email: `outside-${name}@other.org`, username: `o-${name}` });
        break;
      case 7:
        inputs.push({ email, username: name, suggestedUsername: 'ab' });
        break;
      default:
        inputs.push({ email, username: ` ${name.toUpperCase()} `, firstName: 'Ada', lastName: 'Lovelace' });
    }
  }
  return inputs;
}

/** Usernames a suggestion made (the random part differs from run to run), as `base??????`. */
function suggested(results: any[], inputs: Input[]): Map<string, string> {
  const masked = new Map<string, string>();
  results.forEach((result, i) => {
    const wanted = inputs[i]!.username?.trim().toLowerCase();
    const base = inputs[i]!.suggestedUsername?.trim().toLowerCase();
    const username = result.user?.username;
    if (username && base && username !== wanted) masked.set(username, `${base}??????`);
  });
  return masked;
}

/** A result as comparable across databases: ids and times left out, suggested usernames masked. */
function comparable(result: any, masked: Map<string, string>) {
  if (result.__typename !== 'CreateUserSuccess') return result;
  const { id: _id, createdAt: _createdAt, ...user } = result.user;
  return { __typename: result.__typename, user: { ...user, username: masked.get(user.username) ?? user.username } };
}

async function seedExisting(target: TestApp, seed: GroupSeed) {
  await seed.user('grace3', { email: 'taken@example.com' });
  await seed.user('knuth7', { email: 'knuth7-owner@example.com' });
  await target.app.services.groups.update(seed.group, { allowedDomains: ['example.com'] }, CLI_CALLER);
}

describe('createUsers', () => {
  it(`answers exactly what createUser answers one input after another, and writes the same rows (seed ${SEED}; replay with BULK_SEED=${SEED})`, async () => {
    const rng = new Prng(SEED);
    const inputs = mixedInputs(rng, 150);
    inputs.push({ email: 'taken@example.com', username: 'newname' }, { email: 'TAKEN@example.com', suggestedUsername: 'taken' });

    await seedExisting(t, acme);
    const bulk = await t.gql(CREATE_USERS, { token, variables: { inputs } });
    expect(bulk.status).toBe(200);
    expect(bulk.body.errors).toBeUndefined();
    const bulkResults = bulk.body.data.createUsers;
    expect(bulkResults).toHaveLength(inputs.length);

    const other = await acmeApp();
    try {
      await seedExisting(other.t, other.acme);
      const oneByOne = [];
      for (const input of inputs) oneByOne.push((await other.t.gql(CREATE_USER, { token: other.token, variables: { input } })).body.data.createUser);
      const maskedBulk = suggested(bulkResults, inputs);
      const maskedOne = suggested(oneByOne, inputs);
      expect(bulkResults.map((r: any) => comparable(r, maskedBulk))).toEqual(oneByOne.map((r: any) => comparable(r, maskedOne)));
      const kinds = new Set(bulkResults.map((r: any) => r.__typename));
      for (const kind of ['CreateUserSuccess', 'UsernameAlreadyExists', 'EmailAlreadyExists', 'InvalidInput', 'OutOfRangeUsername', 'InvalidUsername', 'InvalidEmailDomain', 'OutOfRangeSuggestedUsername']) {
        expect(kinds, kind).toContain(kind);
      }
      const rowsOf = async (app: TestApp, masked: Map<string, string>) =>
        (await app.rows(`SELECT u.username, u.email, u.first_name, u.last_name, m.role FROM users u JOIN memberships m ON m.user_id = u.id ORDER BY u.email`)).map(
          (row) => ({ ...row, username: masked.get(String(row.username)) ?? row.username }),
        );
      expect(await rowsOf(t, maskedBulk)).toEqual(await rowsOf(other.t, maskedOne));
    } finally {
      await other.t.close();
    }
  });

  it('writes each created user’s user.created event, in input order', async () => {
    const inputs = [
      { email: 'a@example.com', username: 'alpha' },
      { email: 'bad', username: 'beta' },
      { email: 'c@example.com', username: 'gamma' },
    ];
    const res = await t.gql(CREATE_USERS, { token, variables: { inputs } });
    expect(res.body.data.createUsers.map((r: any) => r.__typename)).toEqual(['CreateUserSuccess', 'InvalidInput', 'CreateUserSuccess']);
    await t.feedCaughtUp();
    const events = await t.gql(EVENTS, { token, variables: { types: ['user.created'] } });
    expect(events.body.data.events.edges.map((e: any) => e.node.target.name)).toEqual(['alpha', 'gamma']);
  });

  it('names the taken username first for an input whose email an earlier input of the call took, as createUser would', async () => {
    await acme.user('taken-name', { email: 'owner@example.com' });
    const inputs = [
      { email: 'dup@example.com', username: 'fresh-one' },
      { email: 'dup@example.com', username: 'taken-name' },
    ];
    const res = await t.gql(CREATE_USERS, { token, variables: { inputs } });
    expect(res.body.data.createUsers.map((r: any) => r.__typename)).toEqual(['CreateUserSuccess', 'UsernameAlreadyExists']);
    const alone = await t.gql(CREATE_USER, { token, variables: { input: inputs[1] } });
    expect(alone.body.data.createUser.__typename).toBe('UsernameAlreadyExists');
  });

  it('lists the users it created in input order: they join in one millisecond, and their ids count up within it', async () => {
    // Names in reverse alphabetical order, so neither the name nor the email gives the order away.
    const names = Array.from({ length: 60 }, (_, i) => `user-${String(99 - i).padStart(2, '0')}`);
    const res = await t.gql(CREATE_USERS, { token, variables: { inputs: names.map((name) => ({ email: `${name}@example.com`, username: name })) } });
    const created = res.body.data.createUsers;
    expect(new Set(created.map((r: any) => r.user.createdAt)).size).toBe(1);
    expect(created.map((r: any) => r.user.id)).toEqual(created.map((r: any) => r.user.id).sort());
    const listed = await t.gql(MEMBERS_BY_TOKEN, { token, variables: { first: 100 } });
    const usernames = listed.body.data.group.members.edges.map((e: any) => e.node.user.username);
    expect(usernames.slice(-names.length)).toEqual(names);
  });

  it('takes 1 to 1000 inputs; none or more is a transport-level InvalidInput on field inputs', async () => {
    expectTransportError(await t.gql(CREATE_USERS, { token, variables: { inputs: [] } }), 'InvalidInput', 'inputs');
    const tooMany = Array.from({ length: 1001 }, (_, i) => ({ email: `u${i}@example.com`, username: `user-${i}` }));
    expectTransportError(await t.gql(CREATE_USERS, { token, variables: { inputs: tooMany } }), 'InvalidInput', 'inputs');
    expect(await t.count('users')).toBe(0);
  });

  it('lets 1000 inputs with the documented selection through the request and query limits', async () => {
    const inputs = Array.from({ length: 1000 }, (_, i) => ({
      email: `firstname.lastname.${i}@example.com`,
      username: `user-number-${i}`,
      firstName: 'Firstname',
      lastName: 'Lastname',
    }));
    const res = await t.gql(CREATE_USERS, { token, variables: { inputs } });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.createUsers.every((r: any) => r.__typename === 'CreateUserSuccess')).toBe(true);
    expect(await t.count('users')).toBe(1000);
    expect(await t.count('events')).toBeGreaterThanOrEqual(1000);
  });

  it('counts one write per input against the rate limit', async () => {
    await t.close();
    ({ t, acme, token } = await acmeApp({ env: { RATE_LIMIT_WRITES: '5' } }));
    const five = Array.from({ length: 5 }, (_, i) => ({ email: `u${i}@example.com`, username: `user-${i}` }));
    expect((await t.gql(CREATE_USERS, { token, variables: { inputs: five.slice(0, 4) } })).status).toBe(200);
    const over = await t.gql(CREATE_USERS, { token, variables: { inputs: five.slice(4).concat({ email: 'x@example.com', username: 'extra' }) } });
    expectTransportError(over, 'TooManyRequests');
    expect(over.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await t.count('users')).toBe(4);
  });

  it('is all or nothing: a storage failure on one user leaves none of the batch, and each would-be user answers FailedToCreateUser', async () => {
    const heal =
      t.dialect === 'sqlite'
        ? (async () => {
            await t.rows(`SELECT 1`);
            (t.store as any).sqlite.exec(`CREATE TRIGGER poison BEFORE INSERT ON users WHEN NEW.username = 'poison' BEGIN SELECT RAISE(ABORT, 'injected fault'); END;`);
            return async () => (t.store as any).sqlite.exec('DROP TRIGGER poison');
          })()
        : (async () => {
            const pool = (t.store as any).pool;
            await pool.query(`CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.username = 'poison' THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$;
              CREATE TRIGGER poison BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION poison();`);
            return async () => pool.query('DROP TRIGGER poison ON users');
          })();
    const cure = await heal;
    const inputs = [
      { email: 'a@example.com', username: 'alpha' },
      { email: 'bad', username: 'beta' },
      { email: 'p@example.com', username: 'poison' },
      { email: 'c@example.com', username: 'gamma' },
    ];
    const res = await t.gql(CREATE_USERS, { token, variables: { inputs } });
    expect(res.status).toBe(200);
    expect(res.body.data.createUsers.map((r: any) => r.__typename)).toEqual(['FailedToCreateUser', 'InvalidInput', 'FailedToCreateUser', 'FailedToCreateUser']);
    expect(JSON.stringify(res.body)).not.toMatch(/injected|INSERT|sqlite|trigger/i);
    expect(await t.count('users')).toBe(0);
    await cure();
  });

  it('with an Idempotency-Key, replays the whole list', async () => {
    const inputs = [
      { email: 'a@example.com', username: 'alpha' },
      { email: 'a@example.com', username: 'alpha2' },
      { email: 'z@example.com', suggestedUsername: 'zedd' },
    ];
    const send = () =>
      t.request('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': 'bulk-1' },
        body: JSON.stringify({ query: CREATE_USERS, variables: { inputs } }),
      });
    const first = await send();
    const firstText = await first.text();
    expect(JSON.parse(firstText).data.createUsers.map((r: any) => r.__typename)).toEqual(['CreateUserSuccess', 'EmailAlreadyExists', 'CreateUserSuccess']);
    const again = await send();
    expect(await again.text()).toBe(firstText);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await t.count('users')).toBe(2);
  });
});

describe('createUsers of 100 inputs or more, on a database file (SQLite writes them on its writer thread)', () => {
  const many = (prefix: string, count: number): Input[] =>
    Array.from({ length: count }, (_, i) => ({ email: `${prefix}${i}@example.com`, username: `${prefix}-${i}` }));
  /** SQLite's count of commits by other connections of the file, as this one sees them; null on PostgreSQL. */
  const othersCommits = (app: TestApp): number | null =>
    app.dialect === 'sqlite' ? ((app.store as any).sqlite.pragma('data_version', { simple: true }) as number) : null;

  beforeEach(async () => {
    await t.close();
    ({ t, acme, token } = await acmeApp({ shared: true }));
  });

  it('writes them, their memberships and events in one commit of another connection, and answers each', async () => {
    const before = othersCommits(t);
    const res = await t.gql(CREATE_USERS, { token, variables: { inputs: many('thread', 150) } });
    expect(res.body.data.createUsers.map((r: any) => r.__typename)).toEqual(Array(150).fill('CreateUserSuccess'));
    expect(res.body.data.createUsers[149].user).toMatchObject({ username: 'thread-149', email: 'thread149@example.com' });
    if (before !== null) expect(othersCommits(t)).toBeGreaterThan(before);
    expect(await t.count('users')).toBe(150);
    const count = async (query: string) => Number((await t.rows(query))[0]!.n);
    expect(await count(`SELECT count(*) AS n FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.username LIKE 'thread-%'`)).toBe(150);
    expect(await count(`SELECT count(*) AS n FROM events WHERE type = 'user.created' AND target_name LIKE 'thread-%'`)).toBe(150);
    // Written through the thread, read at once by this connection: a member can be given a sign-in link.
    const link = await t.gql('mutation { createSSOToken(username: "thread-99") { __typename } }', { token });
    expect(link.body.data.createSSOToken.__typename).toBe('CreateSSOTokenSuccess');
  });

  it('stores every column of each user, membership and event as it answered, whichever columns the rows share', async () => {
    // 130 rows, 50 a statement: in the first 50 every first name is 'Same' and every
    // last name null (shared, one a non-null value and one null); then each its own,
    // or null in every other row; the last 30 are written a row a statement.
    const inputs = many('cols', 130).map((input, i) => ({
      ...input,
      firstName: i < 60 ? 'Same' : i < 100 ? `First${i}` : null,
      lastName: i < 50 || i % 2 === 1 ? null : `Last${i}`,
    }));
    const userAgent = 'bulk-columns/1.0';
    const res = await t.gql(CREATE_USERS, { token, variables: { inputs }, headers: { 'user-agent': userAgent } });
    const answered = res.body.data.createUsers.map((r: any) => r.user);
    expect(answered.every(Boolean)).toBe(true);
    // What a single createUser by the same token writes as its caller, its request id apart.
    await t.gql(CREATE_USER, { token, variables: { input: { email: 'single@example.com', username: 'single-one' } }, headers: { 'user-agent': userAgent } });

    // PostgreSQL answers its bigints as text.
    const timed = (rows: Array<Record<string, unknown>>, column: string) => rows.map((r) => ({ ...r, [column]: Number(r[column]) }));
    const users = timed(await t.rows('SELECT id, username, email, email_normalized, first_name, last_name, created_at FROM users'), 'created_at');
    const byId = new Map(users.map((u) => [u.id, u]));
    const memberships = new Map(timed(await t.rows('SELECT group_id, user_id, role, created_at FROM memberships'), 'created_at').map((m) => [m.user_id, m]));
    const events = timed(
      await t.rows(
        `SELECT id, group_id, type, occurred_at, actor_type, actor_id, actor_name, target_type, target_id, target_name, ip, user_agent, request_id, data
         FROM events WHERE type = 'user.created' ORDER BY seq`,
      ),
      'occurred_at',
    );
    const single = events.pop()!;
    expect(single.target_name).toBe('single-one');
    const [apiToken] = await t.rows('SELECT id, label FROM api_tokens');
    const caller = { actor_type: 'api_token', actor_id: apiToken!.id, actor_name: apiToken!.label, ip: single.ip, user_agent: userAgent };
    expect(single).toMatchObject(caller);
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    expect(single.request_id).not.toBe(requestId);

    expect(events.map((e) => e.target_id)).toEqual(answered.map((u: any) => u.id));
    expect(new Set(events.map((e) => e.id)).size).toBe(answered.length);
    answered.forEach((user: any, i: number) => {
      const createdAt = Date.parse(user.createdAt);
      expect(byId.get(user.id)).toEqual({
        id: user.id,
        username: `cols-${i}`,
        email: `cols${i}@example.com`,
        email_normalized: `cols${i}@example.com`,
        first_name: inputs[i]!.firstName,
        last_name: inputs[i]!.lastName,
        created_at: createdAt,
      });
      expect(memberships.get(user.id)).toEqual({ group_id: acme.group.id, user_id: user.id, role: 'member', created_at: createdAt });
      const { id, data, ...event } = events[i]!;
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(event).toEqual({
        group_id: acme.group.id,
        type: 'user.created',
        occurred_at: createdAt,
        ...caller,
        request_id: requestId,
        target_type: 'user',
        target_id: user.id,
        target_name: `cols-${i}`,
      });
      expect(JSON.parse(String(data))).toEqual({
        username: `cols-${i}`,
        email: `cols${i}@example.com`,
        firstName: inputs[i]!.firstName,
        lastName: inputs[i]!.lastName,
        role: 'member',
      });
    });
  });

  it('answers a taken name as createUser would: the plan is refused whole, and decided again on what is taken', async () => {
    await acme.user('taken-name', { email: 'owner@example.com' });
    const inputs = many('late', 120);
    inputs[70] = { email: 'someone@example.com', username: 'taken-name' };
    inputs[90] = { email: 'OWNER@example.com', username: 'new-owner' };
    const res = await t.gql(CREATE_USERS, { token, variables: { inputs } });
    const kinds = res.body.data.createUsers.map((r: any) => r.__typename);
    expect(kinds[70]).toBe('UsernameAlreadyExists');
    expect(kinds[90]).toBe('EmailAlreadyExists');
    expect(kinds.filter((k: string) => k === 'CreateUserSuccess')).toHaveLength(118);
    expect(await t.count('users')).toBe(119);
  });

  it('is all or nothing there too: a failing insert leaves none of them, each answering FailedToCreateUser', async () => {
    const cure = await t.injectFault('events');
    const res = await t.gql(CREATE_USERS, { token, variables: { inputs: many('fault', 100) } });
    expect(res.status).toBe(200);
    expect(new Set(res.body.data.createUsers.map((r: any) => r.__typename))).toEqual(new Set(['FailedToCreateUser']));
    expect(JSON.stringify(res.body)).not.toMatch(/injected|INSERT|sqlite|trigger/i);
    expect(await t.count('users')).toBe(0);
    await cure();
    const again = await t.gql(CREATE_USERS, { token, variables: { inputs: many('fault', 100) } });
    expect(again.body.data.createUsers.every((r: any) => r.__typename === 'CreateUserSuccess')).toBe(true);
  });

  it('races single createUser calls for the same names: each name has one winner, every other call a typed refusal', async () => {
    const inputs = many('race', 200);
    const singles = inputs.filter((_, i) => i % 10 === 0).map((input) => ({ ...input, email: `single-${input.email}` }));
    const [bulk, ...ones] = await Promise.all([
      t.gql(CREATE_USERS, { token, variables: { inputs } }),
      ...singles.map((input) => t.gql(CREATE_USER, { token, variables: { input } })),
    ]);
    expect([bulk, ...ones].map((r) => r.status)).toEqual(Array(1 + singles.length).fill(200));
    const bulkWon = new Set(bulk.body.data.createUsers.filter((r: any) => r.__typename === 'CreateUserSuccess').map((r: any) => r.user.username));
    for (const [i, one] of ones.entries()) {
      const name = singles[i]!.username!;
      const kind = one.body.data.createUser.__typename;
      expect([kind, bulkWon.has(name)], name).toEqual(kind === 'CreateUserSuccess' ? ['CreateUserSuccess', false] : ['UsernameAlreadyExists', true]);
    }
    expect(await t.count('users')).toBe(200);
  });
});
