/**
 * SCIM filters and attribute projection (API.md §18; RFC 7644 §3.4.2.2, §3.4.2.5):
 * every operator over Users and Groups, names and values in any case, value paths,
 * the index a filter allows, the filters refused, and `attributes` /
 * `excludedAttributes` as Okta, Entra ID and Microsoft's validator send them.
 */
import { describe, expect, it } from 'vitest';
import { SCHEMA, type ScimGroupDocument, type ScimUserDocument } from '../../src/http/scim/documents.ts';
import { parseFilter } from '../../src/http/scim/filter.ts';
import { projectAttributes } from '../../src/http/scim/attributes.ts';
import { ScimProblem } from '../../src/http/scim/problem.ts';

const meta = (kind: 'User' | 'Group', id: string, created: string, lastModified: string) => ({
  resourceType: kind,
  created,
  lastModified,
  location: `https://api.example.com/scim/v2/${kind}s/${id}`,
  version: `W/"${id}-1"`,
});

const ADA: ScimUserDocument = {
  schemas: [SCHEMA.user, SCHEMA.teamApiUser],
  id: 'u-ada',
  externalId: 'EXT-Ada',
  userName: 'Ada@Example.com',
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [
    { value: 'ada@example.com', type: 'work', primary: true },
    { value: 'ada@home.org', type: 'home' },
  ],
  active: true,
  roles: [{ value: 'admin' }],
  [SCHEMA.teamApiUser]: { username: 'ada' },
  meta: meta('User', 'u-ada', '2020-01-01T00:00:00.000Z', '2024-06-01T12:00:00.000Z'),
};

const BOB: ScimUserDocument = {
  schemas: [SCHEMA.user, SCHEMA.teamApiUser],
  id: 'u-bob',
  userName: 'bob',
  name: { givenName: 'Bob' },
  active: false,
  [SCHEMA.teamApiUser]: { username: 'bob' },
  meta: meta('User', 'u-bob', '2021-01-01T00:00:00.000Z', '2021-06-01T00:00:00.000Z'),
};

const CAROL: ScimUserDocument = {
  schemas: [SCHEMA.user, SCHEMA.teamApiUser],
  id: 'u-carol',
  externalId: 'ext-carol',
  userName: 'carol@example.org',
  emails: [{ value: 'Carol@Example.org', type: 'Work' }],
  active: true,
  [SCHEMA.teamApiUser]: { username: 'carol' },
  meta: meta('User', 'u-carol', '2022-03-04T05:06:07.890Z', '2025-01-01T00:00:00.000Z'),
};

const ENGINEERING: ScimGroupDocument = {
  schemas: [SCHEMA.group],
  id: 'g-eng',
  externalId: 'G-Ext',
  displayName: 'Engineering',
  members: [{ value: 'u-ada', display: 'Ada' }, { value: 'u-bob' }],
  meta: meta('Group', 'g-eng', '2020-01-01T00:00:00.000Z', '2020-02-01T00:00:00.000Z'),
};

const SALES: ScimGroupDocument = {
  schemas: [SCHEMA.group],
  id: 'g-sales',
  displayName: 'Sales',
  meta: meta('Group', 'g-sales', '2023-01-01T00:00:00.000Z', '2023-02-01T00:00:00.000Z'),
};

/** The ids of the Users (or Groups) the filter matches. */
const users = (filter: string, documents: ScimUserDocument[] = [ADA, BOB, CAROL]) => {
  const { matches } = parseFilter(filter, 'User');
  return documents.filter((document) => matches(document)).map((document) => document.id);
};
const groups = (filter: string) => {
  const { matches } = parseFilter(filter, 'Group');
  return [ENGINEERING, SALES].filter((document) => matches(document)).map((document) => document.id);
};

/** The ScimProblem parsing the filter throws. */
function refusal(filter: string, kind: 'User' | 'Group' = 'User'): ScimProblem {
  try {
    parseFilter(filter, kind);
  } catch (error) {
    if (error instanceof ScimProblem) return error;
    throw error;
  }
  throw new Error(`"${filter}" was accepted`);
}

