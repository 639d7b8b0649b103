/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type CreateUserInput = {
  email: string;
  firstName?: string | null | undefined;
  lastName?: string | null | undefined;
  /** Base for a generated username (a random suffix is added). */
  suggestedUsername?: string | null | undefined;
  /** Wanted username; falls back to suggestedUsername when unusable. */
  username?: string | null | undefined;
};

/** Every code the API answers with; each has a fixed status and message. */
export type ErrorCode =
  /** 403: Api usage for this group is disabled. */
  | 'ApiIsDisabled'
  /** 409: This email is already in use, please try another one. */
  | 'EmailAlreadyExists'
  /** 500: An error occurred, failed to create user. */
  | 'FailedToCreateUser'
  /** 403: The group of the given api token does not exist. */
  | 'GroupNotFound'
  /** 409: A request with this idempotency key is still in progress. */
  | 'IdempotencyKeyInUse'
  /** 422: This idempotency key was already used for a different request. */
  | 'IdempotencyKeyReused'
  /** 500: The server encountered an internal error. */
  | 'InternalError'
  /** 400: Api token is invalid. */
  | 'InvalidApiToken'
  /** 400: This email domain is not in allowed domains for this group. */
  | 'InvalidEmailDomain'
  /** 400: One of the request inputs is invalid. */
  | 'InvalidInput'
  /** 400: Request is invalid */
  | 'InvalidRequestDomain'
  /** 400: One of the required fields in payload is invalid */
  | 'InvalidSSOTokenPayload'
  /** 400: Given username is invalid. */
  | 'InvalidUsername'
  /** 400: A required query parameter was not specified for this request. */
  | 'MissingRequiredQueryParameter'
  /** 400: User is not a member of the api token group. */
  | 'NotGroupMember'
  /** 400: Given suggested username is out of range. */
  | 'OutOfRangeSuggestedUsername'
  /** 400: Given username is out of range. */
  | 'OutOfRangeUsername'
  /** 400: The sso token in request could not be parsed. */
  | 'SSOTokenFailedToParse'
  /** 429: Too many requests, please try again later. */
  | 'TooManyRequests'
  /** 401: The request is unauthorized, an api token is required. */
  | 'UnauthorizedRequest'
  /** 409: This username is already in use, please try another one. */
  | 'UsernameAlreadyExists'
  /** 400: The webhook endpoint URL is not allowed. */
  | 'WebhookEndpointInvalid'
  /** 500: An error occurred, failed to create user session. User may not be logged in. */
  | 'failedToCreateSession';

export type EventActorType =
  /** An API token of the group: `id` its id, `name` its label. */
  | 'api_token'
  /** An operator, through the admin CLI. */
  | 'cli'
  /** The server itself: expired sessions purged, a session a newer login replaced. */
  | 'system'
  /** A signed-in user (an admin, or the user signing in or out): `id` the user id, `name` the username. */
  | 'user';

export type MemberRole =
  /** May administer the group from a signed-in session. */
  | 'admin'
  | 'member';

/** Only the fields given change. */
export type UpdateGroupInput = {
  /** Email domains createUser accepts; [] allows any. At most 100. Null leaves the list as it is. */
  allowedDomains?: Array<string> | null | undefined;
  /** False refuses the group’s API tokens (ApiIsDisabled); admins keep access. */
  isApiEnabled?: boolean | null | undefined;
  /** The default of createSSOToken’s requireConfirmation for this group. Null leaves it as it is. */
  requireSignInConfirmation?: boolean | null | undefined;
  /** At most 100 characters; null or "" clears it. */
  title?: string | null | undefined;
};

export type ApiTokensQueryVariables = Exact<{ [key: string]: never; }>;


export type ApiTokensQuery = { apiTokens: Array<{ id: string, label: string | null, createdAt: string, lastUsedAt: string | null, revokedAt: string | null }> };

export type CreateApiTokenMutationVariables = Exact<{
  label?: string | null | undefined;
}>;


