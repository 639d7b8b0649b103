/**
 * The storage port: everything the services need from a database, as whole units
 * of work, one interface per area (ports/). Each write method is one transaction.
 * The two implementations, SQLite (sqlite/) and PostgreSQL (postgres/), hold all
 * dialect-specific code; services never see SQL or a driver.
 */
import type { ApiTokenStore } from './ports/api-tokens.ts';
import type { EventStore } from './ports/events.ts';
import type { GroupStore } from './ports/groups.ts';
import type { IdempotencyStore, Remember } from './ports/idempotency.ts';
import type { MemberStore } from './ports/members.ts';
import type { ScimStore } from './ports/scim.ts';
import type { SessionStore } from './ports/sessions.ts';
import type { SettingStore } from './ports/settings.ts';
import type { SsoTokenStore } from './ports/sso-tokens.ts';
import type { UserStore } from './ports/users.ts';
import type { WebhookStore } from './ports/webhooks.ts';

export type * from './ports/api-tokens.ts';
export type * from './ports/events.ts';
export type * from './ports/groups.ts';
export * from './ports/idempotency.ts';
export type * from './ports/members.ts';
export type * from './ports/records.ts';
export type * from './ports/scim.ts';
export type * from './ports/sessions.ts';
export type * from './ports/settings.ts';
export type * from './ports/sso-tokens.ts';
export type * from './ports/users.ts';
export type * from './ports/webhooks.ts';

/** A storage failure while writing: services map it to the operation's documented error. */
export class StorageWriteError extends Error {
  constructor(cause: unknown) {
    super('storage write failed', { cause });
  }
}

/** What a store has in use right now, read by the metrics at each scrape. */
export type StoreUsage =
  | {
      dialect: 'postgres';
      /** The connection pool: its ceiling, connections open, of them idle, and queries waiting for one. */
      pool: { max: number; total: number; idle: number; waiting: number };
    }
  | {
      dialect: 'sqlite';
      /** Group commit: units of work queued for the next commit, commits so far, units they committed. */
      writeQueue: { pending: number; commits: number; units: number };
    };

/** Every area's methods, without the store's own life: what a dialect's area files together provide. */
export interface StoreAreas
  extends SettingStore,
    GroupStore,
    UserStore,
    MemberStore,
    ApiTokenStore,
    EventStore,
    IdempotencyStore,
    SessionStore,
    SsoTokenStore,
    WebhookStore,
    ScimStore {}

/** The writes that can run under an idempotency key (API.md §11). */
export type KeyedWrites = Pick<
  StoreAreas,
  'insertUsers' | 'insertApiToken' | 'removeMembership' | 'recordEvents' | 'insertWebhookEndpoint' | 'deleteWebhookEndpoint'
>;

/**
 * Every write method takes the events of its change (or a function building them
 * from what the transaction found) and writes them in the same transaction: if
 * the change commits, so do its events, and never the other way round. A write
 * that changes nothing writes no event.
 */
export interface Store extends StoreAreas {
  /** Which engine this is, for logs and health output. */
  readonly dialect: 'sqlite' | 'postgres';
  ping(): Promise<void>;
  /** Commits what is queued, then releases the database. */
  close(): Promise<void>;
  usage(): StoreUsage;
  /**
   * The keyed writes under `remember`'s key: each one's unit of work claims the key
   * first (IdempotentReplay, with nothing written, when it holds an outcome already)
   * and remembers the outcome, from what it found, with the change. Without a key,
   * the store itself.
   */
  keyed(remember: Remember<any> | undefined): KeyedWrites;
}
