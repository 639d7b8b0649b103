/**
 * The SCIM resources as JSON documents (RFC 7643): what the routes answer, what
 * filters test and what PATCH operations change. Keys are as RFC 7643 spells them.
 */

export const SCHEMA = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  enterpriseUser: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  /** The product's own extension: the `username` derived from `userName`, read-only. */
  teamApiUser: 'urn:ietf:params:scim:schemas:extension:teamapi:2.0:User',
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  serviceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  resourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
} as const;

export type ResourceKind = 'User' | 'Group';

export interface ScimMeta {
  resourceType: ResourceKind;
  /** ISO 8601 instants. */
  created: string;
  lastModified: string;
  location: string;
  /** The ETag: W/"…". */
  version: string;
}

export interface ScimEmail {
  value: string;
  type?: string;
  primary?: boolean;
}

/** A User as answered; attributes without a value are left out. */
export interface ScimUserDocument {
  schemas: string[];
  id: string;
  externalId?: string;
  userName: string;
  name?: { givenName?: string; familyName?: string };
  emails?: ScimEmail[];
  active: boolean;
  roles?: Array<{ value: 'admin' | 'member' }>;
  [SCHEMA.teamApiUser]: { username: string };
  meta: ScimMeta;
}

export interface ScimMemberRef {
  value: string;
  display?: string;
  $ref?: string;
  type?: 'User';
}

/** A Group (a directory group) as answered. */
export interface ScimGroupDocument {
  schemas: string[];
  id: string;
  externalId?: string;
  displayName: string;
  members?: ScimMemberRef[];
  meta: ScimMeta;
}
