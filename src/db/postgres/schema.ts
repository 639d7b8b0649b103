/**
 * Drizzle tables for PostgreSQL: the same tables, columns and constraint names as
 * the SQLite schema (API.md §6). Times are epoch milliseconds in bigint columns.
 */
import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';

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
    createdAt: epochMs('created_at').notNull(),
    deletedAt: epochMs('deleted_at'),
  },
  // A deleted group keeps its row (its tokens answer GroupNotFound); its slug may be reused.
  (t) => [uniqueIndex('groups_live_slug').on(t.slug).where(sql`deleted_at IS NULL`)],
);

export const users = pgTable('users', {
  id: text('id').primaryKey(),
  // Constraint names are what the store maps a unique violation (23505) by.
  username: text('username').notNull().unique('users_username'),
  email: text('email').notNull(),
  emailNormalized: text('email_normalized').notNull().unique('users_email_normalized'),
  firstName: text('first_name'),
  lastName: text('last_name'),
  createdAt: epochMs('created_at').notNull(),
});

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
  },
  (t) => [index('sessions_group_user').on(t.groupId, t.userId), index('sessions_expires').on(t.expiresAt)],
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
