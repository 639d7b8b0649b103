/** GraphQL documents of group administration (API.md §8), and how their refusals look. */
import { expect } from 'vitest';
import { type ErrorCode, envelopeOf } from '../../src/errors/catalog.ts';
import { ERROR_FIELDS } from './documents.ts';

/** For unions without InvalidInput, where spreading it would not validate. */
const ENVELOPE_FIELDS = '... on Error { status code message }';
import type { TestResponse } from './harness.ts';

export const MEMBERS = `query Members($first: Int, $after: String) {
  viewer { group { slug members(first: $first, after: $after) {
    edges { cursor node { role joinedAt user { username } } }
    pageInfo { hasNextPage endCursor }
  } } }
}`;

/** The same listing reached through the API token's group. */
export const MEMBERS_BY_TOKEN = `query Members($first: Int, $after: String) {
  group { slug members(first: $first, after: $after) {
    edges { cursor node { role joinedAt user { username } } }
    pageInfo { hasNextPage endCursor }
  } }
}`;

export const USER = `query User($username: String!) {
  user(username: $username) {
    __typename
    ... on User { id username email }
    ${ENVELOPE_FIELDS}
  }
}`;

export const USERNAME_AVAILABLE = `query UsernameAvailable($username: String!) {
  usernameAvailable(username: $username) {
    __typename
    ... on UsernameAvailability { username available alternatives }
    ${ENVELOPE_FIELDS}
  }
}`;

export const API_TOKENS = `{ apiTokens { id label createdAt lastUsedAt revokedAt } }`;

export const SESSIONS = `query Sessions($first: Int, $after: String) {
  sessions(first: $first, after: $after) { id cursor createdAt expiresAt user { username } }
}`;

export const CREATE_API_TOKEN = `mutation CreateApiToken($label: String) {
  createApiToken(label: $label) {
    __typename
    ... on CreateApiTokenSuccess { token apiToken { id label createdAt lastUsedAt revokedAt } }
    ${ERROR_FIELDS}
  }
}`;

export const REVOKE_API_TOKEN = `mutation RevokeApiToken($id: ID!) {
  revokeApiToken(id: $id) {
    __typename
    ... on RevokeApiTokenSuccess { apiToken { id revokedAt } }
    ${ERROR_FIELDS}
  }
}`;

export const UPDATE_GROUP = `mutation UpdateGroup($input: UpdateGroupInput!) {
  updateGroup(input: $input) {
    __typename
    ... on UpdateGroupSuccess { group { slug title isApiEnabled allowedDomains } }
    ${ERROR_FIELDS}
  }
}`;

export const REMOVE_MEMBER = `mutation RemoveMember($username: String!) {
  removeMember(username: $username) {
    __typename
    ... on RemoveMemberSuccess { username revokedSessions }
    ${ENVELOPE_FIELDS}
  }
}`;

export const REVOKE_SESSION = `mutation RevokeSession($id: ID!) {
  revokeSession(id: $id) {
    __typename
    ... on RevokeSessionSuccess { id }
    ${ERROR_FIELDS}
  }
}`;

/** A union member: HTTP 200, the exact envelope, and for InvalidInput the field. */
export function expectResultError(res: TestResponse, fieldName: string, code: ErrorCode, field?: string): void {
  expect(res.status).toBe(200);
  expect(res.body.errors).toBeUndefined();
  const { __typename, status, message, code: got, field: gotField } = res.body.data[fieldName];
  expect(__typename).toBe(code.charAt(0).toUpperCase() + code.slice(1));
  expect({ status, message, code: got }).toEqual(envelopeOf(code));
  if (field !== undefined) expect(gotField).toBe(field);
}

/** A transport-level failure: the HTTP status and envelope of the code, and the failed input when given. */
export function expectTransportError(res: TestResponse, code: ErrorCode, field?: string): void {
  expect(res.status).toBe(envelopeOf(code).status);
  const [first] = res.body.errors ?? [];
  expect(first?.extensions?.code).toBe(code);
  expect(first?.extensions?.error).toEqual(envelopeOf(code));
  if (field !== undefined) expect(first?.extensions?.field).toBe(field);
}

export const EVENTS = `query Events($first: Int, $after: String, $types: [String!], $since: String) {
  events(first: $first, after: $after, types: $types, since: $since) {
    edges { cursor node { id type occurredAt actor { type id name } target { type id name } ip userAgent requestId data } }
    pageInfo { hasNextPage endCursor }
  }
}`;
