/**
 * The SCIM discovery documents (RFC 7643 §5–§7, RFC 7644 §4): the
 * ServiceProviderConfig, the ResourceTypes and the Schemas, true to what the
 * product supports (API.md §18), and the ListResponse envelope every list uses.
 *
 * Everything but the base URL is built once at module level and frozen; each call
 * only adds `meta` (whose `location` depends on the base) to the shared parts.
 */
import { SCHEMA } from './documents.ts';

// ---------------------------------------------------------------------------
// Types (RFC 7643 §7 attribute characteristics)
// ---------------------------------------------------------------------------

export type AttributeType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'binary' | 'complex';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';
export type Uniqueness = 'none' | 'server' | 'global';

export interface SchemaAttribute {
  readonly name: string;
  readonly type: AttributeType;
  readonly multiValued: boolean;
  readonly description: string;
  readonly required: boolean;
  readonly caseExact: boolean;
  readonly mutability: Mutability;
  readonly returned: Returned;
  readonly uniqueness: Uniqueness;
  readonly canonicalValues?: readonly string[];
  readonly referenceTypes?: readonly string[];
  readonly subAttributes?: readonly SchemaAttribute[];
}

export interface DiscoveryMeta {
  readonly resourceType: 'ServiceProviderConfig' | 'ResourceType' | 'Schema';
  readonly location: string;
}

export interface SchemaDocument {
  readonly schemas: readonly string[];
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly attributes: readonly SchemaAttribute[];
  readonly meta: DiscoveryMeta;
}

export interface ResourceTypeDocument {
  readonly schemas: readonly string[];
  readonly id: string;
  readonly name: string;
  readonly endpoint: string;
  readonly description: string;
  readonly schema: string;
  readonly schemaExtensions?: ReadonlyArray<{ readonly schema: string; readonly required: boolean }>;
  readonly meta: DiscoveryMeta;
}

export interface ServiceProviderConfigDocument {
  readonly schemas: readonly string[];
  readonly patch: { readonly supported: boolean };
  readonly bulk: { readonly supported: boolean; readonly maxOperations: number; readonly maxPayloadSize: number };
  readonly filter: { readonly supported: boolean; readonly maxResults: number };
  readonly changePassword: { readonly supported: boolean };
  readonly sort: { readonly supported: boolean };
  readonly etag: { readonly supported: boolean };
  readonly authenticationSchemes: ReadonlyArray<{
    readonly type: string;
    readonly name: string;
    readonly description: string;
    readonly primary: boolean;
  }>;
  readonly meta: DiscoveryMeta;
}

export interface ListResponse<T = unknown> {
  schemas: string[];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: T[];
}

/** The most resources one list answers (`count` default and ceiling, `filter.maxResults`). */
export const MAX_RESULTS = 200;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

type AttributeOptions = Partial<Omit<SchemaAttribute, 'name' | 'type' | 'description' | 'subAttributes'>>;

/**
 * An attribute with the RFC 7643 §2.2 defaults (not required, not case-exact,
 * readWrite, returned by default, no uniqueness, single-valued) unless overridden.
 * Every characteristic is spelled out in the answer: clients should not have to know
 * the defaults.
 */
function attr(name: string, type: Exclude<AttributeType, 'complex'>, description: string, options: AttributeOptions = {}): SchemaAttribute {
  return {
    name,
    type,
    multiValued: options.multiValued ?? false,
    description,
    required: options.required ?? false,
    caseExact: options.caseExact ?? false,
    mutability: options.mutability ?? 'readWrite',
    returned: options.returned ?? 'default',
    uniqueness: options.uniqueness ?? 'none',
    ...(options.canonicalValues ? { canonicalValues: options.canonicalValues } : {}),
    ...(options.referenceTypes ? { referenceTypes: options.referenceTypes } : {}),
  };
}

/** A complex attribute; its own `uniqueness` is always "none" and `caseExact` false. */
function complex(
  name: string,
  description: string,
  subAttributes: readonly SchemaAttribute[],
  options: Omit<AttributeOptions, 'caseExact' | 'uniqueness' | 'canonicalValues' | 'referenceTypes'> = {},
): SchemaAttribute {
  return {
    name,
    type: 'complex',
    multiValued: options.multiValued ?? false,
    description,
    required: options.required ?? false,
    caseExact: false,
    mutability: options.mutability ?? 'readWrite',
    returned: options.returned ?? 'default',
    uniqueness: 'none',
    subAttributes,
  };
}

