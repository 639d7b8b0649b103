/**
 * SCIM PATCH (API.md §18; RFC 7644 §3.5.2): the PatchOp body read, a User document
 * patched, and a Group's operations turned into changes, with the bodies Okta and
 * Entra ID send and the malformed ones.
 */
import { describe, expect, it } from 'vitest';
import { SCHEMA } from '../../src/http/scim/documents.ts';
import { patchGroupChanges } from '../../src/http/scim/groups.ts';
import {patchUser, readPatchOperations, type PatchOperation} from '../../src/http/scim/patch.ts';
import { ScimProblem, type ScimType } from '../../src/http/scim/problem.ts';

const ENTERPRISE = SCHEMA.enterpriseUser;

/** A User as answered, without meta. */
const USER: Record<string, unknown> = {
  schemas: [SCHEMA.user, SCHEMA.teamApiUser],
  id: 'u1',
  externalId: 'ext-1',
  userName: 'ada@example.com',
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
  active: true,
  roles: [{ value: 'member' }],
  [SCHEMA.teamApiUser]: { username: 'ada' },
};

const body = (...operations: unknown[]) => ({ schemas: [SCHEMA.patchOp], Operations: operations });

/** The User after a PatchOp body's operations. */
const patched = (operations: unknown[], document: Record<string, unknown> = USER) => patchUser(document, readPatchOperations(body(...operations)));

/** The Group changes of a PatchOp body's operations. */
const groupChanges = (...operations: unknown[]) => patchGroupChanges(readPatchOperations(body(...operations)));

/** The scimType of the ScimProblem `run` throws. */
function refusal(run: () => unknown): ScimType | null {
  try {
    run();
  } catch (error) {
    if (error instanceof ScimProblem) return error.scimType;
    throw error;
  }
  throw new Error('nothing was refused');
}

describe('readPatchOperations', () => {
  it("reads Okta's deactivation body", () => {
    expect(readPatchOperations({ schemas: [SCHEMA.patchOp], Operations: [{ op: 'replace', value: { active: false } }] })).toEqual([
      { op: 'replace', value: { active: false } },
    ]);
  });

  it('takes op names in any letter case, normalised to lower case', () => {
    const operations = readPatchOperations(
      body({ op: 'Replace', path: 'active', value: 'False' }, { op: 'ADD', path: 'title', value: 'x' }, { op: 'Remove', path: 'title' }),
    );
    expect(operations.map((operation) => operation.op)).toEqual(['replace', 'add', 'remove']);
  });

  it('takes Operations under any key case, and no schemas', () => {
    expect(readPatchOperations({ operations: [{ op: 'remove', path: 'title' }] })).toEqual([{ op: 'remove', path: 'title' }]);
    expect(readPatchOperations({ OPERATIONS: [{ Op: 'add', Path: 'title', Value: 'x' }] })).toEqual([{ op: 'add', path: 'title', value: 'x' }]);
  });

  it('keeps the value of a remove, and leaves out an empty path', () => {
    expect(readPatchOperations(body({ op: 'remove', path: 'members', value: [{ value: 'a' }] }))).toEqual([
      { op: 'remove', path: 'members', value: [{ value: 'a' }] },
    ]);
    expect(readPatchOperations(body({ op: 'add', path: '', value: { title: 'x' } }))).toEqual([{ op: 'add', value: { title: 'x' } }]);
  });

  it('refuses a body of the wrong shape as invalidSyntax', () => {
    for (const bad of [null, 'x', [], {}, { Operations: {} }, { Operations: [] }, { Operations: 'replace' }]) {
      expect(refusal(() => readPatchOperations(bad))).toBe('invalidSyntax');
    }
  });

  it('takes 10,000 operations and refuses more', () => {
    const many = (count: number) => body(...Array.from({ length: count }, () => ({ op: 'remove', path: 'title' })));
    expect(readPatchOperations(many(10_000))).toHaveLength(10_000);
    expect(refusal(() => readPatchOperations(many(10_001)))).toBe('invalidSyntax');
  });

  it('refuses an operation of the wrong shape as invalidSyntax', () => {
    for (const bad of [
      'replace',
      { op: 'move', path: 'title', value: 'x' },
      { path: 'title', value: 'x' },
      { op: 1, path: 'title', value: 'x' },
      { op: 'add', path: 1, value: 'x' },
      { op: 'add', path: 'title' },
      { op: 'replace' },
      { op: 'replace', value: 'x' },
      { op: 'add', value: [{ title: 'x' }] },
    ]) {
      expect(refusal(() => readPatchOperations(body(bad)))).toBe('invalidSyntax');
    }
  });

  it('refuses a remove without a path as noTarget', () => {
    expect(refusal(() => readPatchOperations(body({ op: 'remove' })))).toBe('noTarget');
    expect(refusal(() => readPatchOperations(body({ op: 'Remove', value: { title: 'x' } })))).toBe('noTarget');
  });
});