describe('filter operators', () => {
  it('eq and ne, on strings case-insensitively', () => {
    expect(users('userName eq "ada@example.com"')).toEqual(['u-ada']);
    expect(users('userName eq "BOB"')).toEqual(['u-bob']);
    expect(users('userName ne "bob"')).toEqual(['u-ada', 'u-carol']);
    expect(users('name.givenName eq "ADA"')).toEqual(['u-ada']);
  });

  it('co, sw, ew', () => {
    expect(users('userName co "EXAMPLE"')).toEqual(['u-ada', 'u-carol']);
    expect(users('name.familyName sw "love"')).toEqual(['u-ada']);
    expect(users('userName ew ".COM"')).toEqual(['u-ada']);
    expect(users('emails.value co "@example.ORG"')).toEqual(['u-carol']);
  });

  it('gt, ge, lt, le on strings, lower-cased', () => {
    expect(users('userName gt "B"')).toEqual(['u-bob', 'u-carol']);
    expect(users('userName ge "bob"')).toEqual(['u-bob', 'u-carol']);
    expect(users('userName lt "BOB"')).toEqual(['u-ada']);
    expect(users('userName le "Bob"')).toEqual(['u-ada', 'u-bob']);
  });

  it('pr: present and not empty', () => {
    expect(users('externalId pr')).toEqual(['u-ada', 'u-carol']);
    expect(users('emails pr')).toEqual(['u-ada', 'u-carol']);
    expect(users('name.familyName pr')).toEqual(['u-ada']);
    expect(users('active pr')).toEqual(['u-ada', 'u-bob', 'u-carol']);
    expect(users('meta.created pr')).toEqual(['u-ada', 'u-bob', 'u-carol']);
    expect(users('externalId pr', [{ ...BOB, externalId: '' }])).toEqual([]);
    expect(groups('members pr')).toEqual(['g-eng']);
  });

  it('a missing attribute matches only ne', () => {
    expect(users('externalId eq "x"')).toEqual([]);
    expect(users('externalId ne "x"')).toEqual(['u-ada', 'u-bob', 'u-carol']);
    expect(users('name.familyName ne "lovelace"')).toEqual(['u-bob', 'u-carol']);
    expect(users('name.familyName co "e"')).toEqual(['u-ada']);
    expect(users('emails.type ne "work"')).toEqual(['u-ada', 'u-bob']);
  });

  it('null: eq is unassigned, ne assigned', () => {
    expect(users('externalId eq null')).toEqual(['u-bob']);
    expect(users('externalId ne null')).toEqual(['u-ada', 'u-carol']);
  });

  it('booleans, also as strings and unquoted in any case', () => {
    expect(users('active eq true')).toEqual(['u-ada', 'u-carol']);
    expect(users('active eq false')).toEqual(['u-bob']);
    expect(users('active ne true')).toEqual(['u-bob']);
    expect(users('active eq "True"')).toEqual(['u-ada', 'u-carol']);
    expect(users('active eq "FALSE"')).toEqual(['u-bob']);
    expect(users('active eq True')).toEqual(['u-ada', 'u-carol']);
    expect(users('emails.primary eq true')).toEqual(['u-ada']);
  });

  it('multi-valued attributes match when any element does', () => {
    expect(users('emails eq "ADA@HOME.ORG"')).toEqual(['u-ada']);
    expect(users('emails.type eq "work"')).toEqual(['u-ada', 'u-carol']);
    expect(groups('members eq "u-bob"')).toEqual(['g-eng']);
    expect(groups('members.value eq "U-ADA"')).toEqual(['g-eng']);
    expect(groups('members ne "u-ada"')).toEqual(['g-eng', 'g-sales']);
  });

  it('id and externalId are caseExact (RFC 7643), as their index lookups are', () => {
    expect(users('externalId eq "EXT-Ada"')).toEqual(['u-ada']);
    expect(users('externalId eq "ext-ada"')).toEqual([]);
    expect(users('externalId co "ext"')).toEqual(['u-carol']);
    expect(users('id eq "u-bob"')).toEqual(['u-bob']);
    expect(users('id eq "U-BOB"')).toEqual([]);
    expect(groups('externalId eq "G-Ext"')).toEqual(['g-eng']);
  });

  it('Group attributes', () => {
    expect(groups('displayName eq "engineering"')).toEqual(['g-eng']);
    expect(groups('displayName sw "S"')).toEqual(['g-sales']);
    expect(groups('id eq "g-sales"')).toEqual(['g-sales']);
    expect(groups('meta.lastModified gt "2021-01-01T00:00:00Z"')).toEqual(['g-sales']);
    expect(groups('members[value eq "u-ada"]')).toEqual(['g-eng']);
  });
});