function trimBase(base: string): string {
  return base.replace(/\/+$/, '');
}

// ---------------------------------------------------------------------------
// Schemas (RFC 7643 §7, §8.7.1)
// ---------------------------------------------------------------------------

type SchemaBody = Omit<SchemaDocument, 'meta'>;

const externalId = attr(
  'externalId',
  'string',
  "An identifier for the resource as defined by the provisioning client; kept as sent.",
  { caseExact: true },
);

const USER_SCHEMA: SchemaBody = {
  schemas: [SCHEMA.schema],
  id: SCHEMA.user,
  name: 'User',
  description: 'User Account: a member of the token’s group.',
  attributes: [
    attr('userName', 'string', 'Unique identifier for the User within the group, kept as given and matched case-insensitively. The product username is derived from it.', {
      required: true,
      uniqueness: 'server',
    }),
    complex('name', "The components of the user's name.", [
      attr('givenName', 'string', 'The given (first) name of the User.'),
      attr('familyName', 'string', 'The family (last) name of the User.'),
    ]),
    complex(
      'emails',
      "Email addresses of the User, kept as sent; the primary one (else the first) is the member's email.",
      [
        attr('value', 'string', 'The email address.', { required: true }),
        attr('type', 'string', "A label indicating the email's function.", { canonicalValues: ['work', 'home', 'other'] }),
        attr('primary', 'boolean', 'Whether this is the primary email address.'),
      ],
      { multiValued: true, required: true },
    ),
    externalId,
    attr('active', 'boolean', 'Whether the member is active; false suspends the member and ends its sessions.'),
    complex(
      'roles',
      "The member's role in the group: one of admin or member.",
      [attr('value', 'string', 'The role.', { canonicalValues: ['admin', 'member'] })],
      { multiValued: true },
    ),
  ],
};

const GROUP_SCHEMA: SchemaBody = {
  schemas: [SCHEMA.schema],
  id: SCHEMA.group,
  name: 'Group',
  description: "A directory group: a named set of the group's members.",
  attributes: [
    attr('displayName', 'string', 'A human-readable name for the Group, unique in the group.', {
      required: true,
      uniqueness: 'server',
    }),
    complex(
      'members',
      'The members of the Group (Users only).',
      [
        attr('value', 'string', 'The id of the member User.', { mutability: 'immutable', caseExact: true }),
        attr('display', 'string', 'A human-readable name of the member.', { mutability: 'readOnly' }),
        attr('$ref', 'reference', 'The URI of the member User.', { mutability: 'immutable', referenceTypes: ['User'] }),
        attr('type', 'string', 'The type of the member.', { mutability: 'immutable', canonicalValues: ['User'] }),
      ],
      { multiValued: true },
    ),
    externalId,
  ],
};

/*
 * The enterprise extension's attributes are accepted and ignored (API.md §18), so
 * nothing of them is ever answered. RFC 7643 §7 lets any attribute be `returned:
 * "never"` ("the attribute is never returned"), which is exactly the truth here.
 * Mutability stays `readWrite`: clients may send the attributes in any write, and
 * `writeOnly` would promise a value kept (as a password hash is) that is not.
 */
const ignored = { returned: 'never' } as const;

const ENTERPRISE_USER_SCHEMA: SchemaBody = {
  schemas: [SCHEMA.schema],
  id: SCHEMA.enterpriseUser,
  name: 'EnterpriseUser',
  description: 'Enterprise User extension: its attributes are accepted and not kept (never returned, never an error).',
  attributes: [
    attr('employeeNumber', 'string', 'Accepted and not kept.', ignored),
    attr('department', 'string', 'Accepted and not kept.', ignored),
    complex(
      'manager',
      "The User's manager; accepted (as an object or a plain string) and not kept.",
      [attr('value', 'string', 'The id of the manager.', ignored)],
      ignored,
    ),
  ],
};

const TEAMAPI_USER_SCHEMA: SchemaBody = {
  schemas: [SCHEMA.schema],
  id: SCHEMA.teamApiUser,
  name: 'TeamApiUser',
  description: "The product's own User attributes.",
  attributes: [
    attr('username', 'string', "The product username, derived from userName (the part before any '@', made valid and unique).", {
      mutability: 'readOnly',
      uniqueness: 'global',
    }),
  ],
};

const SCHEMA_BODIES: readonly SchemaBody[] = deepFreeze([USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_USER_SCHEMA, TEAMAPI_USER_SCHEMA]);

