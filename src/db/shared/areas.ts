/** How a dialect's store is put together from its area files, one implementation of each area's port. */
import type {
  ApiTokenStore,
  EventStore,
  GroupStore,
  IdempotencyStore,
  MemberStore,
  SessionStore,
  SettingStore,
  SsoTokenStore,
  StoreAreas,
  UserStore,
  WebhookStore,
} from '../store.ts';

/** Each area's implementation, built over the dialect's connection `C`. */
export interface AreaFactories<C> {
  settings(c: C): SettingStore;
  groups(c: C): GroupStore;
  users(c: C): UserStore;
  members(c: C): MemberStore;
  apiTokens(c: C): ApiTokenStore;
  events(c: C): EventStore;
  idempotency(c: C): IdempotencyStore;
  sessions(c: C): SessionStore;
  ssoTokens(c: C): SsoTokenStore;
  webhooks(c: C): WebhookStore;
}

/** Every area's methods over one connection: what a store assigns to itself. */
export function composeAreas<C>(c: C, factories: AreaFactories<C>): StoreAreas {
  return Object.assign({}, ...Object.values(factories).map((area: (c: C) => object) => area(c)));
}