describe('dates', () => {
  it('meta.created and meta.lastModified compare as instants', () => {
    expect(users('meta.created gt "2020-06-01T00:00:00Z"')).toEqual(['u-bob', 'u-carol']);
    expect(users('meta.lastModified ge "2024-06-01T12:00:00.000Z"')).toEqual(['u-ada', 'u-carol']);
    expect(users('meta.lastModified lt "2024-06-01T12:00:00Z"')).toEqual(['u-bob']);
    expect(users('meta.lastModified le "2024-06-01T12:00:00Z"')).toEqual(['u-ada', 'u-bob']);
    expect(users('meta.lastModified eq "2024-06-01T14:00:00+02:00"')).toEqual(['u-ada']);
    expect(users('meta.lastModified ne "2024-06-01T14:00:00+0200"')).toEqual(['u-bob', 'u-carol']);
  });

  it('a date alone, or a date-time without an offset, is UTC', () => {
    expect(users('meta.created lt "2021-01-01"')).toEqual(['u-ada']);
    expect(users('meta.created ge "2021-01-01"')).toEqual(['u-bob', 'u-carol']);
    expect(users('meta.created eq "2022-03-04T05:06:07.89"')).toEqual(['u-carol']);
  });

  it('7 fractional digits (.NET) parse', () => {
    const modified = { ...BOB, meta: { ...BOB.meta, lastModified: '2015-10-10T21:38:21.862Z' } };
    expect(users('meta.lastModified gt "2015-10-10T14:38:21.8617979-07:00"', [modified])).toEqual(['u-bob']);
    expect(users('meta.lastModified eq "2015-10-10T14:38:21.8620000-07:00"', [modified])).toEqual(['u-bob']);
    expect(users('meta.lastModified lt "2015-10-10T14:38:21.8617979-07:00"', [modified])).toEqual([]);
  });
});

describe('attribute names', () => {
  it('are case-insensitive, with or without the schema URN', () => {
    expect(users('USERNAME eq "bob"')).toEqual(['u-bob']);
    expect(users('name.FamilyName eq "Lovelace"')).toEqual(['u-ada']);
    expect(users('emails.Value eq "carol@example.org"')).toEqual(['u-carol']);
    expect(users('meta.Created lt "2020-06-01T00:00:00Z"')).toEqual(['u-ada']);
    expect(users('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob"')).toEqual(['u-bob']);
    expect(users('URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:name.givenName eq "bob"')).toEqual(['u-bob']);
    expect(groups('urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "Sales"')).toEqual(['g-sales']);
  });

  it('operators and logical words in any case', () => {
    expect(users('userName EQ "bob" OR userName Eq "carol@example.org"')).toEqual(['u-bob', 'u-carol']);
    expect(users('NOT (active eq true) AnD name.givenName PR')).toEqual(['u-bob']);
  });
});

describe('logic', () => {
  it('and, or, not', () => {
    expect(users('active eq true and emails.type eq "home"')).toEqual(['u-ada']);
    expect(users('userName eq "bob" or externalId eq "ext-carol"')).toEqual(['u-bob', 'u-carol']);
    expect(users('not (active eq true)')).toEqual(['u-bob']);
    expect(users('not (externalId pr)')).toEqual(['u-bob']);
    expect(users('not (not (userName eq "bob"))')).toEqual(['u-bob']);
  });

  it('and binds tighter than or; parentheses group', () => {
    expect(users('userName eq "bob" or active eq true and emails.type eq "home"')).toEqual(['u-ada', 'u-bob']);
    expect(users('(userName eq "bob" or active eq true) and emails.type eq "home"')).toEqual(['u-ada']);
    expect(users('emails.type eq "home" and active eq true or userName eq "bob"')).toEqual(['u-ada', 'u-bob']);
    expect(users('emails.type eq "home" and (active eq false or userName eq "bob")')).toEqual([]);
  });

  it('not binds to the expression after it', () => {
    expect(users('not active eq true and userName sw "b"')).toEqual(['u-bob']);
    expect(users('not (active eq true and userName sw "a")')).toEqual(['u-bob', 'u-carol']);
  });
});

