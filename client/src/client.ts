/** The client: one method per operation of the API, each answering its result as the schema types it. */
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
import { readEventFeed, type EventFeedOptions, type FeedEvent } from './event-feed.js';
import {
  ApiTokensDocument,
  CreateApiTokenDocument,
  CreateSsoTokenDocument,
  CreateUserDocument,
  CreateUsersDocument,
  CreateWebhookEndpointDocument,
  DeleteWebhookEndpointDocument,
  EventsDocument,
  GroupDocument,
  GroupMembersDocument,
  LoginWithSsoDocument,
  LogoutDocument,
  RemoveMemberDocument,
  RevokeApiTokenDocument,
  RevokeSessionDocument,
  SessionsDocument,
  UpdateGroupDocument,
  UserDocument,
  UsernameAvailableDocument,
  ViewerDocument,
  ViewerMembersDocument,
  WebhookEndpointsDocument,
} from './generated/graphql.js';
import type { CallOptions, CreateSSOTokenOptions, EventsOptions, PageOptions, WriteOptions } from './options.js';
import { type Fetch, type Operation, type ResponseEvent, type RetryEvent, send, type Transport } from './requests.js';
import { type Retries, type RetryClass, retryOptions } from './retries.js';
import type {
  ApiToken,
  CreateApiTokenResult,
  CreateSSOTokenResult,
  CreateUserInput,
  CreateUserResult,
  CreateWebhookEndpointResult,
  DeleteWebhookEndpointResult,
  EventConnection,
  Group,
  LoginWithSSOResult,
  MemberConnection,
  RemoveMemberResult,
  RevokeApiTokenResult,
  RevokeSessionResult,
  Session,
  SessionInfo,
  UpdateGroupInput,
  UpdateGroupResult,
  UserResult,
  UsernameAvailabilityResult,
  WebhookEndpointWithDeliveries,
} from './types.js';

export interface TeamApiClientOptions {
  /** The GraphQL endpoint, e.g. `https://api.example.com/graphql`, or a group's own `https://acme.example.com/graphql`. */
  url: string;
  /** An API token of a group (`tapi_…`): the group's backend. Sent as `Authorization: Bearer`. */
  apiToken?: string;
  /**
   * A session token (from `loginWithSSO`): a signed-in user, an admin for the admin
   * operations. Sent as the `session` cookie, so `url` must be on the session's group's
   * domain. In a browser, leave it out and set `credentials: 'include'` instead.
   */
  sessionToken?: string;
  /** Passed to `fetch`: `'include'` sends the browser's own session cookie. */
  credentials?: RequestCredentials;
  /** The `fetch` to call; the platform's by default. */
  fetch?: Fetch;
  /** How failed attempts are retried (see the README); `false` sends each request once. */
  retries?: Retries;
  /** Each attempt's time limit (default 30 000 ms); an attempt that runs over is a network error. */
  timeoutMs?: number;
  /** Sent with every request (e.g. `X-Request-Id`, a `User-Agent`). */
  headers?: Record<string, string>;
  /** Told before each retry. */
  onRetry?: (event: RetryEvent) => void;
  /** Told of each answered call (its `X-Request-Id`, whether it was a replay). */
  onResponse?: (event: ResponseEvent) => void;
}

/**
 * The writes the server runs once per `Idempotency-Key` when they come with an API
 * token (API.md §11): retried on any failure that leaves their outcome unknown.
 */
const KEYED_WRITES: ReadonlySet<string> = new Set([
  'createUser',
  'createUsers',
  'createSSOToken',
  'removeMember',
  'createWebhookEndpoint',
  'deleteWebhookEndpoint',
]);

export class TeamApiClient {
  private readonly options: Readonly<TeamApiClientOptions>;
  private readonly transport: Transport;

  constructor(options: TeamApiClientOptions) {
    if (options.apiToken !== undefined && options.sessionToken !== undefined) {
      // The server takes the API token and ignores the cookie: one request is one caller.
      throw new TypeError('give a TeamApiClient an apiToken or a sessionToken, not both');
    }
    retryOptions(options.retries); // Refuses bad retry options now rather than on the first call.
    this.options = { ...options };
    const headers: Record<string, string> = { ...options.headers };
    if (options.apiToken !== undefined) headers.authorization = `Bearer ${options.apiToken}`;
    if (options.sessionToken !== undefined) headers.cookie = `session=${options.sessionToken}`;
    const platformFetch: Fetch = (input, init) => globalThis.fetch(input, init);
    this.transport = {
      url: options.url,
      fetch: options.fetch ?? platformFetch,
      headers,
      credentials: options.credentials,
      timeoutMs: options.timeoutMs ?? 30_000,
      onRetry: options.onRetry,
      onResponse: options.onResponse,
    };
  }