describe('patchUser', () => {
  it("applies Okta's deactivation, leaving the input as it was", () => {
    const before = structuredClone(USER);
    const user = patchUser(USER, readPatchOperations({ schemas: [SCHEMA.patchOp], Operations: [{ op: 'replace', value: { active: false } }] }));
    expect(user).toEqual({ ...USER, active: false });
    expect(USER).toEqual(before);
  });

  it('does not change nested values of the input', () => {
    const before = structuredClone(USER);
    patched([
      { op: 'replace', path: 'name.givenName', value: 'X' },
      { op: 'add', path: 'emails[type eq "work"].primary', value: false },
      { op: 'add', path: 'roles', value: [{ value: 'admin' }] },
    ]);
    expect(USER).toEqual(before);
  });

  it("applies Entra's string booleans to active", () => {
    expect(patched([{ op: 'Replace', path: 'active', value: 'False' }]).active).toBe(false);
    const inactive = { ...USER, active: false };
    for (const value of ['True', 'true', 'TRUE', true]) expect(patched([{ op: 'Replace', path: 'active', value }], inactive).active).toBe(true);
    expect(patched([{ op: 'replace', path: 'active', value: 'false' }]).active).toBe(false);
  });

  it('applies the operations in order', () => {
    const user = patched([
      { op: 'replace', path: 'active', value: false },
      { op: 'replace', path: 'active', value: 'True' },
      { op: 'replace', path: 'title', value: 'one' },
      { op: 'replace', path: 'title', value: 'two' },
    ]);
    expect(user).toMatchObject({ active: true, title: 'two' });
  });

  it("applies Entra's name.givenName, keeping the other name parts", () => {
    expect(patched([{ op: 'Replace', path: 'name.givenName', value: 'X' }]).name).toEqual({ givenName: 'X', familyName: 'Lovelace' });
    const nameless: Record<string, unknown> = { ...USER };
    delete nameless.name;
    expect(patched([{ op: 'Add', path: 'name.familyName', value: 'Byron' }], nameless).name).toEqual({ familyName: 'Byron' });
  });

  it("maps attribute names in any letter case to the document's keys", () => {
    const user = patched([
      { op: 'Replace', path: 'Active', value: 'False' },
      { op: 'Replace', path: 'name.GivenName', value: 'A' },
      { op: 'Replace', path: 'USERNAME', value: 'a@example.com' },
      { op: 'Replace', path: 'ExternalID', value: 'e2' },
      { op: 'Add', path: 'DisplayName', value: 'Ada L' },
      { op: 'Add', path: 'TITLE', value: 'Countess' },
      { op: 'Add', path: 'Name.MiddleName', value: 'King' },
    ]);
    expect(user).toEqual({
      ...USER,
      active: false,
      name: { givenName: 'A', familyName: 'Lovelace', middleName: 'King' },
      userName: 'a@example.com',
      externalId: 'e2',
      displayName: 'Ada L',
      title: 'Countess',
    });
  });

  it('takes a path with the core schema URN', () => {
    expect(patched([{ op: 'replace', path: `${SCHEMA.user}:userName`, value: 'b@example.com' }]).userName).toBe('b@example.com');
    expect(patched([{ op: 'replace', path: `${SCHEMA.user}:name.givenName`, value: 'B' }]).name).toEqual({ givenName: 'B', familyName: 'Lovelace' });
  });

  describe('value paths', () => {
    it("adds Entra's work email to a user without one", () => {
      const bare: Record<string, unknown> = { ...USER };
      delete bare.emails;
      expect(patched([{ op: 'Add', path: 'emails[type eq "work"].value', value: 'a@x.com' }], bare).emails).toEqual([{ type: 'work', value: 'a@x.com' }]);
    });

    it('changes the work email in place, keeping primary', () => {
      const user = patched([{ op: 'Add', path: 'emails[type eq "work"].value', value: 'a@x.com' }]);
      expect(user.emails).toEqual([{ value: 'a@x.com', type: 'work', primary: true }]);
      expect(patched([{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'b@x.com' }]).emails).toEqual([
        { value: 'b@x.com', type: 'work', primary: true },
      ]);
    });

    it('compares the filter value case-insensitively', () => {
      expect(patched([{ op: 'Replace', path: 'emails[type eq "Work"].value', value: 'b@x.com' }]).emails).toEqual([
        { value: 'b@x.com', type: 'work', primary: true },
      ]);
      expect(patched([{ op: 'replace', path: 'EMAILS[TYPE EQ "WORK"].VALUE', value: 'c@x.com' }]).emails).toEqual([
        { value: 'c@x.com', type: 'work', primary: true },
      ]);
      expect(patched([{ op: 'remove', path: 'emails[value eq "ADA@example.com"]' }])).not.toHaveProperty('emails');
    });

    it('adds an element with the filter attributes when a replace matches none', () => {
      expect(patched([{ op: 'Replace', path: 'emails[type eq "home"].value', value: 'h@x.com' }]).emails).toEqual([
        { value: 'ada@example.com', type: 'work', primary: true },
        { type: 'home', value: 'h@x.com' },
      ]);
      expect(patched([{ op: 'add', path: 'emails[type eq "home" and primary eq false].value', value: 'h@x.com' }]).emails).toEqual([
        { value: 'ada@example.com', type: 'work', primary: true },
        { type: 'home', primary: false, value: 'h@x.com' },
      ]);
    });

    it('refuses a value path that matches none and says no element to add as noTarget', () => {
      expect(refusal(() => patched([{ op: 'replace', path: 'emails[type eq "home" or type eq "other"].value', value: 'x' }]))).toBe('noTarget');
      expect(refusal(() => patched([{ op: 'replace', path: 'emails[type sw "ho"].value', value: 'x' }]))).toBe('noTarget');
    });

    it('sets primary on a selected email, the others losing theirs', () => {
      const two = { ...USER, emails: [{ value: 'ada@example.com', type: 'work', primary: true }, { value: 'h@x.com', type: 'home' }] };
      expect(patched([{ op: 'Replace', path: 'emails[type eq "home"].primary', value: 'True' }], two).emails).toEqual([
        { value: 'ada@example.com', type: 'work', primary: false },
        { value: 'h@x.com', type: 'home', primary: true },
      ]);
    });

    it('adds to a selected element, or replaces it whole', () => {
      expect(patched([{ op: 'add', path: 'emails[type eq "work"]', value: { display: 'Ada' } }]).emails).toEqual([
        { value: 'ada@example.com', type: 'work', primary: true, display: 'Ada' },
      ]);
      expect(patched([{ op: 'replace', path: 'emails[type eq "work"]', value: { value: 'n@x.com', type: 'work' } }]).emails).toEqual([
        { value: 'n@x.com', type: 'work' },
      ]);
    });

    it('removes the elements a value path selects, or their sub-attribute', () => {
      const two = { ...USER, emails: [{ value: 'ada@example.com', type: 'work', primary: true }, { value: 'h@x.com', type: 'home' }] };
      expect(patched([{ op: 'remove', path: 'emails[type eq "home"]' }], two).emails).toEqual([{ value: 'ada@example.com', type: 'work', primary: true }]);
      expect(patched([{ op: 'Remove', path: 'emails[type eq "work"]' }])).not.toHaveProperty('emails');
      expect(patched([{ op: 'remove', path: 'emails[type eq "work"].primary' }]).emails).toEqual([{ value: 'ada@example.com', type: 'work' }]);
      expect(patched([{ op: 'remove', path: 'emails[type eq "home"]' }]).emails).toEqual(USER.emails);
    });

    it('selects with ne, co, sw, ew, pr, and, or', () => {
      const three = {
        ...USER,
        emails: [
          { value: 'a@work.com', type: 'work' },
          { value: 'b@home.com', type: 'home' },
          { value: 'c@other.org', type: 'other', display: 'C' },
        ],
      };
      const kept = (filter: string) =>
        (patched([{ op: 'remove', path: `emails[${filter}]` }], three).emails as Array<{ value: string }> | undefined)?.map((email) => email.value[0]);
      expect(kept('type ne "work"')).toEqual(['a']);
      expect(kept('value co "HOME"')).toEqual(['a', 'c']);
      expect(kept('value sw "c@"')).toEqual(['a', 'b']);
      expect(kept('value ew ".com"')).toEqual(['c']);
      expect(kept('display pr')).toEqual(['a', 'b']);
      expect(kept('type eq "work" and value ew ".org"')).toEqual(['a', 'b', 'c']);
      expect(kept('type eq "work" or type eq "other"')).toEqual(['b']);
      expect(kept('value eq "a and b"')).toEqual(['a', 'b', 'c']);
    });
  });

  describe('multi-valued attributes', () => {
    it('appends on add', () => {
      expect(patched([{ op: 'add', path: 'emails', value: [{ value: 'h@x.com', type: 'home' }] }]).emails).toEqual([
        { value: 'ada@example.com', type: 'work', primary: true },
        { value: 'h@x.com', type: 'home' },
      ]);
      expect(patched([{ op: 'add', path: 'roles', value: [{ value: 'admin' }] }]).roles).toEqual([{ value: 'member' }, { value: 'admin' }]);
      expect(patched([{ op: 'add', path: 'emails', value: { value: 'one@x.com' } }]).emails).toHaveLength(2);
    });

    it('replaces on add an element with the same value, compared case-insensitively', () => {
      expect(patched([{ op: 'add', path: 'emails', value: [{ value: 'ADA@example.com', type: 'home' }] }]).emails).toEqual([
        { value: 'ADA@example.com', type: 'home' },
      ]);
    });

    it('keeps one primary when an added email is primary', () => {
      expect(patched([{ op: 'add', path: 'emails', value: [{ value: 'n@x.com', primary: 'True' }] }]).emails).toEqual([
        { value: 'ada@example.com', type: 'work', primary: false },
        { value: 'n@x.com', primary: true },
      ]);
    });

    it('replaces the whole list on replace', () => {
      expect(patched([{ op: 'replace', path: 'emails', value: [{ value: 'n@x.com', type: 'work', primary: true }] }]).emails).toEqual([
        { value: 'n@x.com', type: 'work', primary: true },
      ]);
      expect(patched([{ op: 'Replace', path: 'roles', value: [{ value: 'admin' }] }]).roles).toEqual([{ value: 'admin' }]);
    });

    it('turns string booleans into booleans anywhere in a value, and names into their RFC spelling', () => {
      const user = patched([
        { op: 'Add', path: 'emails', value: [{ Value: 'n@x.com', Type: 'home', Primary: 'False' }] },
        { op: 'Replace', path: 'roles', value: [{ value: 'admin', primary: 'True' }] },
      ]);
      expect(user.emails).toEqual([
        { value: 'ada@example.com', type: 'work', primary: true },
        { value: 'n@x.com', type: 'home', primary: false },
      ]);
      expect(user.roles).toEqual([{ value: 'admin', primary: true }]);
      expect(patched([{ op: 'replace', value: { emails: [{ value: 'n@x.com', primary: 'true' }] } }]).emails).toEqual([{ value: 'n@x.com', primary: true }]);
    });

    it('removes the whole attribute, or the elements with the values given', () => {
      expect(patched([{ op: 'remove', path: 'emails' }])).not.toHaveProperty('emails');
      const two = { ...USER, emails: [{ value: 'ada@example.com', type: 'work' }, { value: 'h@x.com', type: 'home' }] };
      expect(patched([{ op: 'remove', path: 'emails', value: [{ value: 'H@x.com' }] }], two).emails).toEqual([{ value: 'ada@example.com', type: 'work' }]);
    });
  });

  describe('no path', () => {
    it("applies Entra's dotted keys with string booleans", () => {
      const user = patched([{ op: 'Replace', value: { 'name.givenName': 'A', active: 'False' } }]);
      expect(user).toEqual({ ...USER, name: { givenName: 'A', familyName: 'Lovelace' }, active: false });
    });

    it('merges a complex value, keeping the sub-attributes it does not name', () => {
      expect(patched([{ op: 'replace', value: { name: { givenName: 'A' }, Title: 'T' } }])).toEqual({
        ...USER,
        name: { givenName: 'A', familyName: 'Lovelace' },
        title: 'T',
      });
    });

    it('applies URN-prefixed keys and whole extensions', () => {
      expect(patched([{ op: 'replace', value: { [`${ENTERPRISE}:manager`]: 'x', [`${ENTERPRISE}:department`]: 'R&D' } }])[ENTERPRISE]).toEqual({
        manager: 'x',
        department: 'R&D',
      });
      const user = patched([
        { op: 'add', value: { [ENTERPRISE]: { department: 'R&D', manager: { value: 'm1' } } } },
        { op: 'replace', value: { [ENTERPRISE]: { costCenter: 'c' } } },
      ]);
      expect(user[ENTERPRISE]).toEqual({ department: 'R&D', manager: { value: 'm1' }, costCenter: 'c' });
    });

    it('refuses a key that is no attribute name as invalidPath', () => {
      expect(refusal(() => patched([{ op: 'add', value: { 'not a name': 1 } }]))).toBe('invalidPath');
      expect(refusal(() => patched([{ op: 'add', value: JSON.parse('{"__proto__": {"polluted": true}}') }]))).toBe('invalidPath');
    });

    it('ignores __proto__ inside a value', () => {
      const user = patched([{ op: 'add', value: { name: JSON.parse('{"__proto__": {"polluted": true}, "givenName": "A"}') } }]);
      expect(user.name).toEqual({ givenName: 'A', familyName: 'Lovelace' });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });

  describe('the enterprise extension and manager', () => {
    it("sets Entra's manager by URN path", () => {
      const user = patched([{ op: 'Add', path: `${ENTERPRISE}:manager`, value: 'mgr-id' }]);
      expect(user[ENTERPRISE]).toEqual({ manager: 'mgr-id' });
      expect(patched([{ op: 'replace', path: `${ENTERPRISE}:manager`, value: { value: 'm2' } }], user)[ENTERPRISE]).toEqual({ manager: { value: 'm2' } });
      expect(patched([{ op: 'remove', path: `${ENTERPRISE}:manager` }], user)[ENTERPRISE]).toEqual({});
    });

    it('takes the URN in any letter case and a department', () => {
      const user = patched([{ op: 'add', path: `${ENTERPRISE.toUpperCase()}:Department`, value: 'R&D' }]);
      expect(user[ENTERPRISE]).toEqual({ department: 'R&D' });
    });

    it('adds to, and removes, the whole extension', () => {
      const user = patched([{ op: 'add', path: ENTERPRISE, value: { department: 'R&D' } }]);
      expect(user[ENTERPRISE]).toEqual({ department: 'R&D' });
      expect(patched([{ op: 'remove', path: ENTERPRISE }], user)).not.toHaveProperty(ENTERPRISE);
      expect(patched([{ op: 'remove', path: `${ENTERPRISE}:manager` }])).toEqual(USER);
    });

    it('keeps an unknown extension under its URN', () => {
      const custom = 'urn:ietf:params:scim:schemas:extension:Custom:2.0:User';
      expect(patched([{ op: 'add', path: `${custom}:badge`, value: '7' }])[custom]).toEqual({ badge: '7' });
    });

    it("sets Entra's plain manager path", () => {
      expect(patched([{ op: 'Replace', path: 'manager', value: 'x' }]).manager).toBe('x');
      expect(patched([{ op: 'Add', path: 'manager', value: { value: 'y' } }]).manager).toEqual({ value: 'y' });
    });
  });

  it('removes single-valued attributes and sub-attributes', () => {
    const user = patched([
      { op: 'remove', path: 'externalId' },
      { op: 'Remove', path: 'name.givenName' },
      { op: 'remove', path: 'title' },
    ]);
    expect(user).not.toHaveProperty('externalId');
    expect(user.name).toEqual({ familyName: 'Lovelace' });
  });

  it('takes null as removing the attribute', () => {
    expect(patched([{ op: 'replace', path: 'externalId', value: null }])).not.toHaveProperty('externalId');
  });

  it('refuses a path that cannot be parsed as invalidPath', () => {
    for (const path of [
      'emails[type eq',
      'emails[type eq "work"',
      'emails[type eq "work"]x',
      'emails[type eq "work"].value.x',
      'emails[type eq work]',
      'emails[type eq "work]',
      'emails[type foo "work"]',
      'emails[type eq "work" nand value eq "x"]',
      'emails[]',
      'name.givenName.x',
      '1name',
      'na me',
      '__proto__',
      'urn:',
      'urn:x',
      'urn:ietf:params:scim:schemas:extension:Custom:2.0:User:',
      `${SCHEMA.user}`,
    ]) {
      expect(refusal(() => patched([{ op: 'add', path, value: 'x' }])), path).toBe('invalidPath');
    }
  });

  it('refuses a value path on a single-valued attribute and a sub-attribute of a scalar as invalidPath', () => {
    expect(refusal(() => patched([{ op: 'add', path: 'name[givenName eq "Ada"].familyName', value: 'x' }]))).toBe('invalidPath');
    expect(refusal(() => patched([{ op: 'add', path: 'active.value', value: 'x' }]))).toBe('invalidPath');
  });

  it('refuses a selected element set to a non-object as invalidValue', () => {
    expect(refusal(() => patched([{ op: 'replace', path: 'emails[type eq "work"]', value: 'x' }]))).toBe('invalidValue');
  });
});

describe('patchGroupChanges', () => {
  it('adds a list of members', () => {
    expect(groupChanges({ op: 'Add', path: 'members', value: [{ value: 'id1' }, { value: 'id2' }] })).toEqual({
      memberOps: [{ op: 'add', ids: ['id1', 'id2'] }],
    });
  });

  it("removes the members of Entra's value list", () => {
    expect(groupChanges({ op: 'Remove', path: 'members', value: [{ value: 'id1' }] })).toEqual({ memberOps: [{ op: 'remove', ids: ['id1'] }] });
  });

  it("removes Okta's and RFC 7644's members[value eq]", () => {
    expect(groupChanges({ op: 'remove', path: 'members[value eq "id1"]' })).toEqual({ memberOps: [{ op: 'remove', ids: ['id1'] }] });
    expect(groupChanges({ op: 'remove', path: 'Members[Value EQ "id1" or value eq "id2"]' })).toEqual({
      memberOps: [{ op: 'remove', ids: ['id1', 'id2'] }],
    });
  });

  it('removes all members', () => {
    expect(groupChanges({ op: 'remove', path: 'members' })).toEqual({ replaceMembers: [], memberOps: [] });
  });

  it('replaces the member list, dropping the member changes before it', () => {
    expect(
      groupChanges(
        { op: 'add', path: 'members', value: [{ value: 'id0' }] },
        { op: 'replace', path: 'members', value: [{ value: 'id1' }, { value: 'id2' }] },
        { op: 'remove', path: 'members[value eq "id1"]' },
      ),
    ).toEqual({ replaceMembers: ['id1', 'id2'], memberOps: [{ op: 'remove', ids: ['id1'] }] });
    expect(groupChanges({ op: 'replace', path: 'members', value: [] })).toEqual({ replaceMembers: [], memberOps: [] });
  });

  it('keeps the order of adds and removes', () => {
    expect(
      groupChanges(
        { op: 'add', path: 'members', value: [{ value: 'a' }] },
        { op: 'add', path: 'members', value: [{ value: 'b' }] },
        { op: 'remove', path: 'members', value: [{ value: 'a' }] },
        { op: 'add', path: 'members', value: [{ value: 'a' }] },
      ).memberOps,
    ).toEqual([
      { op: 'add', ids: ['a', 'b'] },
      { op: 'remove', ids: ['a'] },
      { op: 'add', ids: ['a'] },
    ]);
  });

  it('applies a value without a path, ignoring the keys a Group does not change', () => {
    expect(groupChanges({ op: 'Add', value: { members: [{ value: 'id1' }] } })).toEqual({ memberOps: [{ op: 'add', ids: ['id1'] }] });
    expect(groupChanges({ op: 'Replace', value: { id: 'g1', displayName: 'Eng', externalId: 'x' } })).toEqual({
      displayName: 'Eng',
      externalId: 'x',
      memberOps: [],
    });
    expect(groupChanges({ op: 'replace', value: { members: [{ value: 'id1' }] } })).toEqual({ replaceMembers: ['id1'], memberOps: [] });
  });

  it('sets displayName and externalId by path, in any letter case', () => {
    expect(
      groupChanges(
        { op: 'Replace', path: 'DisplayName', value: 'Eng' },
        { op: 'add', path: 'externalid', value: 'e1' },
        { op: 'replace', path: `${SCHEMA.group}:displayName`, value: 'Eng 2' },
      ),
    ).toEqual({ displayName: 'Eng 2', externalId: 'e1', memberOps: [] });
  });

  it('clears externalId on remove, null or an empty string', () => {
    expect(groupChanges({ op: 'remove', path: 'externalId' }).externalId).toBeNull();
    expect(groupChanges({ op: 'replace', path: 'externalId', value: null }).externalId).toBeNull();
    expect(groupChanges({ op: 'replace', value: { externalId: '' } }).externalId).toBeNull();
  });

  it('refuses a displayName that is not a non-empty string, and a bad externalId, as invalidValue', () => {
    for (const operation of [
      { op: 'replace', path: 'displayName', value: '' },
      { op: 'replace', path: 'displayName', value: '  ' },
      { op: 'replace', path: 'displayName', value: 7 },
      { op: 'replace', value: { displayName: null } },
      { op: 'remove', path: 'displayName' },
      { op: 'replace', path: 'externalId', value: 7 },
    ]) {
      expect(refusal(() => groupChanges(operation))).toBe('invalidValue');
    }
  });

  it('refuses members that are not objects with a string value as invalidValue', () => {
    for (const value of [['id1'], [{ value: 1 }], [{ display: 'x' }], [null], 'id1']) {
      expect(refusal(() => groupChanges({ op: 'add', path: 'members', value }))).toBe('invalidValue');
    }
    expect(refusal(() => groupChanges({ op: 'remove', path: 'members', value: [{ value: 2 }] }))).toBe('invalidValue');
  });

  it('refuses other paths as invalidPath', () => {
    for (const operation of [
      { op: 'replace', path: 'description', value: 'x' },
      { op: 'replace', path: 'members.value', value: 'x' },
      { op: 'add', path: 'members[value eq "id1"]', value: [{ value: 'id1' }] },
      { op: 'replace', path: 'members[value eq "id1"]', value: { value: 'id1' } },
      { op: 'remove', path: 'members[display eq "x"]' },
      { op: 'remove', path: 'members[value ne "x"]' },
      { op: 'remove', path: 'members[value eq "a" and value eq "b"]' },
      { op: 'remove', path: 'members[value eq "id1"].display' },
      { op: 'remove', path: 'members[value eq' },
      { op: 'replace', path: 'displayName[value eq "x"]', value: 'x' },
      { op: 'replace', path: `${SCHEMA.enterpriseUser}:department`, value: 'x' },
    ]) {
      expect(refusal(() => groupChanges(operation)), operation.path).toBe('invalidPath');
    }
  });

  it('takes thousands of member changes in one request', () => {
    const ids = Array.from({ length: 5_000 }, (_, index) => `user-${index}`);
    const operations: PatchOperation[] = [
      { op: 'add', path: 'members', value: ids.map((value) => ({ value })) },
      ...ids.map((id): PatchOperation => ({ op: 'remove', path: `members[value eq "${id}"]` })),
      ...ids.map((id): PatchOperation => ({ op: 'add', path: 'members', value: [{ value: id }] })),
    ];
    const started = performance.now();
    const changes = patchGroupChanges(operations);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(changes.memberOps.map((change) => [change.op, change.ids.length])).toEqual([
      ['add', 5_000],
      ['remove', 5_000],
      ['add', 5_000],
    ]);
    expect(changes.memberOps[1]?.ids).toEqual(ids);
  });
});