describe('value paths', () => {
  it('test each element on its own', () => {
    expect(users('emails[type eq "work"]')).toEqual(['u-ada', 'u-carol']);
    expect(users('emails[type eq "WORK" and value co "@EXAMPLE.COM"]')).toEqual(['u-ada']);
    expect(users('emails[type eq "home" or value ew ".org"]')).toEqual(['u-ada', 'u-carol']);
    expect(users('emails[primary eq true]')).toEqual(['u-ada']);
    expect(users('emails[not (type eq "work")]')).toEqual(['u-ada']);
    expect(users('Emails[Type eq "home"]')).toEqual(['u-ada']);
  });

  it('a sub-attribute after the brackets tests the same element', () => {
    expect(users('emails[type eq "work"].value eq "ada@example.com"')).toEqual(['u-ada']);
    // Ada's home address is not her work one, though she has both.
    expect(users('emails[type eq "work"].value eq "ada@home.org"')).toEqual([]);
    expect(users('emails[type eq "work"].value ew ".ORG"')).toEqual(['u-carol']);
    expect(users('emails[type eq "home"].value pr')).toEqual(['u-ada']);
    expect(users('emails[type eq "work"].value co "example" and active eq true')).toEqual(['u-ada', 'u-carol']);
    expect(users('not emails[type eq "work"].value sw "ada"')).toEqual(['u-bob', 'u-carol']);
  });

  it('a missing list matches no value path', () => {
    expect(users('emails[type pr]')).toEqual(['u-ada', 'u-carol']);
    expect(groups('members[value pr]')).toEqual(['g-eng']);
  });
});

describe('indexed', () => {
  const indexed = (filter: string, kind: 'User' | 'Group' = 'User') => parseFilter(filter, kind).indexed;

  it('an eq on an indexed attribute, its value as given', () => {
    expect(indexed('userName eq "Ada@Example.com"')).toEqual({ attribute: 'userName', value: 'Ada@Example.com' });
    expect(indexed('USERNAME EQ "x"')).toEqual({ attribute: 'userName', value: 'x' });
    expect(indexed('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"')).toEqual({ attribute: 'userName', value: 'x' });
    expect(indexed('externalId eq "E"')).toEqual({ attribute: 'externalId', value: 'E' });
    expect(indexed('id eq "u-ada"')).toEqual({ attribute: 'id', value: 'u-ada' });
    expect(indexed('emails eq "a@x"')).toEqual({ attribute: 'emails', value: 'a@x' });
    expect(indexed('emails.value eq "a@x"')).toEqual({ attribute: 'emails', value: 'a@x' });
    expect(indexed('displayName eq "Sales"', 'Group')).toEqual({ attribute: 'displayName', value: 'Sales' });
    expect(indexed('externalId eq "g"', 'Group')).toEqual({ attribute: 'externalId', value: 'g' });
    expect(indexed('id eq "g-eng"', 'Group')).toEqual({ attribute: 'id', value: 'g-eng' });
  });

  it('value paths on emails', () => {
    expect(indexed('emails[value eq "a@x"]')).toEqual({ attribute: 'emails', value: 'a@x' });
    expect(indexed('emails[type eq "work" and value eq "a@x"]')).toEqual({ attribute: 'emails', value: 'a@x' });
    expect(indexed('emails[type eq "work"].value eq "a@x"')).toEqual({ attribute: 'emails', value: 'a@x' });
    expect(indexed('emails[type eq "work" or value eq "a@x"]')).toBeNull();
  });

  it('through and, preferring anything to emails', () => {
    expect(indexed('userName eq "a" and active eq true')).toEqual({ attribute: 'userName', value: 'a' });
    expect(indexed('active eq true and (name.givenName sw "A" and externalId eq "e")')).toEqual({ attribute: 'externalId', value: 'e' });
    expect(indexed('emails eq "a@x" and userName eq "b"')).toEqual({ attribute: 'userName', value: 'b' });
    expect(indexed('active eq true and emails eq "a@x"')).toEqual({ attribute: 'emails', value: 'a@x' });
  });

  it('none through or, not, other operators and other attributes', () => {
    expect(indexed('userName eq "a" or id eq "b"')).toBeNull();
    expect(indexed('not (userName eq "a")')).toBeNull();
    expect(indexed('userName co "a"')).toBeNull();
    expect(indexed('userName ne "a"')).toBeNull();
    expect(indexed('userName eq null')).toBeNull();
    expect(indexed('name.givenName eq "a"')).toBeNull();
    expect(indexed('active eq true')).toBeNull();
    expect(indexed('members eq "u-ada"', 'Group')).toBeNull();
    expect(indexed('(userName eq "a" or userName eq "b") and active eq true')).toBeNull();
  });
});

