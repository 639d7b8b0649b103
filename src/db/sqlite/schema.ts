/** Drizzle tables for SQLite (the storage contract of API.md §6). Times are epoch milliseconds. */
import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const groups = sqliteTable(
  'groups',
  {
    id: text('id').primaryKey(),
    slug: text('slug').notNull(),
    title: text('title'),
    isApiEnabled: integer('is_api_enabled', { mode: 'boolean' }).notNull().default(true),
    allowedDomains: text('allowed_domains', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
    requireSignInConfirmation: integer('require_sign_in_confirmation', { mode: 'boolean' }).notNull().default(false),
    /** Whether an API token may mint sign-in links for the group's admins (API.md §17). */
    adminSignInWithApiToken: integer('admin_sign_in_with_api_token', { mode: 'boolean' }).notNull().default(true),
    /** The directory group whose members are the admins (API.md §18); null: roles are set one by one. */
    adminDirectoryGroupId: text('admin_directory_group_id'),
    createdAt: integer('created_at').notNull(),
    deletedAt: integer('deleted_at'),
  },
  // A deleted group keeps its row (its tokens answer GroupNotFound); its slug may be reused.
  (t) => [uniqueIndex('groups_live_slug').on(t.slug).where(sql`deleted_at IS NULL`)],
);

export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  username: text('username').notNull().unique('users_username'),
  email: text('email').notNull(),
  emailNormalized: text('email_normalized').notNull().unique('users_email_normalized'),
  firstName: text('first_name'),
  lastName: text('last_name'),
  createdAt: integer('created_at').notNull(),
});

export const memberships = sqliteTable(
  'memberships',
  {
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    role: text('role', { enum: ['member', 'admin'] }).notNull(),
    createdAt: integer('created_at').notNull(),
    /** When SCIM suspended the member (`active: false`, API.md §18); null while active. */
    suspendedAt: integer('suspended_at'),
  },
  (t) => [
    primaryKey({ columns: [t.groupId, t.userId] }),
    index('memberships_user').on(t.userId),
    index('memberships_group_joined').on(t.groupId, t.createdAt, t.userId),
    check('memberships_role', sql`role IN ('member', 'admin')`),
  ],
);

export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id),
    label: text('label'),
    tokenHash: text('token_hash').notNull().unique('api_tokens_hash'),
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at'),
    revokedAt: integer('revoked_at'),
    /** Made in a session signed in through this API token's sign-in link (null: not, or not in a session). */
    createdThroughApiTokenId: text('created_through_api_token_id'),
  },
  (t) => [index('api_tokens_group').on(t.groupId)],
);

export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull().unique('sessions_hash'),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    /** The API token whose sign-in link made the session (null: the CLI's login-link); revoking it ends the session. */
    apiTokenId: text('api_token_id').references(() => apiTokens.id),
  },
  (t) => [
    index('sessions_group_user').on(t.groupId, t.userId),
    index('sessions_expires').on(t.expiresAt),
    index('sessions_api_token').on(t.apiTokenId),
  ],
);

/** One row per SSO token already exchanged for a session: its `jti`, kept until the token expires. */
export const ssoTokenUses = sqliteTable(
  'sso_token_uses',
  {
    jti: text('jti').primaryKey(),
    usedAt: integer('used_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('sso_token_uses_expires').on(t.expiresAt)],
);

/** Server-wide values generated once, such as the SSO secret when SSO_SECRET is unset. */
export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

/**
 * The audit log and event feed (API.md §13). Writers take turns on SQLite, so `seq`
 * (never reused: AUTOINCREMENT) is the order in which events commit. Groups are
 * never removed (only marked deleted), so their events stay readable.
 */
export const events = sqliteTable(
  'events',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    // Unique by construction (UUIDv7): no index of its own, nothing looks an event up by it.
    id: text('id').notNull(),
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id),
    type: text('type').notNull(),
    occurredAt: integer('occurred_at').notNull(),
    actorType: text('actor_type').notNull(),
    actorId: text('actor_id'),
    actorName: text('actor_name'),
    targetType: text('target_type').notNull(),
    targetId: text('target_id').notNull(),
    targetName: text('target_name'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    requestId: text('request_id'),
    data: text('data').notNull(),
  },
  // The one index besides the table's own order: every event written pays for each
  // B-tree it touches. Retention purges by `seq`, whose order is the order in time.
  (t) => [index('events_group_seq').on(t.groupId, t.seq)],
);

/**
 * Idempotency keys (API.md §11): the outcome of each keyed write, per group, key and
 * field (the GraphQL response key, or the REST route), written in the same
 * transaction as the write it guards, and kept until `expires_at`.
 */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id),
    /** A hash of the group and the Idempotency-Key, never the key (src/domain/sealed-outcomes.ts). */
    key: text('key').notNull(),
    field: text('field').notNull(),
    /** An HMAC, under a key derived from the Idempotency-Key, of the request: the same key with another request is refused. */
    fingerprint: text('fingerprint').notNull(),
    /** The outcome a replay answers, sealed (AES-256-GCM) under a key derived from the Idempotency-Key. */
    outcome: text('outcome').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.key, t.field] }), index('idempotency_keys_expires').on(t.expiresAt)],
);

