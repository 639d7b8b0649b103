/**
 * The SCIM discovery documents (API.md §18; RFC 7643 §5–§7, RFC 7644 §4): shape,
 * truthfulness to what is supported, and id resolution.
 */
import { describe, expect, it } from 'vitest';
import {
  listResponse,
  resourceTypeById,
  resourceTypes,
  schemaById,
  schemas,
  serviceProviderConfig,
  type SchemaAttribute,
  type SchemaDocument,
} from '../../src/http/scim/discovery.ts';
import { SCHEMA } from '../../src/http/scim/documents.ts';

const BASE = 'http://127.0.0.1:4000/scim/v2';

const TYPES = ['string', 'boolean', 'decimal', 'integer', 'dateTime', 'reference', 'binary', 'complex'];
const MUTABILITY = ['readOnly', 'readWrite', 'immutable', 'writeOnly'];
const RETURNED = ['always', 'never', 'default', 'request'];
const UNIQUENESS = ['none', 'server', 'global'];

function schema(id: string): SchemaDocument {
  const found = schemaById(BASE, id);
  if (!found) throw new Error(`no schema ${id}`);
  return found;
}

function attribute(attributes: readonly SchemaAttribute[] | undefined, name: string): SchemaAttribute {
  const found = attributes?.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no attribute ${name}`);
  return found;
}

/** Every attribute and sub-attribute, with its dotted path. */
function walk(attributes: readonly SchemaAttribute[], prefix = ''): Array<[string, SchemaAttribute]> {
  return attributes.flatMap((a): Array<[string, SchemaAttribute]> => [
    [`${prefix}${a.name}`, a],
    ...walk(a.subAttributes ?? [], `${prefix}${a.name}.`),
  ]);
}

describe('ServiceProviderConfig', () => {
  const config = serviceProviderConfig(BASE);

  it('says what is supported', () => {
    expect(config.schemas).toEqual([SCHEMA.serviceProviderConfig]);
    expect(config.patch).toEqual({ supported: true });
    expect(config.bulk).toEqual({ supported: false, maxOperations: 0, maxPayloadSize: 0 });
    expect(config.filter).toEqual({ supported: true, maxResults: 200 });
    expect(config.changePassword).toEqual({ supported: false });
    expect(config.sort).toEqual({ supported: false });
    expect(config.etag).toEqual({ supported: true });
  });

  it('names the bearer token scheme', () => {
    expect(config.authenticationSchemes).toEqual([
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'An API token of the group, as Authorization: Bearer <token>.',
        primary: true,
      },
    ]);
  });

  it('locates itself under the base, with or without a trailing slash', () => {
    expect(config.meta).toEqual({ resourceType: 'ServiceProviderConfig', location: `${BASE}/ServiceProviderConfig` });
    expect(serviceProviderConfig(`${BASE}/`).meta.location).toBe(`${BASE}/ServiceProviderConfig`);
    expect(serviceProviderConfig('https://scim.example/x/scim/v2').meta.location).toBe(
      'https://scim.example/x/scim/v2/ServiceProviderConfig',
    );
  });

  it('survives a JSON round trip unchanged (plain data)', () => {
    expect(JSON.parse(JSON.stringify(config))).toEqual(config);
  });
});

describe('ResourceTypes', () => {
  const types = resourceTypes(BASE);

  it('are User and Group', () => {
    expect(types.map((t) => t.id)).toEqual(['User', 'Group']);
    for (const type of types) {
      expect(type.schemas).toEqual([SCHEMA.resourceType]);
      expect(type.name).toBe(type.id);
      expect(type.description).toEqual(expect.any(String));
      expect(type.meta).toEqual({ resourceType: 'ResourceType', location: `${BASE}/ResourceTypes/${type.id}` });
    }
  });

  it('User has the core schema and the two optional extensions', () => {
    const user = resourceTypeById(BASE, 'User');
    expect(user).toMatchObject({ endpoint: '/Users', schema: SCHEMA.user });
    expect(user?.schemaExtensions).toEqual([
      { schema: SCHEMA.enterpriseUser, required: false },
      { schema: SCHEMA.teamApiUser, required: false },
    ]);
  });

  it('Group has the core schema and no extension', () => {
    const group = resourceTypeById(BASE, 'Group');
    expect(group).toMatchObject({ endpoint: '/Groups', schema: SCHEMA.group });
    expect(group?.schemaExtensions).toBeUndefined();
  });

  it('resolve by id, case-insensitively, and not otherwise', () => {
    for (const type of types) expect(resourceTypeById(BASE, type.id)).toEqual(type);
    expect(resourceTypeById(BASE, 'user')?.id).toBe('User');
    expect(resourceTypeById(BASE, 'GROUPS')).toBeNull();
    expect(resourceTypeById(BASE, 'Users')).toBeNull();
    expect(resourceTypeById(BASE, '')).toBeNull();
  });

  it('name schemas that /Schemas resolves', () => {
    for (const type of types) {
      expect(schemaById(BASE, type.schema)).not.toBeNull();
      for (const extension of type.schemaExtensions ?? []) expect(schemaById(BASE, extension.schema)).not.toBeNull();
    }
  });
});

describe('Schemas', () => {
  const all = schemas(BASE);

  it('are core User, core Group, the enterprise and the teamapi extensions', () => {
    expect(all.map((s) => s.id)).toEqual([SCHEMA.user, SCHEMA.group, SCHEMA.enterpriseUser, SCHEMA.teamApiUser]);
    for (const s of all) {
      expect(s.schemas).toEqual([SCHEMA.schema]);
      expect(s.name).toEqual(expect.any(String));
      expect(s.description).toEqual(expect.any(String));
      expect(s.attributes.length).toBeGreaterThan(0);
      expect(s.meta).toEqual({ resourceType: 'Schema', location: `${BASE}/Schemas/${s.id}` });
    }
  });

  it('give every attribute and sub-attribute the RFC 7643 §7 characteristics', () => {
    for (const s of all) {
      for (const [path, a] of walk(s.attributes)) {
        const where = `${s.id}:${path}`;
        expect(a.name, where).toEqual(expect.any(String));
        expect(TYPES, where).toContain(a.type);
        expect(typeof a.multiValued, where).toBe('boolean');
        expect(a.description.length, where).toBeGreaterThan(0);
        expect(typeof a.required, where).toBe('boolean');
        expect(typeof a.caseExact, where).toBe('boolean');
        expect(MUTABILITY, where).toContain(a.mutability);
        expect(RETURNED, where).toContain(a.returned);
        expect(UNIQUENESS, where).toContain(a.uniqueness);
        if (a.type === 'complex') expect(a.subAttributes?.length, where).toBeGreaterThan(0);
        else expect(a.subAttributes, where).toBeUndefined();
        if (a.referenceTypes) expect(a.type, where).toBe('reference');
      }
    }
  });

  it('never nest complex attributes (RFC 7643 §2.3.8)', () => {
    for (const s of all) {
      for (const a of s.attributes) for (const sub of a.subAttributes ?? []) expect(sub.type).not.toBe('complex');
    }
  });

  it('do not list the common attribute id', () => {
    for (const s of all) expect(s.attributes.map((a) => a.name)).not.toContain('id');
  });

  it('User: userName, emails and emails.value are required; userName is unique per server', () => {
    const user = schema(SCHEMA.user);
    const required = walk(user.attributes)
      .filter(([, a]) => a.required)
      .map(([path]) => path);
    expect(required.sort()).toEqual(['emails', 'emails.value', 'userName']);
    expect(attribute(user.attributes, 'userName')).toMatchObject({
      type: 'string',
      multiValued: false,
      caseExact: false,
      uniqueness: 'server',
      mutability: 'readWrite',
      returned: 'default',
    });
  });

  it('User: the supported attributes, with their types', () => {
    const user = schema(SCHEMA.user);
    expect(user.attributes.map((a) => [a.name, a.type, a.multiValued])).toEqual([
      ['userName', 'string', false],
      ['name', 'complex', false],
      ['emails', 'complex', true],
      ['externalId', 'string', false],
      ['active', 'boolean', false],
      ['roles', 'complex', true],
    ]);
    expect(attribute(user.attributes, 'name').subAttributes?.map((a) => a.name)).toEqual(['givenName', 'familyName']);
    const emails = attribute(user.attributes, 'emails').subAttributes;
    expect(emails?.map((a) => a.name)).toEqual(['value', 'type', 'primary']);
    expect(attribute(emails, 'type').canonicalValues).toEqual(['work', 'home', 'other']);
    expect(attribute(emails, 'primary').type).toBe('boolean');
    expect(attribute(user.attributes, 'externalId')).toMatchObject({ caseExact: true, mutability: 'readWrite' });
    const roles = attribute(user.attributes, 'roles').subAttributes;
    expect(attribute(roles, 'value').canonicalValues).toEqual(['admin', 'member']);
  });

  it('Group: displayName required and unique; members reference Users', () => {
    const group = schema(SCHEMA.group);
    expect(group.attributes.map((a) => a.name)).toEqual(['displayName', 'members', 'externalId']);
    expect(attribute(group.attributes, 'displayName')).toMatchObject({ required: true, uniqueness: 'server' });
    const members = attribute(group.attributes, 'members');
    expect(members).toMatchObject({ type: 'complex', multiValued: true });
    expect(attribute(members.subAttributes, 'value')).toMatchObject({ type: 'string', mutability: 'immutable' });
    expect(attribute(members.subAttributes, 'display').mutability).toBe('readOnly');
    expect(attribute(members.subAttributes, '$ref')).toMatchObject({ type: 'reference', referenceTypes: ['User'] });
    expect(attribute(members.subAttributes, 'type').type).toBe('string');
  });

  it('enterprise extension: accepted, not kept, never returned', () => {
    const enterprise = schema(SCHEMA.enterpriseUser);
    expect(enterprise.description).toMatch(/not kept/);
    expect(enterprise.attributes.map((a) => a.name)).toEqual(['employeeNumber', 'department', 'manager']);
    for (const [, a] of walk(enterprise.attributes)) {
      expect(a).toMatchObject({ mutability: 'readWrite', returned: 'never', required: false });
    }
    expect(attribute(enterprise.attributes, 'manager').subAttributes?.map((a) => a.name)).toEqual(['value']);
  });

  it('teamapi extension: username, read-only, derived from userName', () => {
    const teamapi = schema(SCHEMA.teamApiUser);
    expect(teamapi.attributes).toHaveLength(1);
    expect(attribute(teamapi.attributes, 'username')).toMatchObject({
      type: 'string',
      mutability: 'readOnly',
      returned: 'default',
      uniqueness: 'global',
    });
    expect(attribute(teamapi.attributes, 'username').description).toMatch(/userName/);
  });

  it('resolve by id exactly', () => {
    for (const s of all) expect(schemaById(BASE, s.id)).toEqual(s);
    expect(schemaById(BASE, SCHEMA.user.toUpperCase())).toBeNull();
    expect(schemaById(BASE, 'User')).toBeNull();
    expect(schemaById(BASE, SCHEMA.listResponse)).toBeNull();
  });

  it('share their constant parts safely: the shared parts are frozen, each answer is its own object', () => {
    const first = schemas(BASE)[0];
    const second = schemas('https://other.example/scim/v2')[0];
    expect(first).not.toBe(second);
    expect(first?.meta.location).not.toBe(second?.meta.location);
    expect(Object.isFrozen(first?.attributes)).toBe(true);
  });
});

describe('listResponse', () => {
  it('wraps resources with integer counts', () => {
    const resources = [{ id: 'a' }, { id: 'b' }];
    expect(listResponse(resources, 7, 3)).toEqual({
      schemas: [SCHEMA.listResponse],
      totalResults: 7,
      startIndex: 3,
      itemsPerPage: 2,
      Resources: resources,
    });
  });

  it('answers an empty page', () => {
    expect(listResponse([], 0, 1)).toEqual({
      schemas: [SCHEMA.listResponse],
      totalResults: 0,
      startIndex: 1,
      itemsPerPage: 0,
      Resources: [],
    });
  });

  it('wraps the discovery lists too', () => {
    const page = listResponse(schemas(BASE), 4, 1);
    expect(page.itemsPerPage).toBe(4);
    expect(Number.isInteger(page.totalResults) && Number.isInteger(page.startIndex)).toBe(true);
  });
});
