import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorageWriteError } from '../../src/db/store.ts';
import type { ErrorCode } from '../../src/errors/catalog.ts';
import { acmeApp, envelopeOf, type GroupSeed, type TestApp } from '../support/harness.ts';
import { postJson, type RestResponse } from '../support/rest.ts';
import { CLI_CALLER } from '../../src/domain/events.ts';

const PATH = '/-/api/user/create';

function expectError(res: RestResponse, code: ErrorCode, field?: string | null) {
  expect(res.body).toMatchObject({ error: envelopeOf(code) });
  expect(res.body.error).toEqual(envelopeOf(code));
  expect(res.status).toBe(envelopeOf(code).status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  if (field !== undefined) expect(res.body.details?.field ?? null).toBe(field);
}

let t: TestApp;
let acme: GroupSeed;
let token: string;

beforeEach(async () => {
  ({ t, acme, token } = await acmeApp());
});
afterEach(() => t.close());

describe('POST /-/api/user/create', () => {
  it('creates the user in the token’s group and answers its normalised username', async () => {
    const res = await postJson(t, PATH, { email: 'alice@example.com', username: '  Alice ', firstName: 'Alice' }, { token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { username: 'alice' } });
    const member = await t.app.services.members.get(acme.group, 'alice');
    expect(member.user).toMatchObject({ email: 'alice@example.com', firstName: 'Alice' });
  });

  it('builds a username from suggestedUsername', async () => {
    const res = await postJson(t, PATH, { email: 'bob@example.com', suggestedUsername: 'bobby' }, { token });
    expect(res.status).toBe(200);
    expect(res.body.data.username).toMatch(/^bobby[a-z0-9]+$/);
  });

  it('takes null for an optional field as absent', async () => {
    const res = await postJson(
      t,
      PATH,
      { email: 'carol@example.com', username: null, suggestedUsername: 'carol', firstName: null, lastName: null },
      { token },
    );
    expect(res.status).toBe(200);
    expect(res.body.data.username).toMatch(/^carol/);
  });

  it('works on the token’s own group domain', async () => {
    const res = await postJson(t, PATH, { email: 'dave@example.com', username: 'dave' }, { token, host: acme.host });
    expect(res.body).toEqual({ data: { username: 'dave' } });
  });

  describe('refuses the request itself', () => {
    it('without a bearer token: UnauthorizedRequest', async () => {
      expectError(await postJson(t, PATH, { email: 'a@example.com', username: 'alice' }), 'UnauthorizedRequest');
    });

    it('with an unknown token: InvalidApiToken', async () => {
      const res = await postJson(t, PATH, { email: 'a@example.com', username: 'alice' }, { token: `tapi_${'x'.repeat(43)}` });
      expectError(res, 'InvalidApiToken');
    });

    it('on another group’s domain: InvalidRequestDomain', async () => {
      const other = await t.seed.group('other');
      const res = await postJson(t, PATH, { email: 'a@example.com', username: 'alice' }, { token, host: other.host });
      expectError(res, 'InvalidRequestDomain');
    });

    it('when the group’s API is disabled: ApiIsDisabled', async () => {
      await t.app.services.groups.update(acme.group, { isApiEnabled: false }, CLI_CALLER);
      expectError(await postJson(t, PATH, { email: 'a@example.com', username: 'alice' }, { token }), 'ApiIsDisabled');
    });

    it('when the group was deleted: GroupNotFound', async () => {
      await t.app.services.groups.delete('acme', CLI_CALLER);
      expectError(await postJson(t, PATH, { email: 'a@example.com', username: 'alice' }, { token }), 'GroupNotFound');
    });
  });

  describe('refuses a malformed body with InvalidInput', () => {
    const cases: Array<[string, string, string | null]> = [
      ['malformed JSON', '{"email": "a@example.com",', null],
      ['an empty body', '', null],
      ['an array', '[{"email":"a@example.com"}]', null],
      ['null', 'null', null],
      ['a string', '"a@example.com"', null],
      ['a number for email', '{"email": 5, "username": "alice"}', 'email'],
      ['null for email', '{"email": null, "username": "alice"}', 'email'],
      ['no email', '{"username": "alice"}', 'email'],
      ['a number for username', '{"email": "a@example.com", "username": 42}', 'username'],
      ['an object for suggestedUsername', '{"email": "a@example.com", "suggestedUsername": {}}', 'suggestedUsername'],
      ['a boolean for firstName', '{"email": "a@example.com", "username": "alice", "firstName": true}', 'firstName'],
    ];
    it.each(cases)('%s', async (_name, body, field) => {
      const res = await postJson(t, PATH, body, { token });
      expectError(res, 'InvalidInput', field);
      expect(res.body.details.reason).toEqual(expect.any(String));
    });

    it.each([['text/plain'], ['application/x-www-form-urlencoded'], ['application/jsonx'], ['']])(
      'with content type %j',
      async (contentType) => {
        const res = await postJson(t, PATH, { email: 'a@example.com', username: 'alice' }, {
          token,
          headers: { 'content-type': contentType },
        });
        expectError(res, 'InvalidInput', null);
        expect(res.body.details.reason).toMatch(/application\/json/);
      },
    );

    it('accepts application/json with a charset', async () => {
      const res = await postJson(t, PATH, { email: 'a@example.com', username: 'alice' }, {
        token,
        headers: { 'content-type': 'Application/JSON; charset=utf-8' },
      });
      expect(res.body).toEqual({ data: { username: 'alice' } });
    });

    it('over the size limit', async () => {
      const res = await postJson(t, PATH, { email: 'a@example.com', username: 'alice', pad: 'x'.repeat(t.config.requestLimits.maxBodyBytes) }, { token });
      expectError(res, 'InvalidInput', 'body');
    });

    it('before looking at the token, as GraphQL coerces arguments before any resolver', async () => {
      expectError(await postJson(t, PATH, '{"email": 5}'), 'InvalidInput', 'email');
    });
  });

  describe('answers each rule of createUser with its catalog error', () => {
    it('an address that is not one: InvalidInput on email', async () => {
      expectError(await postJson(t, PATH, { email: 'not-an-address', username: 'alice' }, { token }), 'InvalidInput', 'email');
    });

    it('neither username nor suggestedUsername: InvalidInput on username', async () => {
      expectError(await postJson(t, PATH, { email: 'a@example.com' }, { token }), 'InvalidInput', 'username');
    });

    it('a too long first name: InvalidInput on firstName', async () => {
      const res = await postJson(t, PATH, { email: 'a@example.com', username: 'alice', firstName: 'x'.repeat(101) }, { token });
      expectError(res, 'InvalidInput', 'firstName');
    });

    it('an email outside the allowed domains: InvalidEmailDomain', async () => {
      await t.app.services.groups.update(acme.group, { allowedDomains: ['acme.com'] }, CLI_CALLER);
      expectError(await postJson(t, PATH, { email: 'a@example.com', username: 'alice' }, { token }), 'InvalidEmailDomain');
    });

    it('bad characters: InvalidUsername', async () => {
      expectError(await postJson(t, PATH, { email: 'a@example.com', username: 'al ice' }, { token }), 'InvalidUsername');
    });

    it('too short: OutOfRangeUsername', async () => {
      expectError(await postJson(t, PATH, { email: 'a@example.com', username: 'abc' }, { token }), 'OutOfRangeUsername');
    });

    it('a too long suggestion: OutOfRangeSuggestedUsername', async () => {
      const res = await postJson(t, PATH, { email: 'a@example.com', suggestedUsername: 'a'.repeat(16) }, { token });
      expectError(res, 'OutOfRangeSuggestedUsername');
    });

    it('a reserved name: UsernameAlreadyExists', async () => {
      expectError(await postJson(t, PATH, { email: 'a@example.com', username: 'admin' }, { token }), 'UsernameAlreadyExists');
    });

    it('a taken username: UsernameAlreadyExists', async () => {
      await acme.user('alice');
      expectError(await postJson(t, PATH, { email: 'other@example.com', username: 'alice' }, { token }), 'UsernameAlreadyExists');
    });

    it('a taken email, in any case: EmailAlreadyExists', async () => {
      await acme.user('alice', { email: 'alice@example.com' });
      expectError(await postJson(t, PATH, { email: 'ALICE@example.com', username: 'alice2' }, { token }), 'EmailAlreadyExists');
    });

    it('the same inputs give the same codes over GraphQL', async () => {
      const inputs = [
        { email: 'nope', username: 'alice' },
        { email: 'a@example.com', username: 'x y z' },
        { email: 'a@example.com', username: 'abc' },
        { email: 'a@example.com', suggestedUsername: 'a'.repeat(16) },
        { email: 'a@example.com', username: 'root' },
      ];
      for (const input of inputs) {
        const rest = await postJson(t, PATH, input, { token });
        const gql = await t.gql(
          'mutation($input: CreateUserInput!) { createUser(input: $input) { __typename ... on Error { status code message } } }',
          { token, variables: { input } },
        );
        const { __typename, ...envelope } = gql.body.data.createUser;
        expect(rest.body.error).toEqual(envelope);
        expect(rest.status).toBe(envelope.status);
      }
    });
  });

  describe('when storage fails', () => {
    it('while writing the user: FailedToCreateUser', async () => {
      t.store.insertUsers = async () => {
        throw new StorageWriteError(new Error('SQLITE_FULL: INSERT INTO users VALUES (…)'));
      };
      const res = await postJson(t, PATH, { email: 'a@example.com', username: 'alice' }, { token });
      expectError(res, 'FailedToCreateUser');
      expect(res.text).not.toMatch(/SQLITE|INSERT/);
    });

    it('unexpectedly: InternalError, with nothing of the failure in the response', async () => {
      t.store.insertUsers = async () => {
        throw new Error('SQLITE_CORRUPT: SELECT * FROM users WHERE email = ?');
      };
      const res = await postJson(t, PATH, { email: 'a@example.com', username: 'alice' }, { token });
      expectError(res, 'InternalError');
      expect(res.body).toEqual({ error: envelopeOf('InternalError') });
      expect(res.text).not.toMatch(/SQLITE|SELECT|at /);
    });
  });
});
