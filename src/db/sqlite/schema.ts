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