export type CreateApiTokenMutation = { createApiToken:
    | { __typename: 'CreateApiTokenSuccess', token: string, apiToken: { id: string, label: string | null, createdAt: string, lastUsedAt: string | null, revokedAt: string | null } }
    | { __typename: 'InvalidInput', status: number, code: ErrorCode, message: string, field: string | null }
   };

export type CreateSsoTokenMutationVariables = Exact<{
  username: string;
  redirectTo?: string | null | undefined;
  requireConfirmation?: boolean | null | undefined;
}>;


export type CreateSsoTokenMutation = { createSSOToken:
    | { __typename: 'CreateSSOTokenSuccess', token: string, loginUrl: string, expiresAt: string, requireConfirmation: boolean }
    | { __typename: 'InvalidInput', status: number, code: ErrorCode, message: string, field: string | null }
    | { __typename: 'InvalidUsername', status: number, code: ErrorCode, message: string }
    | { __typename: 'NotGroupMember', status: number, code: ErrorCode, message: string }
   };

export type CreateUserMutationVariables = Exact<{
  input: CreateUserInput;
}>;


export type CreateUserMutation = { createUser:
    | { __typename: 'CreateUserSuccess', user: { id: string, username: string, email: string, firstName: string | null, lastName: string | null, createdAt: string } }
    | { __typename: 'EmailAlreadyExists', status: number, code: ErrorCode, message: string }
    | { __typename: 'FailedToCreateUser', status: number, code: ErrorCode, message: string }
    | { __typename: 'InvalidEmailDomain', status: number, code: ErrorCode, message: string }
    | { __typename: 'InvalidInput', status: number, code: ErrorCode, message: string, field: string | null }
    | { __typename: 'InvalidUsername', status: number, code: ErrorCode, message: string }
    | { __typename: 'OutOfRangeSuggestedUsername', status: number, code: ErrorCode, message: string }
    | { __typename: 'OutOfRangeUsername', status: number, code: ErrorCode, message: string }
    | { __typename: 'UsernameAlreadyExists', status: number, code: ErrorCode, message: string }
   };

export type CreateUsersMutationVariables = Exact<{
  inputs: Array<CreateUserInput> | CreateUserInput;
}>;


export type CreateUsersMutation = { createUsers: Array<
    | { __typename: 'CreateUserSuccess', user: { id: string, username: string, email: string, firstName: string | null, lastName: string | null, createdAt: string } }
    | { __typename: 'EmailAlreadyExists', status: number, code: ErrorCode, message: string }
    | { __typename: 'FailedToCreateUser', status: number, code: ErrorCode, message: string }
    | { __typename: 'InvalidEmailDomain', status: number, code: ErrorCode, message: string }
    | { __typename: 'InvalidInput', status: number, code: ErrorCode, message: string, field: string | null }
    | { __typename: 'InvalidUsername', status: number, code: ErrorCode, message: string }
    | { __typename: 'OutOfRangeSuggestedUsername', status: number, code: ErrorCode, message: string }
    | { __typename: 'OutOfRangeUsername', status: number, code: ErrorCode, message: string }
    | { __typename: 'UsernameAlreadyExists', status: number, code: ErrorCode, message: string }
  > };

export type CreateWebhookEndpointMutationVariables = Exact<{
  url: string;
  types?: Array<string> | string | null | undefined;
}>;


export type CreateWebhookEndpointMutation = { createWebhookEndpoint:
    | { __typename: 'CreateWebhookEndpointSuccess', secret: string, endpoint: { id: string, url: string, types: Array<string>, createdAt: string, disabledAt: string | null } }
    | { __typename: 'InvalidInput', status: number, code: ErrorCode, message: string, field: string | null }
    | { __typename: 'WebhookEndpointInvalid', status: number, code: ErrorCode, message: string }
   };

export type DeleteWebhookEndpointMutationVariables = Exact<{
  id: string;
}>;


