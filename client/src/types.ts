/**
 * The client's result types, named as the schema names them and derived from the
 * generated operation types, so that they follow schema.graphql and the documents.
 */
import type {
  ApiTokenFieldsFragment,
  CreateApiTokenMutation,
  CreateSsoTokenMutation,
  CreateUserMutation,
  CreateWebhookEndpointMutation,
  DeleteWebhookEndpointMutation,
  ErrorCode,
  EventFieldsFragment,
  EventsQuery,
  GroupFieldsFragment,
  GroupMembersQuery,
  LoginWithSsoMutation,
  RemoveMemberMutation,
  RevokeApiTokenMutation,
  RevokeSessionMutation,
  SessionsQuery,
  UpdateGroupMutation,
  UserFieldsFragment,
  UsernameAvailableQuery,
  UserQuery,
  ViewerQuery,
  WebhookEndpointFieldsFragment,
  WebhookEndpointsQuery,
} from './generated/graphql.js';

export type { CreateUserInput, ErrorCode, EventActorType, MemberRole, UpdateGroupInput } from './generated/graphql.js';

// Result unions: discriminated on `__typename`; every error member has `status`, `code`, `message`.
export type CreateUserResult = CreateUserMutation['createUser'];
export type CreateSSOTokenResult = CreateSsoTokenMutation['createSSOToken'];
export type LoginWithSSOResult = LoginWithSsoMutation['loginWithSSO'];
export type UserResult = UserQuery['user'];
export type UsernameAvailabilityResult = UsernameAvailableQuery['usernameAvailable'];
export type CreateApiTokenResult = CreateApiTokenMutation['createApiToken'];
export type RevokeApiTokenResult = RevokeApiTokenMutation['revokeApiToken'];
export type UpdateGroupResult = UpdateGroupMutation['updateGroup'];
export type RemoveMemberResult = RemoveMemberMutation['removeMember'];
export type RevokeSessionResult = RevokeSessionMutation['revokeSession'];
export type CreateWebhookEndpointResult = CreateWebhookEndpointMutation['createWebhookEndpoint'];
export type DeleteWebhookEndpointResult = DeleteWebhookEndpointMutation['deleteWebhookEndpoint'];

// The objects the operations return.
export type User = UserFieldsFragment;
export type Group = GroupFieldsFragment;
export type ApiToken = ApiTokenFieldsFragment;
export type Event = EventFieldsFragment;
export type EventConnection = EventsQuery['events'];
export type MemberConnection = NonNullable<GroupMembersQuery['group']>['members'];
export type Member = MemberConnection['edges'][number]['node'];
/** A session as `viewer` shows it (never its secret). */
export type Session = NonNullable<ViewerQuery['viewer']>;
/** The session a login created, with its `token`, shown this once. */
export type SignedInSession = Extract<LoginWithSSOResult, { __typename: 'LoginWithSSOSuccess' }>['session'];
export type SessionInfo = SessionsQuery['sessions'][number];
export type WebhookEndpoint = WebhookEndpointFieldsFragment;
export type WebhookEndpointWithDeliveries = WebhookEndpointsQuery['webhookEndpoints'][number];
export type WebhookDelivery = WebhookEndpointWithDeliveries['deliveries'][number];

/** The error members of a result union. */
export type ErrorResult<R> = Extract<R, { code: ErrorCode }>;

/** True for an error member of a result union (anything implementing the schema's `Error`). */
export function isErrorResult<R extends { __typename: string }>(result: R): result is ErrorResult<R> {
  return 'code' in result && typeof (result as { code?: unknown }).code === 'string';
}

/**
 * For the `default` branch of an exhaustive `switch` over `__typename`: it compiles
 * only when every member is handled, so regenerating the client against a schema
 * whose union gained a member points at each switch to extend. At run time (an
 * older build meeting a newer server) it throws, naming the member.
 */
export function assertNever(value: never): never {
  const typename = (value as { __typename?: unknown } | null)?.__typename;
  throw new Error(
    typeof typename === 'string' ? `Unhandled result member ${typename}` : `Unhandled value ${JSON.stringify(value)}`,
  );
}
