/** How a dialect's store is put together from its area files, one implementation of each area's port. */
import type {
  ApiTokenStore,
  EventStore,
  GroupStore,
  IdempotencyStore,
  MemberStore,
  ScimStore,
  SessionStore,
  SettingStore,
  SsoTokenStore,
  StoreAreas,
  UserStore,
  KeyedWrites,
  Remember,
  WebhookStore,
} from '../store.ts';

/**
 * Each area's implementation, built over the dialect's connection `C`. An area
 * with keyed writes is built with the key's `remember` for a keyed view of the
 * store (`Store.keyed`): its units of work claim and settle that key.
 */
export interface AreaFactories<C> {
  settings(c: C): SettingStore;
  groups(c: C): GroupStore;
  users(c: C, remember?: Remember<any>): UserStore;
  members(c: C, remember?: Remember<any>): MemberStore;
  apiTokens(c: C, remember?: Remember<any>): ApiTokenStore;
  events(c: C, remember?: Remember<any>): EventStore;
  idempotency(c: C): IdempotencyStore;
  sessions(c: C): SessionStore;
  ssoTokens(c: C): SsoTokenStore;
  webhooks(c: C, remember?: Remember<any>): WebhookStore;
  scim(c: C): ScimStore;
}

/** Every area's methods over one connection: what a store assigns to itself. */
export function composeAreas<C>(c: C, factories: AreaFactories<C>): StoreAreas {
  return Object.assign({}, ...Object.values(factories).map((area: (c: C) => object) => area(c)));
}

/**
 * The keyed writes under `remember`'s key, or, without one, the store itself. A
 * keyed write is one call: only the area it is in is built for it (its statements
 * are the connection's, prepared once).
 */
export function keyedView<C>(store: StoreAreas, c: C, factories: AreaFactories<C>, remember: Remember<any> | undefined): KeyedWrites {
  if (!remember) return store;
  const { users, members, apiTokens, events, webhooks } = factories;
  return {
    insertUsers: (...args) => users(c, remember).insertUsers(...args),
    removeMembership: (...args) => members(c, remember).removeMembership(...args),
    insertApiToken: (...args) => apiTokens(c, remember).insertApiToken(...args),
    recordEvents: (...args) => events(c, remember).recordEvents(...args),
    insertWebhookEndpoint: (...args) => webhooks(c, remember).insertWebhookEndpoint(...args),
    deleteWebhookEndpoint: (...args) => webhooks(c, remember).deleteWebhookEndpoint(...args),
  };
}