// ---------------------------------------------------------------------------
// Resource types (RFC 7643 §6)
// ---------------------------------------------------------------------------

type ResourceTypeBody = Omit<ResourceTypeDocument, 'meta'>;

const RESOURCE_TYPE_BODIES: readonly ResourceTypeBody[] = deepFreeze([
  {
    schemas: [SCHEMA.resourceType],
    id: 'User',
    name: 'User',
    endpoint: '/Users',
    description: "The members of the token's group.",
    schema: SCHEMA.user,
    schemaExtensions: [
      { schema: SCHEMA.enterpriseUser, required: false },
      { schema: SCHEMA.teamApiUser, required: false },
    ],
  },
  {
    schemas: [SCHEMA.resourceType],
    id: 'Group',
    name: 'Group',
    endpoint: '/Groups',
    description: "The directory groups of the token's group.",
    schema: SCHEMA.group,
  },
]);

// ---------------------------------------------------------------------------
// Service provider configuration (RFC 7643 §5)
// ---------------------------------------------------------------------------

/*
 * No documentationUri (OPTIONAL in RFC 7643 §5): the product serves no SCIM help page
 * of its own, and a URL that answers 404 would not be true to what is supported.
 */
const SERVICE_PROVIDER_CONFIG_BODY: Omit<ServiceProviderConfigDocument, 'meta'> = deepFreeze({
  schemas: [SCHEMA.serviceProviderConfig],
  patch: { supported: true },
  bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
  filter: { supported: true, maxResults: MAX_RESULTS },
  changePassword: { supported: false },
  sort: { supported: false },
  etag: { supported: true },
  authenticationSchemes: [
    {
      type: 'oauthbearertoken',
      name: 'OAuth Bearer Token',
      description: 'An API token of the group, as Authorization: Bearer <token>.',
      primary: true,
    },
  ],
});

// ---------------------------------------------------------------------------
// Public builders
// ---------------------------------------------------------------------------

/** `GET {base}/ServiceProviderConfig`. */
export function serviceProviderConfig(base: string): ServiceProviderConfigDocument {
  return {
    ...SERVICE_PROVIDER_CONFIG_BODY,
    meta: { resourceType: 'ServiceProviderConfig', location: `${trimBase(base)}/ServiceProviderConfig` },
  };
}

function withResourceTypeMeta(base: string, body: ResourceTypeBody): ResourceTypeDocument {
  return { ...body, meta: { resourceType: 'ResourceType', location: `${trimBase(base)}/ResourceTypes/${body.id}` } };
}

function withSchemaMeta(base: string, body: SchemaBody): SchemaDocument {
  return { ...body, meta: { resourceType: 'Schema', location: `${trimBase(base)}/Schemas/${body.id}` } };
}

/** `GET {base}/ResourceTypes`: User and Group. */
export function resourceTypes(base: string): ResourceTypeDocument[] {
  return RESOURCE_TYPE_BODIES.map((body) => withResourceTypeMeta(base, body));
}

/** `GET {base}/Schemas`: core User, core Group, the enterprise User extension, the teamapi extension. */
export function schemas(base: string): SchemaDocument[] {
  return SCHEMA_BODIES.map((body) => withSchemaMeta(base, body));
}

/**
 * `GET {base}/ResourceTypes/{id}`, or null. The ids are the resource type names
 * ("User", "Group"), matched case-insensitively.
 */
export function resourceTypeById(base: string, id: string): ResourceTypeDocument | null {
  const wanted = id.toLowerCase();
  const body = RESOURCE_TYPE_BODIES.find((candidate) => candidate.id.toLowerCase() === wanted);
  return body ? withResourceTypeMeta(base, body) : null;
}

/** `GET {base}/Schemas/{id}`, or null. The id is the schema URN, compared exactly. */
export function schemaById(base: string, id: string): SchemaDocument | null {
  const body = SCHEMA_BODIES.find((candidate) => candidate.id === id);
  return body ? withSchemaMeta(base, body) : null;
}

/** The ListResponse envelope (RFC 7644 §3.4.2) for every list, discovery ones included. */
export function listResponse<T>(resources: T[], totalResults: number, startIndex: number): ListResponse<T> {
  return {
    schemas: [SCHEMA.listResponse],
    totalResults: Math.trunc(totalResults),
    startIndex: Math.trunc(startIndex),
    itemsPerPage: resources.length,
    Resources: resources,
  };
}
