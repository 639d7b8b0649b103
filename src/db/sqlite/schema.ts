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
  },
  (t) => [index('sessions_group_user').on(t.groupId, t.userId), index('sessions_expires').on(t.expiresAt)],
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
    id: text('id').notNull().unique('events_id'),
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
  (t) => [index('events_group_seq').on(t.groupId, t.seq), index('events_occurred').on(t.occurredAt)],
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
    key: text('key').notNull(),
    field: text('field').notNull(),
    /** SHA-256 of the request (route, query, variables, operation name): the same key with another request is refused. */
    fingerprint: text('fingerprint').notNull(),
    /** The outcome as JSON: what a replay answers. */
    outcome: text('outcome').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.key, t.field] }), index('idempotency_keys_expires').on(t.expiresAt)],
);
