/** SCIM Users (API.md §18) through app.fetch, on the run's database. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envelopeOf } from '../../src/errors/catalog.ts';
import { acmeApp, type GroupSeed, type TestApp } from '../support/harness.ts';
import { errorOf, patchOps, type ScimClient, scimClient, USER_SCHEMA, userBody } from '../support/scim.ts';

let t: TestApp;
let acme: GroupSeed;
let c: ScimClient;

beforeEach(async () => {
  const app = await acmeApp();
  t = app.t;
  acme = app.acme;
  c = scimClient(t, app.token);
});
afterEach(() => t.close());

function expectCatalogError(response: { status: number; body: any; headers: Headers }, code: Parameters<typeof envelopeOf>[0], status: number, scimType?: string) {
  expect(errorOf(response)).toEqual({ status, scimType: scimType ?? null, code, keys: scimType ? ['detail', 'schemas', 'scimType', 'status'] : ['detail', 'schemas', 'status'] });
  expect(response.body.detail).toBe(envelopeOf(code).message);
  expect(response.body.status).toBe(String(status));
  expect(response.headers.get('content-type')).toBe('application/scim+json; charset=utf-8');
}

describe('POST /Users', () => {
  it('creates a member: 201, Location, ETag, the document with the derived username', async () => {
    const res = await c.post('/Users', userBody('Jane.Doe@Example.com', { externalId: 'okta-1', displayName: 'ignored', title: 'ignored' }));
    expect(res.status).toBe(201);
    const { id } = res.body;
    expect(res.headers.get('location')).toBe(`http://localhost:4000/scim/v2/Users/${id}`);
    expect(res.headers.get('etag')).toBe(res.body.meta.version);
    expect(res.headers.get('content-type')).toBe('application/scim+json; charset=utf-8');
    expect(res.body).toMatchObject({
      schemas: [USER_SCHEMA, 'urn:ietf:params:scim:schemas:extension:teamapi:2.0:User'],
      userName: 'Jane.Doe@Example.com',
      externalId: 'okta-1',
      name: { givenName: 'Given', familyName: 'Family' },
      emails: [{ value: 'Jane.Doe@Example.com', type: 'work', primary: true }],
      active: true,
      roles: [{ value: 'member' }],
      'urn:ietf:params:scim:schemas:extension:teamapi:2.0:User': { username: 'jane-doe' },
      meta: { resourceType: 'User', location: `http://localhost:4000/scim/v2/Users/${id}` },
    });
    expect(res.body).not.toHaveProperty('displayName');
    const member = (await t.app.services.members.get(acme.group, 'jane-doe')).user;
    expect(member).toMatchObject({ id, email: 'Jane.Doe@Example.com', firstName: 'Given', lastName: 'Family' });
  });

  it('accepts Entra’s enterprise extension with manager as a plain string, "True" as a boolean, and ignores password', async () => {
    const res = await c.post('/Users', {
      ...userBody('emp1@example.com', { active: 'True', password: 'secret!' }),
      schemas: [USER_SCHEMA, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { manager: 'mgr-1', department: 'R&D' },
      phoneNumbers: [{ value: '+1 555', type: 'work' }],
    });
    expect(res.status).toBe(201);
    expect(res.body.active).toBe(true);
    expect(JSON.stringify(res.body)).not.toContain('secret!');
    expect(JSON.stringify(res.body)).not.toContain('mgr-1');
  });

  it('gives a taken username the suggestion rules, and a short one a valid form', async () => {
    await acme.user('alice');
    const res = await c.post('/Users', userBody('alice@other.example'));
    expect(res.status).toBe(201);
    expect(res.body['urn:ietf:params:scim:schemas:extension:teamapi:2.0:User'].username).toMatch(/^alice[a-z0-9]{6}$/);
    const short = await c.post('/Users', userBody('Jo@example.org'));
    expect(short.body['urn:ietf:params:scim:schemas:extension:teamapi:2.0:User'].username).toMatch(/^[a-z0-9-]{4,25}$/);
  });

  it('refuses a userName used in the group (any letter case): 409 uniqueness, UsernameAlreadyExists', async () => {
    expect((await c.post('/Users', userBody('bob@example.com'))).status).toBe(201);
    const again = await c.post('/Users', userBody('BOB@example.com', { emails: [{ value: 'bob2@example.com' }] }));
    expectCatalogError(again, 'UsernameAlreadyExists', 409, 'uniqueness');
  });

  it('refuses the email of a user outside the group: 409 uniqueness, EmailAlreadyExists, and attaches nobody', async () => {
    const globex = await t.seed.group('globex');
    await globex.user('carol', { email: 'carol@example.com' });
    const res = await c.post('/Users', userBody('carol@example.com'));
    expectCatalogError(res, 'EmailAlreadyExists', 409, 'uniqueness');
    expect((await c.get('/Users')).body.totalResults).toBe(0);
  });

  it('two creates of one userName at once: one 201, one 409', async () => {
    const [a, b] = await Promise.all([c.post('/Users', userBody('race@example.com')), c.post('/Users', userBody('race@example.com'))]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
  });

  it.each([
    ['no userName', { schemas: [USER_SCHEMA], emails: [{ value: 'x@example.com' }] }, 'invalidValue'],
    ['no email at all', { schemas: [USER_SCHEMA], userName: 'nomail' }, 'invalidValue'],
    ['emails not a list', { userName: 'x@example.com', emails: 'x@example.com' }, 'invalidValue'],
    ['active not a boolean', { userName: 'x@example.com', active: 'yes' }, 'invalidValue'],
    ['a body that is a list', [], 'invalidSyntax'],
  ])('refuses %s: 400 %s with InvalidInput, writing nothing', async (_name, body, scimType) => {
    const res = await c.post('/Users', body);
    expectCatalogError(res, 'InvalidInput', 400, scimType);
    expect(await t.count('users')).toBe(0);
  });

  it('refuses malformed JSON and a wrong content type: 400 invalidSyntax', async () => {
    expectCatalogError(await c.post('/Users', undefined, { raw: '{"userName":' }), 'InvalidInput', 400, 'invalidSyntax');
    expectCatalogError(await c.post('/Users', undefined, { raw: '{}', headers: { 'content-type': 'text/plain' } }), 'InvalidInput', 400, 'invalidSyntax');
  });

  it('takes application/json too', async () => {
    expect((await c.post('/Users', userBody('json@example.com'), { headers: { 'content-type': 'application/json' } })).status).toBe(201);
  });

  it('refuses an email outside the group’s allowed domains: 400 invalidValue, InvalidEmailDomain', async () => {
    await t.app.services.groups.update(acme.group, { allowedDomains: ['acme.test'] }, (await import('../../src/domain/events.ts')).CLI_CALLER);
    const res = await c.post('/Users', userBody('x@example.com'));
    expectCatalogError(res, 'InvalidEmailDomain', 400, 'invalidValue');
  });
});

describe('GET /Users', () => {
  it('lists members with integer totals, in a stable order, paged by startIndex and count', async () => {
    for (const n of [1, 2, 3, 4, 5]) await c.post('/Users', userBody(`user${n}@example.com`));
    const all = await c.get('/Users');
    expect(all.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 5, startIndex: 1, itemsPerPage: 5 });
    const names = all.body.Resources.map((r: any) => r.userName);
    const page = await c.get('/Users?startIndex=2&count=2');
    expect(page.body).toMatchObject({ totalResults: 5, startIndex: 2, itemsPerPage: 2 });
    expect(page.body.Resources.map((r: any) => r.userName)).toEqual(names.slice(1, 3));
    expect((await c.get('/Users?count=0')).body).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
    expect((await c.get('/Users?startIndex=0&count=1')).body.startIndex).toBe(1);
  });

  it('finds by userName case-insensitively (Okta’s check before create), and answers an empty list for nobody (Entra’s test connection)', async () => {
    await c.post('/Users', userBody('Okta.User@example.com'));
    const found = await c.get(`/Users?filter=${encodeURIComponent('userName eq "okta.user@EXAMPLE.com"')}&startIndex=1&count=100`);
    expect(found.body.totalResults).toBe(1);
    expect(found.body.Resources[0].userName).toBe('Okta.User@example.com');
    const none = await c.get(`/Users?filter=${encodeURIComponent(`userName eq "${crypto.randomUUID()}"`)}`);
    expect(none.status).toBe(200);
    expect(none.body).toMatchObject({ totalResults: 0, Resources: [] });
  });

  it('finds a member by any address of its emails, and one made outside SCIM by its email', async () => {
    await c.post('/Users', userBody('two@example.com', { emails: [{ value: 'two@example.com', primary: true }, { value: 'Second@Example.net', type: 'home' }] }));
    await acme.user('alice');
    const find = async (filter: string) => (await c.get(`/Users?filter=${encodeURIComponent(filter)}`)).body.Resources.map((r: any) => r.userName);
    expect(await find('emails eq "second@example.NET"')).toEqual(['two@example.com']);
    expect(await find('emails.value eq "alice@example.com"')).toEqual(['alice']);
    const id = (await c.get(`/Users?filter=${encodeURIComponent('userName eq "two@example.com"')}`)).body.Resources[0].id;
    await c.patch(`/Users/${id}`, patchOps({ op: 'remove', path: 'emails[type eq "home"]' }));
    expect(await find('emails eq "second@example.net"')).toEqual([]);
  });

  it('shows members made outside SCIM with their username as userName', async () => {
    await acme.user('alice');
    const res = await c.get(`/Users?filter=${encodeURIComponent('userName eq "ALICE"')}`);
    expect(res.body.Resources[0]).toMatchObject({ userName: 'alice', emails: [{ value: 'alice@example.com', primary: true }], active: true });
  });

  it('filters by externalId, emails, names, active, with and/or/not', async () => {
    await c.post('/Users', userBody('a@example.com', { externalId: 'ext-a', name: { givenName: 'Ann', familyName: 'Employee' } }));
    await c.post('/Users', userBody('b@example.org', { externalId: 'ext-b', name: { givenName: 'Ben', familyName: 'Employee' }, active: false }));
    const count = async (filter: string) => (await c.get(`/Users?filter=${encodeURIComponent(filter)}`)).body.totalResults;
    expect(await count('externalId eq "ext-a"')).toBe(1);
    expect(await count('emails.value eq "B@EXAMPLE.ORG"')).toBe(1);
    expect(await count('emails eq "b@example.org"')).toBe(1);
    expect(await count('emails[type eq "work"].value co "example"')).toBe(2);
    expect(await count('name.familyName eq "employee" and (emails.value co "example.com" or emails.value co "example.org")')).toBe(2);
    expect(await count('active eq false')).toBe(1);
    expect(await count('not (active eq false)')).toBe(1);
    expect(await count('userName sw "A"')).toBe(1);
    expect(await count('meta.lastModified gt "2000-01-01T00:00:00Z"')).toBe(2);
  });

  it.each(['displayName eq "x"', 'userName eq', 'userName xx "a"', '((userName eq "a"'])('refuses the filter %s: 400 invalidFilter', async (filter) => {
    const res = await c.get(`/Users?filter=${encodeURIComponent(filter)}`);
    expectCatalogError(res, 'InvalidInput', 400, 'invalidFilter');
  });

  it('returns only the attributes asked for, or all but the excluded ones', async () => {
    await c.post('/Users', userBody('attr@example.com'));
    const only = (await c.get('/Users?attributes=userName,emails')).body.Resources[0];
    expect(Object.keys(only).sort()).toEqual(['emails', 'id', 'schemas', 'userName']);
    const without = (await c.get('/Users?excludedAttributes=emails,meta')).body.Resources[0];
    expect(without).not.toHaveProperty('emails');
    expect(without).toHaveProperty('userName');
  });

  it('caps count at 200', async () => {
    expect((await c.get('/Users?count=5000')).body.itemsPerPage).toBe(0);
    expectCatalogError(await c.get('/Users?count=abc'), 'InvalidInput', 400, 'invalidValue');
  });
});

describe('GET, PUT, PATCH, DELETE /Users/{id}', () => {
  async function created(userName = 'one@example.com', extra = {}) {
    return (await c.post('/Users', userBody(userName, extra))).body;
  }

  it('gets a member by id with its ETag; an unknown id is 404 without a catalog code', async () => {
    const user = await created();
    const res = await c.get(`/Users/${user.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(user);
    expect(res.headers.get('etag')).toBe(user.meta.version);
    const missing = await c.get('/Users/nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404', detail: expect.any(String) });
    expect(missing.headers.get('team-api-error-code')).toBeNull();
  });

  it('replaces with PUT (Okta’s full PUT with a password), keeping the username', async () => {
    const user = await created();
    const res = await c.put(`/Users/${user.id}`, userBody('one.renamed@example.com', { password: 'x', name: { givenName: 'New' } }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ userName: 'one.renamed@example.com', name: { givenName: 'New' } });
    expect(res.body.name).not.toHaveProperty('familyName');
    expect(res.body['urn:ietf:params:scim:schemas:extension:teamapi:2.0:User'].username).toBe('one-user');
    expect(res.headers.get('etag')).not.toBe(user.meta.version);
  });

  it('refuses a stale If-Match with 412 and takes the current one', async () => {
    const user = await created();
    const stale = await c.put(`/Users/${user.id}`, userBody('one@example.com'), { headers: { 'if-match': 'W/"old"' } });
    expect(stale.status).toBe(412);
    const ok = await c.put(`/Users/${user.id}`, userBody('one@example.com', { externalId: 'x' }), { headers: { 'if-match': user.meta.version } });
    expect(ok.status).toBe(200);
  });

  it('deactivates with Okta’s no-path PATCH, ending the sessions in the same transaction; active: true restores', async () => {
    const user = await created('sue@example.com');
    const username = user['urn:ietf:params:scim:schemas:extension:teamapi:2.0:User'].username;
    const cookie = await acme.session(username);
    expect(await t.count('sessions')).toBe(1);
    const res = await c.patch(`/Users/${user.id}`, patchOps({ op: 'replace', value: { active: false } }));
    expect(res.status).toBe(200);
    expect(res.body.active).toBe(false);
    expect(await t.count('sessions')).toBe(0);
    const viewer = await t.gql('{ viewer { user { username } } }', { cookie, host: acme.host });
    expect(viewer.body.data.viewer).toBeNull();
    const minted = await t.gql(`mutation { createSSOToken(username: "${username}") { __typename ... on Error { code message status } } }`, { token: await acme.token() });
    expect(minted.body.data.createSSOToken).toEqual({ __typename: 'MemberSuspended', ...envelopeOf('MemberSuspended') });
    const still = await c.get(`/Users/${user.id}`);
    expect(still.body.active).toBe(false);
    const back = await c.patch(`/Users/${user.id}`, patchOps({ op: 'Replace', path: 'active', value: 'True' }));
    expect(back.body.active).toBe(true);
    const again = await t.gql(`mutation { createSSOToken(username: "${username}") { __typename } }`, { token: await acme.token() });
    expect(again.body.data.createSSOToken.__typename).toBe('CreateSSOTokenSuccess');
  });

  it('a sign-in link minted before a suspension signs nobody in after it', async () => {
    const user = await created('late@example.com');
    const sso = await acme.ssoToken('late');
    await c.patch(`/Users/${user.id}`, patchOps({ op: 'replace', path: 'active', value: false }));
    const login = await t.gql(`mutation($token: String!) { loginWithSSO(token: $token) { __typename ... on Error { code status message } } }`, { host: acme.host, variables: { token: sso } });
    expect(login.body.data.loginWithSSO).toEqual({ __typename: 'MemberSuspended', ...envelopeOf('MemberSuspended') });
    const page = await t.request(`/-/api/ssotoken/login?token=${sso}`, { host: acme.host, headers: { accept: 'text/html' } });
    expect(page.status).toBe(403);
    const html = await page.text();
    expect(html).toContain('This account is suspended');
    expect(html).toContain('MemberSuspended');
    expect(await t.count('sessions')).toBe(0);
  });

  it('takes Entra’s PATCH shapes: "Replace" with "False", value paths, dotted keys', async () => {
    const user = await created('entra@example.com');
    const res = await c.patch(
      `/Users/${user.id}?aadOptscim062020`,
      patchOps(
        { op: 'Replace', path: 'active', value: 'False' },
        { op: 'Add', path: 'emails[type eq "Work"].value', value: 'entra.new@example.com' },
        { op: 'Replace', value: { 'name.givenName': 'Eve', 'name.familyName': 'Entra' } },
        { op: 'Add', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager', value: 'mgr' },
      ),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ active: false, name: { givenName: 'Eve', familyName: 'Entra' }, emails: [{ value: 'entra.new@example.com', type: 'work' }] });
    const member = (await t.app.services.scim.member(acme.group, user.id)).user;
    expect(member.email).toBe('entra.new@example.com');
  });

  it('applies all operations of a PATCH or none', async () => {
    const user = await created('atomic@example.com');
    const res = await c.patch(`/Users/${user.id}`, patchOps({ op: 'replace', path: 'externalId', value: 'changed' }, { op: 'replace', path: 'emails[type eq', value: 'x' }));
    expect(res.status).toBe(400);
    expect((await c.get(`/Users/${user.id}`)).body).not.toHaveProperty('externalId');
    const noTarget = await c.patch(`/Users/${user.id}`, patchOps({ op: 'remove' }));
    expectCatalogError(noTarget, 'InvalidInput', 400, 'noTarget');
  });

  it('DELETE removes the membership (204) and its sessions; the user record stays', async () => {
    const user = await created('gone@example.com');
    await acme.session('gone');
    const res = await c.delete(`/Users/${user.id}`);
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    expect((await c.get(`/Users/${user.id}`)).status).toBe(404);
    expect(await t.count('sessions')).toBe(0);
    expect(await t.count('users')).toBe(1);
    expect((await c.delete(`/Users/${user.id}`)).status).toBe(404);
  });
});

describe('events', () => {
  it('records every SCIM change with the API token as actor and data.via "scim"', async () => {
    const user = (await c.post('/Users', userBody('ev@example.com'))).body;
    await c.patch(`/Users/${user.id}`, patchOps({ op: 'replace', path: 'name.givenName', value: 'Changed' }));
    await c.patch(`/Users/${user.id}`, patchOps({ op: 'replace', path: 'active', value: false }));
    await c.patch(`/Users/${user.id}`, patchOps({ op: 'replace', path: 'active', value: true }));
    await c.delete(`/Users/${user.id}`);
    await t.feedCaughtUp();
    const events = await t.rows(`SELECT type, actor_type AS "actorType", data FROM events WHERE type <> 'group.created' ORDER BY seq`);
    const scimEvents = events.filter((e: any) => e.actorType === 'api_token');
    expect(scimEvents.map((e: any) => e.type)).toEqual(['user.created', 'user.updated', 'member.suspended', 'member.reactivated', 'member.removed']);
    for (const e of scimEvents) expect(JSON.parse(e.data as string).via).toBe('scim');
    expect(JSON.parse(scimEvents[1]!.data as string).changes).toEqual({ firstName: { from: 'Given', to: 'Changed' } });
  });
});

describe('authentication and discovery', () => {
  it('refuses no token (401 UnauthorizedRequest) and a bad one (401 InvalidApiToken)', async () => {
    const none = await scimClient(t, '').get('/Users');
    expect(none.status).toBe(401);
    expect(none.headers.get('team-api-error-code')).toBe('UnauthorizedRequest');
    const bad = await scimClient(t, 'not-a-token').get('/Users');
    expect(bad.status).toBe(401);
    expect(bad.headers.get('team-api-error-code')).toBe('InvalidApiToken');
    expect(bad.body.detail).toBe(envelopeOf('InvalidApiToken').message);
    expect(bad.headers.get('www-authenticate')).toBe('Bearer realm="scim"');
  });

  it('refuses a group whose API is disabled: 403 ApiIsDisabled', async () => {
    await t.app.services.groups.update(acme.group, { isApiEnabled: false }, (await import('../../src/domain/events.ts')).CLI_CALLER);
    const res = await c.get('/Users');
    expectCatalogError(res, 'ApiIsDisabled', 403);
  });

  it('serves the discovery documents', async () => {
    const config = await c.get('/ServiceProviderConfig');
    expect(config.body).toMatchObject({ patch: { supported: true }, bulk: { supported: false }, filter: { supported: true, maxResults: 200 }, etag: { supported: true } });
    expect((await c.get('/ResourceTypes')).body.totalResults).toBe(2);
    expect((await c.get('/ResourceTypes/User')).body.endpoint).toBe('/Users');
    expect((await c.get('/Schemas')).body.Resources.map((s: any) => s.id)).toContain(USER_SCHEMA);
    expect((await c.get(`/Schemas/${USER_SCHEMA}`)).body.id).toBe(USER_SCHEMA);
    expect((await c.get('/Nope')).status).toBe(404);
    expect((await c.delete('/ServiceProviderConfig')).status).toBe(405);
  });
});
