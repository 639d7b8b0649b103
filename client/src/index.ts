/** @team-api/client: a typed client for the Team API. */
export { TeamApiClient, type TeamApiClientOptions } from './client.js';
export type { CallOptions, CreateSSOTokenOptions, EventsOptions, PageOptions, WriteOptions } from './options.js';
export {
  type ErrorEnvelope,
  type GraphQLErrorJson,
  TeamApiError,
  type TeamApiFailure,
  TeamApiNetworkError,
  TeamApiResponseError,
} from './errors.js';
export type { EventFeedOptions, FeedEvent } from './event-feed.js';
export type { Fetch, ResponseEvent, RetryEvent } from './requests.js';
export { DEFAULT_RETRIES, type Retries, type RetryOptions } from './retries.js';
export * from './types.js';
