/**
 * Drizzle tables for PostgreSQL: the same tables, columns and constraint names as
 * the SQLite schema (API.md §6). Times are epoch milliseconds in bigint columns.
 */
import { sql } from 'drizzle-orm';
import { bigint, boolean, check, customType, index, integer, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';

const epochMs = (name: string) => bigint(name, { mode: 'number' });

export const groups = pgTable(
  'groups',
  {
    id: text('id').primaryKey(),
    slug: text('slug').notNull(),
    title: text('title'),
    isApiEnabled: boolean('is_api_enabled').notNull().default(true),
    allowedDomains: text('allowed_domains').array().notNull().default(sql`'{}'::text[]`),
    requireSignInConfirmation: boolean('require_sign_in_confirmation').notNull().default(false),
    /** Whether an API token may mint sign-in links for the group's admins (API.md §17). */
    adminSignInWithApiToken: boolean('admin_sign_in_with_api_token').notNull().default(true),
    /** The directory group whose members are the admins (API.md §18); null: roles are set one by one. */
    adminDirectoryGroupId: text('admin_directory_group_id'),
    createdAt: epochMs('created_at').notNull(),
    deletedAt: epochMs('deleted_at'),
  },
  // A deleted group keeps its row (its tokens answer GroupNotFound); its slug may be reused.
  (t) => [uniqueIndex('groups_live_slug').on(t.slug).where(sql`deleted_at IS NULL`)],
);

export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    // Constraint names are what the store maps a unique violation (23505) by.
    username: text('username').notNull().unique('users_username'),
    email: text('email').notNull(),
    emailNormalized: text('email_normalized').notNull().unique('users_email_normalized'),
    firstName: text('first_name'),
    lastName: text('last_name'),
    createdAt: epochMs('created_at').notNull(),
  },
  // Username prefix search (`LIKE 'ab%'`): the unique index serves it only under the C
  // collation, this one under any (SQLite compares bytes, so its unique index does).
  (t) => [index('users_username_prefix').on(t.username.op('text_pattern_ops'))],
);

export const memberships = pgTable(
  'memberships',
  {
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    role: text('role', { enum: ['member', 'admin'] }).notNull(),
    createdAt: epochMs('created_at').notNull(),
    /** When SCIM suspended the member (`active: false`, API.md §18); null while active. */
    suspendedAt: epochMs('suspended_at'),
  },
  (t) => [
    primaryKey({ name: 'memberships_pkey', columns: [t.groupId, t.userId] }),
    index('memberships_user').on(t.userId),
    index('memberships_group_joined').on(t.groupId, t.createdAt, t.userId),
    check('memberships_role', sql`role IN ('member', 'admin')`),
  ],
);

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id),
    label: text('label'),
    tokenHash: text('token_hash').notNull().unique('api_tokens_hash'),
    createdAt: epochMs('created_at').notNull(),
    lastUsedAt: epochMs('last_used_at'),
    revokedAt: epochMs('revoked_at'),
    /** Made in a session signed in through this API token's sign-in link (null: not, or not in a session). */
    createdThroughApiTokenId: text('created_through_api_token_id'),
  },
  (t) => [index('api_tokens_group').on(t.groupId)],
);

export const sessions = pgTable(
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
    createdAt: epochMs('created_at').notNull(),
    expiresAt: epochMs('expires_at').notNull(),
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
export const ssoTokenUses = pgTable(
  'sso_token_uses',
  {
    jti: text('jti').primaryKey(),
    usedAt: epochMs('used_at').notNull(),
    expiresAt: epochMs('expires_at').notNull(),
  },
  (t) => [index('sso_token_uses_expires').on(t.expiresAt)],
);

/** Server-wide values generated once, such as the SSO secret when SSO_SECRET is unset. */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

/** A transaction id (64-bit, never wraps), read and written as its decimal text. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });

/**
 * The audit log and event feed (API.md §13). `seq` alone is not the commit order
 * here: a transaction can take a sequence number and commit after a higher one
 * was read. The feed orders by (tx, seq) and lists an event only once every
 * transaction older than its own has ended, so a cursor never skips one.
 */
export const events = pgTable(
  'events',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    tx: xid8('tx').notNull().default(sql`pg_current_xact_id()`),
    // Unique by construction (UUIDv7): no index of its own, nothing looks an event up by it.
    id: text('id').notNull(),
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id),
    type: text('type').notNull(),
    occurredAt: epochMs('occurred_at').notNull(),
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
  // The one index besides the primary key: every event written pays for each B-tree it
  // touches. Retention purges by `seq`, whose order is the order in time.
  (t) => [index('events_group_position').on(t.groupId, t.tx, t.seq)],
);