/**
 * Webhook endpoints (API.md §14) and their delivery state. The secret is kept as
 * is (the server signs with it). `cursor_seq` is the feed position of the last
 * event done (delivered or given up); `head_attempts` the attempts already made on
 * the next one. A process delivers to an endpoint only while it holds the lease
 * (`lease_owner` until `lease_until`), so each attempt is made by one process.
 * `cursor_tx` is always "0" here (PostgreSQL orders by transaction id too).
 */
export const webhookEndpoints = sqliteTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id),
    url: text('url').notNull(),
    /** A JSON array of event types; NULL for every type. */
    types: text('types'),
    secret: text('secret').notNull(),
    createdAt: integer('created_at').notNull(),
    disabledAt: integer('disabled_at'),
    deletedAt: integer('deleted_at'),
    cursorTx: text('cursor_tx').notNull().default('0'),
    cursorSeq: integer('cursor_seq').notNull(),
    /**
     * PostgreSQL: the snapshot (`xmin:xmax:in-progress`) the endpoint was created in,
     * its own transaction counted as in progress. Events of transactions it shows as
     * committed came before the endpoint and are skipped. NULL on SQLite, where the
     * cursor alone is exact.
     */
    startSnapshot: text('start_snapshot'),
    headAttempts: integer('head_attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at'),
    leaseOwner: text('lease_owner'),
    leaseUntil: integer('lease_until'),
  },
  (t) => [index('webhook_endpoints_group').on(t.groupId)],
);

/** Every delivery attempt, for `WebhookEndpoint.deliveries`; purged with the events they carried. */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id),
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    attempt: integer('attempt').notNull(),
    attemptedAt: integer('attempted_at').notNull(),
    status: integer('status'),
    error: text('error'),
    nextAttemptAt: integer('next_attempt_at'),
  },
  (t) => [index('webhook_deliveries_endpoint').on(t.endpointId, t.attemptedAt), index('webhook_deliveries_attempted').on(t.attemptedAt)],
);

/**
 * What a group's identity provider keeps of a member through SCIM (API.md §18): the
 * `userName` as sent (unique in the group by its lower-case key), `externalId`, and
 * the `emails` list as sent (JSON). A member SCIM never wrote has no row.
 */
export const scimUsers = sqliteTable(
  'scim_users',
  {
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    userName: text('user_name').notNull(),
    userNameKey: text('user_name_key').notNull(),
    externalId: text('external_id'),
    emails: text('emails').notNull().default('[]'),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.groupId, t.userId] }),
    uniqueIndex('scim_users_user_name').on(t.groupId, t.userNameKey),
    index('scim_users_external_id').on(t.groupId, t.externalId),
  ],
);

/** Directory groups (SCIM Groups, API.md §18): named sets of a group's members, as the identity provider keeps them. */
export const directoryGroups = sqliteTable(
  'directory_groups',
  {
    id: text('id').primaryKey(),
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id),
    displayName: text('display_name').notNull(),
    displayNameKey: text('display_name_key').notNull(),
    externalId: text('external_id'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('directory_groups_display_name').on(t.groupId, t.displayNameKey),
    index('directory_groups_external_id').on(t.groupId, t.externalId),
  ],
);

export const directoryGroupMembers = sqliteTable(
  'directory_group_members',
  {
    directoryGroupId: text('directory_group_id')
      .notNull()
      .references(() => directoryGroups.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
  },
  (t) => [primaryKey({ columns: [t.directoryGroupId, t.userId] }), index('directory_group_members_user').on(t.userId)],
);

/** Every address of a member's SCIM `emails`, lower-cased: what an `emails eq` filter looks up (API.md §18). */
export const scimEmails = sqliteTable(
  'scim_emails',
  {
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id),
    valueKey: text('value_key').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.valueKey, t.userId] })],
);