describe('invalidFilter', () => {
  const invalid = (filter: string, kind: 'User' | 'Group' = 'User') => {
    const problem = refusal(filter, kind);
    expect(problem).toBeInstanceOf(ScimProblem);
    expect(problem.scimType).toBe('invalidFilter');
    expect(problem.field).toBe('filter');
    return problem.reason ?? '';
  };

  it('an empty or too long filter', () => {
    invalid('');
    invalid('   ');
    expect(invalid(`userName eq "${'a'.repeat(5000)}"`)).toContain('4096');
  });

  it('bad syntax', () => {
    for (const filter of [
      'userName eq',
      'userName',
      'userName foo "x"',
      '(userName eq "x"',
      'userName eq "x")',
      'userName eq "x" userName',
      "userName eq 'x'",
      'userName eq "x" and',
      'emails[type eq "work"',
      'userName eq "unterminated',
    ]) {
      expect(invalid(filter), filter).toContain('syntax');
    }
  });

  it('an unquoted string value does not parse', () => {
    invalid('emails.Value co example.com');
    invalid('userName eq bob');
  });

  it('an unknown attribute', () => {
    expect(invalid('DisplayName eq "x"')).toContain('unknown attribute');
    expect(invalid('userName eq "x"', 'Group')).toContain('unknown attribute');
    expect(invalid('members.display eq "x"', 'Group')).toContain('unknown attribute');
    expect(invalid('name.middleName eq "x"')).toContain('unknown attribute');
    expect(invalid('name eq "x"')).toContain('unknown attribute');
    expect(invalid('title pr')).toContain('unknown attribute');
    expect(invalid('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x"')).toContain('unknown attribute');
    expect(invalid('urn:ietf:params:scim:schemas:core:2.0:Group:userName eq "x"')).toContain('unknown attribute');
    expect(invalid('userName eq "a" or nickName eq "b"')).toContain('unknown attribute');
  });

  it('an unknown attribute in or on a value path', () => {
    expect(invalid('emails[display eq "x"]')).toContain('unknown attribute');
    expect(invalid('emails[type eq "work"].display eq "x"')).toContain('unknown attribute');
    expect(invalid('name[givenName eq "x"]')).toContain('unknown attribute');
    expect(invalid('members[type eq "User"]', 'Group')).toContain('unknown attribute');
    expect(invalid('emails[value[type eq "x"]]')).toContain('nested');
  });

  it('a value of the wrong type', () => {
    expect(invalid('active eq "x"')).toContain('boolean');
    invalid('active eq 1');
    invalid('emails.primary eq "yes"');
    expect(invalid('userName eq 12')).toContain('string');
    invalid('userName eq true');
    invalid('meta.created gt 5');
    expect(invalid('meta.created gt "yesterday"')).toContain('date');
    invalid('meta.created gt "2020-13-45T00:00:00Z"');
  });

  it('an operator the type has no order or substring for', () => {
    invalid('active gt true');
    invalid('active co "t"');
    invalid('emails[primary le true]');
    invalid('meta.created co "2020"');
    invalid('userName gt null');
  });
});