  /**
   * A client like this one with some options changed, e.g. signed in after a login:
   * `client.withOptions({ apiToken: undefined, sessionToken: session.token })`.
   */
  withOptions(changes: Partial<TeamApiClientOptions>): TeamApiClient {
    return new TeamApiClient({ ...this.options, ...changes });
  }

  // ---- Provisioning and sign-in (API.md §3, §12) ----

  /** Creates a user in the API token's group. Keyed: retried with its key until answered. */
  async createUser(input: CreateUserInput, options: WriteOptions = {}): Promise<CreateUserResult> {
    return (await this.write('createUser', CreateUserDocument, { input }, options)).createUser;
  }

  /** Creates 1 to 1000 users in one transaction: one result per input, in order. Keyed. */
  async createUsers(inputs: CreateUserInput[], options: WriteOptions = {}): Promise<CreateUserResult[]> {
    return (await this.write('createUsers', CreateUsersDocument, { inputs }, options)).createUsers;
  }

  /** Mints a single-use sign-in token, and its login URL, for a member of the API token's group. Keyed. */
  async createSSOToken(username: string, options: CreateSSOTokenOptions = {}): Promise<CreateSSOTokenResult> {
    const { redirectTo, requireConfirmation, ...call } = options;
    return (await this.write('createSSOToken', CreateSsoTokenDocument, { username, redirectTo, requireConfirmation }, call))
      .createSSOToken;
  }

  /**
   * Exchanges an SSO token for a session; `url` must be on the token's group's domain.
   * The session's `token` is in this result only: pass it as `sessionToken` to act as
   * that user. The token is single use, so this is retried only when surely not sent.
   */
  async loginWithSSO(token: string, options: WriteOptions = {}): Promise<LoginWithSSOResult> {
    return (await this.write('loginWithSSO', LoginWithSsoDocument, { token }, options)).loginWithSSO;
  }

  /** Ends the session of the client's `sessionToken` (or the browser's cookie); true when one was ended. */
  async logout(options: WriteOptions = {}): Promise<boolean> {
    return (await this.write('logout', LogoutDocument, {}, options)).logout;
  }

  /** The signed-in session on this domain, or null. */
  async viewer(options: CallOptions = {}): Promise<Session | null> {
    return (await this.read(ViewerDocument, {}, options)).viewer;
  }

  /** The API token's group. */
  async group(options: CallOptions = {}): Promise<Group | null> {
    return (await this.read(GroupDocument, {}, options)).group;
  }

  /** A member of the caller's group (API token or admin). */
  async user(username: string, options: CallOptions = {}): Promise<UserResult> {
    return (await this.read(UserDocument, { username }, options)).user;
  }

  /** Whether a username is free across the service, with alternatives when it is not (API token or admin). */
  async usernameAvailable(username: string, options: CallOptions = {}): Promise<UsernameAvailabilityResult> {
    return (await this.read(UsernameAvailableDocument, { username }, options)).usernameAvailable;
  }

  /**
   * A page of the group's members, oldest first: the API token's group, or the
   * signed-in admin's. Null when there is no such group (signed out).
   */
  async members(page: PageOptions = {}, options: CallOptions = {}): Promise<MemberConnection | null> {
    const variables = { first: page.first, after: page.after };
    if (this.options.apiToken !== undefined) return (await this.read(GroupMembersDocument, variables, options)).group?.members ?? null;
    return (await this.read(ViewerMembersDocument, variables, options)).viewer?.group.members ?? null;
  }

  /** A page of the group's events, oldest first (API token or admin). See `eventFeed` to follow them. */
  async events(query: EventsOptions = {}, options: CallOptions = {}): Promise<EventConnection> {
    const { first, after, types, since } = query;
    return (await this.read(EventsDocument, { first, after, types, since }, options)).events;
  }

  /**
   * The group's events, one at a time, oldest first, page after page from `after`:
   * `for await (const event of client.eventFeed({ after: saved }))`. Each event
   * carries its `cursor`: save it once the event is applied, and pass it as `after`
   * to resume. With `follow`, it keeps asking for new events every `pollIntervalMs`
   * until `signal` aborts, which ends the loop.
   */
  eventFeed(options: EventFeedOptions = {}): AsyncGenerator<FeedEvent, void, undefined> {
    return readEventFeed((query, call) => this.events(query, call), options);
  }