export type DeleteWebhookEndpointMutation = { deleteWebhookEndpoint:
    | { __typename: 'DeleteWebhookEndpointSuccess', id: string }
    | { __typename: 'InvalidInput', status: number, code: ErrorCode, message: string, field: string | null }
   };

export type EventsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  types?: Array<string> | string | null | undefined;
  since?: string | null | undefined;
}>;


export type EventsQuery = { events: { edges: Array<{ cursor: string, node: { id: string, type: string, occurredAt: string, ip: string | null, userAgent: string | null, requestId: string | null, data: string, actor: { type: EventActorType, id: string | null, name: string | null }, target: { type: string, id: string, name: string | null } } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type UserFieldsFragment = { id: string, username: string, email: string, firstName: string | null, lastName: string | null, createdAt: string };

export type GroupFieldsFragment = { slug: string, title: string | null, isApiEnabled: boolean, allowedDomains: Array<string>, requireSignInConfirmation: boolean };

export type ApiTokenFieldsFragment = { id: string, label: string | null, createdAt: string, lastUsedAt: string | null, revokedAt: string | null };

export type EventFieldsFragment = { id: string, type: string, occurredAt: string, ip: string | null, userAgent: string | null, requestId: string | null, data: string, actor: { type: EventActorType, id: string | null, name: string | null }, target: { type: string, id: string, name: string | null } };

export type WebhookEndpointFieldsFragment = { id: string, url: string, types: Array<string>, createdAt: string, disabledAt: string | null };

export type GroupQueryVariables = Exact<{ [key: string]: never; }>;


export type GroupQuery = { group: { slug: string, title: string | null, isApiEnabled: boolean, allowedDomains: Array<string>, requireSignInConfirmation: boolean } | null };

export type GroupMembersQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type GroupMembersQuery = { group: { members: { edges: Array<{ cursor: string, node: { role: MemberRole, joinedAt: string, user: { id: string, username: string, email: string, firstName: string | null, lastName: string | null, createdAt: string } } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } } | null };

export type LoginWithSsoMutationVariables = Exact<{
  token: string;
}>;


export type LoginWithSsoMutation = { loginWithSSO:
    | { __typename: 'FailedToCreateSession', status: number, code: ErrorCode, message: string }
    | { __typename: 'GroupNotFound', status: number, code: ErrorCode, message: string }
    | { __typename: 'InvalidRequestDomain', status: number, code: ErrorCode, message: string }
    | { __typename: 'InvalidSSOTokenPayload', status: number, code: ErrorCode, message: string }
    | { __typename: 'InvalidUsername', status: number, code: ErrorCode, message: string }
    | { __typename: 'LoginWithSSOSuccess', session: { token: string | null, expiresAt: string, user: { id: string, username: string, email: string, firstName: string | null, lastName: string | null, createdAt: string }, group: { slug: string, title: string | null, isApiEnabled: boolean, allowedDomains: Array<string>, requireSignInConfirmation: boolean } } }
    | { __typename: 'NotGroupMember', status: number, code: ErrorCode, message: string }
    | { __typename: 'SSOTokenFailedToParse', status: number, code: ErrorCode, message: string }
   };

export type LogoutMutationVariables = Exact<{ [key: string]: never; }>;


export type LogoutMutation = { logout: boolean };

export type RemoveMemberMutationVariables = Exact<{
  username: string;
}>;


export type RemoveMemberMutation = { removeMember:
    | { __typename: 'InvalidUsername', status: number, code: ErrorCode, message: string }
    | { __typename: 'NotGroupMember', status: number, code: ErrorCode, message: string }
    | { __typename: 'RemoveMemberSuccess', username: string, revokedSessions: number }
   };

export type RevokeApiTokenMutationVariables = Exact<{
  id: string;
}>;


export type RevokeApiTokenMutation = { revokeApiToken:
    | { __typename: 'InvalidInput', status: number, code: ErrorCode, message: string, field: string | null }
    | { __typename: 'RevokeApiTokenSuccess', apiToken: { id: string, label: string | null, createdAt: string, lastUsedAt: string | null, revokedAt: string | null } }
   };

export type RevokeSessionMutationVariables = Exact<{
  id: string;
}>;


export type RevokeSessionMutation = { revokeSession:
    | { __typename: 'InvalidInput', status: number, code: ErrorCode, message: string, field: string | null }
    | { __typename: 'RevokeSessionSuccess', id: string }
   };

export type SessionsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type SessionsQuery = { sessions: Array<{ id: string, cursor: string, createdAt: string, expiresAt: string, user: { id: string, username: string, email: string, firstName: string | null, lastName: string | null, createdAt: string } }> };

export type UpdateGroupMutationVariables = Exact<{
  input: UpdateGroupInput;
}>;


export type UpdateGroupMutation = { updateGroup:
    | { __typename: 'InvalidInput', status: number, code: ErrorCode, message: string, field: string | null }
    | { __typename: 'UpdateGroupSuccess', group: { slug: string, title: string | null, isApiEnabled: boolean, allowedDomains: Array<string>, requireSignInConfirmation: boolean } }
   };

export type UserQueryVariables = Exact<{
  username: string;
}>;


export type UserQuery = { user:
    | { __typename: 'InvalidUsername', status: number, code: ErrorCode, message: string }
    | { __typename: 'NotGroupMember', status: number, code: ErrorCode, message: string }
    | { __typename: 'User', id: string, username: string, email: string, firstName: string | null, lastName: string | null, createdAt: string }
   };

export type UsernameAvailableQueryVariables = Exact<{
  username: string;
}>;


export type UsernameAvailableQuery = { usernameAvailable:
    | { __typename: 'InvalidUsername', status: number, code: ErrorCode, message: string }
    | { __typename: 'OutOfRangeUsername', status: number, code: ErrorCode, message: string }
    | { __typename: 'UsernameAvailability', username: string, available: boolean, alternatives: Array<string> }
   };

export type ViewerQueryVariables = Exact<{ [key: string]: never; }>;


export type ViewerQuery = { viewer: { expiresAt: string, user: { id: string, username: string, email: string, firstName: string | null, lastName: string | null, createdAt: string }, group: { slug: string, title: string | null, isApiEnabled: boolean, allowedDomains: Array<string>, requireSignInConfirmation: boolean } } | null };

export type ViewerMembersQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type ViewerMembersQuery = { viewer: { group: { members: { edges: Array<{ cursor: string, node: { role: MemberRole, joinedAt: string, user: { id: string, username: string, email: string, firstName: string | null, lastName: string | null, createdAt: string } } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } } } | null };

export type WebhookEndpointsQueryVariables = Exact<{
  deliveries?: number | null | undefined;
}>;


export type WebhookEndpointsQuery = { webhookEndpoints: Array<{ id: string, url: string, types: Array<string>, createdAt: string, disabledAt: string | null, deliveries: Array<{ id: string, eventId: string, attempt: number, attemptedAt: string, status: number | null, error: string | null, nextAttemptAt: string | null }> }> };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const UserFieldsFragmentDoc = new TypedDocumentString(`
    fragment UserFields on User {
  id
  username
  email
  firstName
  lastName
  createdAt
}
    `, {"fragmentName":"UserFields"}) as unknown as TypedDocumentString<UserFieldsFragment, unknown>;
export const GroupFieldsFragmentDoc = new TypedDocumentString(`
    fragment GroupFields on Group {
  slug
  title
  isApiEnabled
  allowedDomains
  requireSignInConfirmation
}
    `, {"fragmentName":"GroupFields"}) as unknown as TypedDocumentString<GroupFieldsFragment, unknown>;
export const ApiTokenFieldsFragmentDoc = new TypedDocumentString(`
    fragment ApiTokenFields on ApiToken {
  id
  label
  createdAt
  lastUsedAt
  revokedAt
}
    `, {"fragmentName":"ApiTokenFields"}) as unknown as TypedDocumentString<ApiTokenFieldsFragment, unknown>;
export const EventFieldsFragmentDoc = new TypedDocumentString(`
    fragment EventFields on Event {
  id
  type
  occurredAt
  actor {
    type
    id
    name
  }
  target {
    type
    id
    name
  }
  ip
  userAgent
  requestId
  data
}
    `, {"fragmentName":"EventFields"}) as unknown as TypedDocumentString<EventFieldsFragment, unknown>;
export const WebhookEndpointFieldsFragmentDoc = new TypedDocumentString(`
    fragment WebhookEndpointFields on WebhookEndpoint {
  id
  url
  types
  createdAt
  disabledAt
}
    `, {"fragmentName":"WebhookEndpointFields"}) as unknown as TypedDocumentString<WebhookEndpointFieldsFragment, unknown>;
export const ApiTokensDocument = new TypedDocumentString(`
    query ApiTokens {
  apiTokens {
    ...ApiTokenFields
  }
}
    fragment ApiTokenFields on ApiToken {
  id
  label
  createdAt
  lastUsedAt
  revokedAt
}`) as unknown as TypedDocumentString<ApiTokensQuery, ApiTokensQueryVariables>;
export const CreateApiTokenDocument = new TypedDocumentString(`
    mutation CreateApiToken($label: String) {
  createApiToken(label: $label) {
    __typename
    ... on CreateApiTokenSuccess {
      token
      apiToken {
        ...ApiTokenFields
      }
    }
    ... on Error {
      status
      code
      message
    }
    ... on InvalidInput {
      field
    }
  }
}
    fragment ApiTokenFields on ApiToken {
  id
  label
  createdAt
  lastUsedAt
  revokedAt
}`) as unknown as TypedDocumentString<CreateApiTokenMutation, CreateApiTokenMutationVariables>;
export const CreateSsoTokenDocument = new TypedDocumentString(`
    mutation CreateSSOToken($username: String!, $redirectTo: String, $requireConfirmation: Boolean) {
  createSSOToken(
    username: $username
    redirectTo: $redirectTo
    requireConfirmation: $requireConfirmation
  ) {
    __typename
    ... on CreateSSOTokenSuccess {
      token
      loginUrl
      expiresAt
      requireConfirmation
    }
    ... on Error {
      status
      code
      message
    }
    ... on InvalidInput {
      field
    }
  }
}
    `) as unknown as TypedDocumentString<CreateSsoTokenMutation, CreateSsoTokenMutationVariables>;
export const CreateUserDocument = new TypedDocumentString(`
    mutation CreateUser($input: CreateUserInput!) {
  createUser(input: $input) {
    __typename
    ... on CreateUserSuccess {
      user {
        ...UserFields
      }
    }
    ... on Error {
      status
      code
      message
    }
    ... on InvalidInput {
      field
    }
  }
}
    fragment UserFields on User {
  id
  username
  email
  firstName
  lastName
  createdAt
}`) as unknown as TypedDocumentString<CreateUserMutation, CreateUserMutationVariables>;
export const CreateUsersDocument = new TypedDocumentString(`
    mutation CreateUsers($inputs: [CreateUserInput!]!) {
  createUsers(inputs: $inputs) {
    __typename
    ... on CreateUserSuccess {
      user {
        ...UserFields
      }
    }
    ... on Error {
      status
      code
      message
    }
    ... on InvalidInput {
      field
    }
  }
}
    fragment UserFields on User {
  id
  username
  email
  firstName
  lastName
  createdAt
}`) as unknown as TypedDocumentString<CreateUsersMutation, CreateUsersMutationVariables>;
export const CreateWebhookEndpointDocument = new TypedDocumentString(`
    mutation CreateWebhookEndpoint($url: String!, $types: [String!]) {
  createWebhookEndpoint(url: $url, types: $types) {
    __typename
    ... on CreateWebhookEndpointSuccess {
      secret
      endpoint {
        ...WebhookEndpointFields
      }
    }
    ... on Error {
      status
      code
      message
    }
    ... on InvalidInput {
      field
    }
  }
}
    fragment WebhookEndpointFields on WebhookEndpoint {
  id
  url
  types
  createdAt
  disabledAt
}`) as unknown as TypedDocumentString<CreateWebhookEndpointMutation, CreateWebhookEndpointMutationVariables>;
export const DeleteWebhookEndpointDocument = new TypedDocumentString(`
    mutation DeleteWebhookEndpoint($id: ID!) {
  deleteWebhookEndpoint(id: $id) {
    __typename
    ... on DeleteWebhookEndpointSuccess {
      id
    }
    ... on Error {
      status
      code
      message
    }
    ... on InvalidInput {
      field
    }
  }
}
    `) as unknown as TypedDocumentString<DeleteWebhookEndpointMutation, DeleteWebhookEndpointMutationVariables>;
export const EventsDocument = new TypedDocumentString(`
    query Events($first: Int, $after: String, $types: [String!], $since: String) {
  events(first: $first, after: $after, types: $types, since: $since) {
    edges {
      cursor
      node {
        ...EventFields
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    fragment EventFields on Event {
  id
  type
  occurredAt
  actor {
    type
    id
    name
  }
  target {
    type
    id
    name
  }
  ip
  userAgent
  requestId
  data
}`) as unknown as TypedDocumentString<EventsQuery, EventsQueryVariables>;
export const GroupDocument = new TypedDocumentString(`
    query Group {
  group {
    ...GroupFields
  }
}
    fragment GroupFields on Group {
  slug
  title
  isApiEnabled
  allowedDomains
  requireSignInConfirmation
}`) as unknown as TypedDocumentString<GroupQuery, GroupQueryVariables>;
export const GroupMembersDocument = new TypedDocumentString(`
    query GroupMembers($first: Int, $after: String) {
  group {
    members(first: $first, after: $after) {
      edges {
        cursor
        node {
          role
          joinedAt
          user {
            ...UserFields
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
}
    fragment UserFields on User {
  id
  username
  email
  firstName
  lastName
  createdAt
}`) as unknown as TypedDocumentString<GroupMembersQuery, GroupMembersQueryVariables>;
export const LoginWithSsoDocument = new TypedDocumentString(`
    mutation LoginWithSSO($token: String!) {
  loginWithSSO(token: $token) {
    __typename
    ... on LoginWithSSOSuccess {
      session {
        token
        expiresAt
        user {
          ...UserFields
        }
        group {
          ...GroupFields
        }
      }
    }
    ... on Error {
      status
      code
      message
    }
  }
}
    fragment UserFields on User {
  id
  username
  email
  firstName
  lastName
  createdAt
}
fragment GroupFields on Group {
  slug
  title
  isApiEnabled
  allowedDomains
  requireSignInConfirmation
}`) as unknown as TypedDocumentString<LoginWithSsoMutation, LoginWithSsoMutationVariables>;
export const LogoutDocument = new TypedDocumentString(`
    mutation Logout {
  logout
}
    `) as unknown as TypedDocumentString<LogoutMutation, LogoutMutationVariables>;
export const RemoveMemberDocument = new TypedDocumentString(`
    mutation RemoveMember($username: String!) {
  removeMember(username: $username) {
    __typename
    ... on RemoveMemberSuccess {
      username
      revokedSessions
    }
    ... on Error {
      status
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<RemoveMemberMutation, RemoveMemberMutationVariables>;
export const RevokeApiTokenDocument = new TypedDocumentString(`
    mutation RevokeApiToken($id: ID!) {
  revokeApiToken(id: $id) {
    __typename
    ... on RevokeApiTokenSuccess {
      apiToken {
        ...ApiTokenFields
      }
    }
    ... on Error {
      status
      code
      message
    }
    ... on InvalidInput {
      field
    }
  }
}
    fragment ApiTokenFields on ApiToken {
  id
  label
  createdAt
  lastUsedAt
  revokedAt
}`) as unknown as TypedDocumentString<RevokeApiTokenMutation, RevokeApiTokenMutationVariables>;
export const RevokeSessionDocument = new TypedDocumentString(`
    mutation RevokeSession($id: ID!) {
  revokeSession(id: $id) {
    __typename
    ... on RevokeSessionSuccess {
      id
    }
    ... on Error {
      status
      code
      message
    }
    ... on InvalidInput {
      field
    }
  }
}
    `) as unknown as TypedDocumentString<RevokeSessionMutation, RevokeSessionMutationVariables>;
export const SessionsDocument = new TypedDocumentString(`
    query Sessions($first: Int, $after: String) {
  sessions(first: $first, after: $after) {
    id
    cursor
    createdAt
    expiresAt
    user {
      ...UserFields
    }
  }
}
    fragment UserFields on User {
  id
  username
  email
  firstName
  lastName
  createdAt
}`) as unknown as TypedDocumentString<SessionsQuery, SessionsQueryVariables>;
export const UpdateGroupDocument = new TypedDocumentString(`
    mutation UpdateGroup($input: UpdateGroupInput!) {
  updateGroup(input: $input) {
    __typename
    ... on UpdateGroupSuccess {
      group {
        ...GroupFields
      }
    }
    ... on Error {
      status
      code
      message
    }
    ... on InvalidInput {
      field
    }
  }
}
    fragment GroupFields on Group {
  slug
  title
  isApiEnabled
  allowedDomains
  requireSignInConfirmation
}`) as unknown as TypedDocumentString<UpdateGroupMutation, UpdateGroupMutationVariables>;
export const UserDocument = new TypedDocumentString(`
    query User($username: String!) {
  user(username: $username) {
    __typename
    ... on User {
      ...UserFields
    }
    ... on Error {
      status
      code
      message
    }
  }
}
    fragment UserFields on User {
  id
  username
  email
  firstName
  lastName
  createdAt
}`) as unknown as TypedDocumentString<UserQuery, UserQueryVariables>;
export const UsernameAvailableDocument = new TypedDocumentString(`
    query UsernameAvailable($username: String!) {
  usernameAvailable(username: $username) {
    __typename
    ... on UsernameAvailability {
      username
      available
      alternatives
    }
    ... on Error {
      status
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<UsernameAvailableQuery, UsernameAvailableQueryVariables>;
export const ViewerDocument = new TypedDocumentString(`
    query Viewer {
  viewer {
    expiresAt
    user {
      ...UserFields
    }
    group {
      ...GroupFields
    }
  }
}
    fragment UserFields on User {
  id
  username
  email
  firstName
  lastName
  createdAt
}
fragment GroupFields on Group {
  slug
  title
  isApiEnabled
  allowedDomains
  requireSignInConfirmation
}`) as unknown as TypedDocumentString<ViewerQuery, ViewerQueryVariables>;
export const ViewerMembersDocument = new TypedDocumentString(`
    query ViewerMembers($first: Int, $after: String) {
  viewer {
    group {
      members(first: $first, after: $after) {
        edges {
          cursor
          node {
            role
            joinedAt
            user {
              ...UserFields
            }
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
}
    fragment UserFields on User {
  id
  username
  email
  firstName
  lastName
  createdAt
}`) as unknown as TypedDocumentString<ViewerMembersQuery, ViewerMembersQueryVariables>;
export const WebhookEndpointsDocument = new TypedDocumentString(`
    query WebhookEndpoints($deliveries: Int) {
  webhookEndpoints {
    ...WebhookEndpointFields
    deliveries(first: $deliveries) {
      id
      eventId
      attempt
      attemptedAt
      status
      error
      nextAttemptAt
    }
  }
}
    fragment WebhookEndpointFields on WebhookEndpoint {
  id
  url
  types
  createdAt
  disabledAt
}`) as unknown as TypedDocumentString<WebhookEndpointsQuery, WebhookEndpointsQueryVariables>;