describe('projectAttributes', () => {
  const project = (attributes: string | null, excluded: string | null = null, document: ScimUserDocument = ADA) =>
    projectAttributes(document, 'User', attributes, excluded);

  it('returns the document when neither list is given', () => {
    expect(project(null)).toBe(ADA);
    expect(project('', ' ')).toEqual(ADA);
  });

  it('attributes: only those, with id and schemas', () => {
    expect(project('userName')).toEqual({ schemas: ADA.schemas, id: 'u-ada', userName: 'Ada@Example.com' });
    expect(project('id')).toEqual({ schemas: ADA.schemas, id: 'u-ada' });
    expect(Object.keys(project('active,userName'))).toEqual(['schemas', 'id', 'userName', 'active']);
  });

  it('names in any case, with the core URN, and sub-attributes', () => {
    expect(project('USERNAME, name.GivenName')).toEqual({ schemas: ADA.schemas, id: 'u-ada', userName: 'Ada@Example.com', name: { givenName: 'Ada' } });
    expect(project('urn:ietf:params:scim:schemas:core:2.0:User:userName')).toEqual({ schemas: ADA.schemas, id: 'u-ada', userName: 'Ada@Example.com' });
    expect(project('meta.lastModified')).toEqual({ schemas: ADA.schemas, id: 'u-ada', meta: { lastModified: ADA.meta.lastModified } });
    expect(project('emails.value')).toEqual({ schemas: ADA.schemas, id: 'u-ada', emails: [{ value: 'ada@example.com' }, { value: 'ada@home.org' }] });
    expect(project('name.givenName,name')).toEqual({ schemas: ADA.schemas, id: 'u-ada', name: ADA.name });
  });

  it('a sub-attribute no element has leaves the attribute out', () => {
    expect(project('emails.primary')).toEqual({ schemas: ADA.schemas, id: 'u-ada', emails: [{ primary: true }] });
    expect(project('emails.display,name.middleName')).toEqual({ schemas: ADA.schemas, id: 'u-ada' });
  });

  it('extensions by URN, whole or an attribute', () => {
    const extension = SCHEMA.teamApiUser;
    expect(project(extension)).toEqual({ schemas: ADA.schemas, id: 'u-ada', [extension]: { username: 'ada' } });
    expect(project(`${extension.toUpperCase()}:USERNAME`)).toEqual({ schemas: ADA.schemas, id: 'u-ada', [extension]: { username: 'ada' } });
    const enterprise = { ...ADA, [SCHEMA.enterpriseUser]: { department: 'R&D', costCenter: '42' } } as ScimUserDocument;
    expect(project(`${SCHEMA.enterpriseUser}:department`, null, enterprise)).toEqual({
      schemas: ADA.schemas,
      id: 'u-ada',
      [SCHEMA.enterpriseUser]: { department: 'R&D' },
    });
  });

  it('a value filter selects the attribute before the bracket', () => {
    const emails = { schemas: ADA.schemas, id: 'u-ada', emails: ADA.emails };
    expect(project('emails[type eq "work"]')).toEqual(emails);
    expect(project('emails[value eq "emailName357"]')).toEqual(emails);
    expect(project('emails[type eq "work" and value co ","],userName')).toEqual({ ...emails, userName: 'Ada@Example.com' });
  });

  it('unknown names select nothing', () => {
    expect(project('title,nope.x,urn:x:y:z')).toEqual({ schemas: ADA.schemas, id: 'u-ada' });
  });

  it('excludedAttributes: all but those, never id nor schemas', () => {
    const { emails, meta, ...rest } = ADA;
    expect(project(null, 'emails,META')).toEqual(rest);
    expect(project(null, 'id,schemas')).toEqual(ADA);
    expect(project(null, 'name.givenName')).toEqual({ ...ADA, name: { familyName: 'Lovelace' } });
    const { name, ...unnamed } = ADA;
    expect(project(null, 'name.givenName,name.familyName')).toEqual(unnamed);
    expect(project(null, 'emails.type')).toEqual({ ...ADA, emails: [{ value: 'ada@example.com', primary: true }, { value: 'ada@home.org' }] });
    expect(project(null, 'userName.nothing,nope')).toEqual(ADA);
    const { [SCHEMA.teamApiUser]: extension, ...plain } = ADA;
    expect(project(null, SCHEMA.teamApiUser)).toEqual(plain);
    expect(project(null, 'emails[type eq "work"]')).toEqual({ ...rest, meta });
    expect([emails, name, extension]).toBeDefined();
  });

  it('both lists', () => {
    expect(project('userName,emails', 'emails')).toEqual({ schemas: ADA.schemas, id: 'u-ada', userName: 'Ada@Example.com' });
  });

  it('Groups', () => {
    expect(projectAttributes(ENGINEERING, 'Group', 'displayName', null)).toEqual({ schemas: [SCHEMA.group], id: 'g-eng', displayName: 'Engineering' });
    const { members, ...withoutMembers } = ENGINEERING;
    expect(projectAttributes(ENGINEERING, 'Group', null, 'members')).toEqual(withoutMembers);
    expect(projectAttributes(ENGINEERING, 'Group', 'urn:ietf:params:scim:schemas:core:2.0:Group:members.value', null)).toEqual({
      schemas: [SCHEMA.group],
      id: 'g-eng',
      members: members!.map(({ value }) => ({ value })),
    });
  });

  it('does not change the document', () => {
    const before = structuredClone(ADA);
    project('name.givenName,emails.value', 'emails.value');
    project(null, 'name.givenName,emails.type,meta');
    expect(ADA).toEqual(before);
  });
});