  // ---- Administration (API.md §8, §14) ----

  /** The group's API tokens, revoked ones included (admin). */
  async apiTokens(options: CallOptions = {}): Promise<ApiToken[]> {
    return (await this.read(ApiTokensDocument, {}, options)).apiTokens;
  }

  /** Mints an API token; its secret is in this result only (admin). */
  async createApiToken(label?: string, options: WriteOptions = {}): Promise<CreateApiTokenResult> {
    return (await this.write('createApiToken', CreateApiTokenDocument, { label }, options)).createApiToken;
  }

  /** Revokes an API token of the group (admin). */
  async revokeApiToken(id: string, options: WriteOptions = {}): Promise<RevokeApiTokenResult> {
    return (await this.write('revokeApiToken', RevokeApiTokenDocument, { id }, options)).revokeApiToken;
  }

  /** Changes the group's settings; only the fields given change (admin). */
  async updateGroup(input: UpdateGroupInput, options: WriteOptions = {}): Promise<UpdateGroupResult> {
    return (await this.write('updateGroup', UpdateGroupDocument, { input }, options)).updateGroup;
  }

  /** Removes a member and ends their sessions in the group (API token or admin; keyed with an API token). */
  async removeMember(username: string, options: WriteOptions = {}): Promise<RemoveMemberResult> {
    return (await this.write('removeMember', RemoveMemberDocument, { username }, options)).removeMember;
  }

  /** A page of the group's live sessions, oldest first: pass the last one's `cursor` as `after` (admin). */
  async sessions(page: PageOptions = {}, options: CallOptions = {}): Promise<SessionInfo[]> {
    return (await this.read(SessionsDocument, { first: page.first, after: page.after }, options)).sessions;
  }

  /** Ends one of the group's sessions (admin). */
  async revokeSession(id: string, options: WriteOptions = {}): Promise<RevokeSessionResult> {
    return (await this.write('revokeSession', RevokeSessionDocument, { id }, options)).revokeSession;
  }

  /** The group's webhook endpoints, each with its latest `deliveries` attempts (default 20) (API token or admin). */
  async webhookEndpoints(query: { deliveries?: number } = {}, options: CallOptions = {}): Promise<WebhookEndpointWithDeliveries[]> {
    return (await this.read(WebhookEndpointsDocument, { deliveries: query.deliveries }, options)).webhookEndpoints;
  }

  /** Adds a webhook endpoint for these event types (every type when left out); its secret is in this result only. */
  async createWebhookEndpoint(url: string, types?: string[], options: WriteOptions = {}): Promise<CreateWebhookEndpointResult> {
    return (await this.write('createWebhookEndpoint', CreateWebhookEndpointDocument, { url, types }, options)).createWebhookEndpoint;
  }

  /** Deletes a webhook endpoint of the group (API token or admin). */
  async deleteWebhookEndpoint(id: string, options: WriteOptions = {}): Promise<DeleteWebhookEndpointResult> {
    return (await this.write('deleteWebhookEndpoint', DeleteWebhookEndpointDocument, { id }, options)).deleteWebhookEndpoint;
  }

  // ---- Sending ----

  private read<TResult, TVariables>(
    document: DocumentTypeDecoration<TResult, TVariables>,
    variables: TVariables,
    options: CallOptions,
  ): Promise<TResult> {
    return send(this.transport, this.operation(document, variables, 'read', null, options));
  }

  private write<TResult, TVariables>(
    field: string,
    document: DocumentTypeDecoration<TResult, TVariables>,
    variables: TVariables,
    options: WriteOptions,
  ): Promise<TResult> {
    // The server keeps keys for API-token writes only; others are retried only when surely not run.
    const keyed = KEYED_WRITES.has(field) && this.options.apiToken !== undefined;
    const key = options.idempotencyKey ?? globalThis.crypto.randomUUID();
    return send(this.transport, this.operation(document, variables, keyed ? 'keyed' : 'write', key, options));
  }

  private operation<TResult, TVariables>(
    document: DocumentTypeDecoration<TResult, TVariables>,
    variables: TVariables,
    retryClass: RetryClass,
    idempotencyKey: string | null,
    options: CallOptions,
  ): Operation<TResult, TVariables> {
    return {
      document,
      variables,
      retryClass,
      retries: retryOptions(this.options.retries, options.retries),
      idempotencyKey,
      headers: options.headers,
      signal: options.signal,
    };
  }
}