/**
 * Idempotency keys (API.md §11): the outcome of each keyed write, per group, key and
 * field, written in the same transaction as the write it guards.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id),
    key: text('key').notNull(),
    field: text('field').notNull(),
    fingerprint: text('fingerprint').notNull(),
    outcome: text('outcome').notNull(),
    createdAt: epochMs('created_at').notNull(),
    expiresAt: epochMs('expires_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'idempotency_keys_pkey', columns: [t.groupId, t.key, t.field] }),
    index('idempotency_keys_expires').on(t.expiresAt),
  ],
);

/**
 * Webhook endpoints (API.md §14) and their delivery state. The secret is kept as
 * is (the server signs with it). (`cursor_tx`, `cursor_seq`) is the feed position
 * of the last event done (delivered or given up); `head_attempts` the attempts
 * already made on the next one. An instance delivers to an endpoint only while it
 * holds the lease (`lease_owner` until `lease_until`, database time), so each
 * attempt is made by one instance.
 */
export const webhookEndpoints = pgTable(
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
    createdAt: epochMs('created_at').notNull(),
    disabledAt: epochMs('disabled_at'),
    deletedAt: epochMs('deleted_at'),
    cursorTx: xid8('cursor_tx').notNull().default(sql`'0'::xid8`),
    cursorSeq: bigint('cursor_seq', { mode: 'number' }).notNull(),
    /**
     * PostgreSQL: the snapshot (`xmin:xmax:in-progress`) the endpoint was created in,
     * its own transaction counted as in progress. Events of transactions it shows as
     * committed came before the endpoint and are skipped. NULL on SQLite, where the
     * cursor alone is exact.
     */
    startSnapshot: text('start_snapshot'),
    headAttempts: integer('head_attempts').notNull().default(0),
    nextAttemptAt: epochMs('next_attempt_at'),
    leaseOwner: text('lease_owner'),
    leaseUntil: epochMs('lease_until'),
  },
  (t) => [index('webhook_endpoints_group').on(t.groupId)],
);

/** Every delivery attempt, for `WebhookEndpoint.deliveries`; purged with the events they carried. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id),
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    attempt: integer('attempt').notNull(),
    attemptedAt: epochMs('attempted_at').notNull(),
    status: integer('status'),
    error: text('error'),
    nextAttemptAt: epochMs('next_attempt_at'),
  },
  (t) => [index('webhook_deliveries_endpoint').on(t.endpointId, t.attemptedAt), index('webhook_deliveries_attempted').on(t.attemptedAt)],
);

/** What a group's identity provider keeps of a member through SCIM (API.md §18); see the SQLite schema. */
export const scimUsers = pgTable(
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
    updatedAt: epochMs('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'scim_users_pkey', columns: [t.groupId, t.userId] }),
    uniqueIndex('scim_users_user_name').on(t.groupId, t.userNameKey),
    index('scim_users_external_id').on(t.groupId, t.externalId),
  ],
);

/** Directory groups (SCIM Groups, API.md §18). */
export const directoryGroups = pgTable(
  'directory_groups',
  {
    id: text('id').primaryKey(),
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id),
    displayName: text('display_name').notNull(),
    displayNameKey: text('display_name_key').notNull(),
    externalId: text('external_id'),
    createdAt: epochMs('created_at').notNull(),
    updatedAt: epochMs('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('directory_groups_display_name').on(t.groupId, t.displayNameKey),
    index('directory_groups_external_id').on(t.groupId, t.externalId),
  ],
);

export const directoryGroupMembers = pgTable(
  'directory_group_members',
  {
    directoryGroupId: text('directory_group_id')
      .notNull()
      .references(() => directoryGroups.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
  },
  (t) => [
    primaryKey({ name: 'directory_group_members_pkey', columns: [t.directoryGroupId, t.userId] }),
    index('directory_group_members_user').on(t.userId),
  ],
);

/** Every address of a member's SCIM `emails`, lower-cased: what an `emails eq` filter looks up (API.md §18). */
export const scimEmails = pgTable(
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
  (t) => [primaryKey({ name: 'scim_emails_pkey', columns: [t.groupId, t.valueKey, t.userId] })],
);
