/** The two dialects' schemas describe one storage contract, and the PostgreSQL migrations fit any schema. */
import { readdirSync, readFileSync } from 'node:fs';
import { getTableConfig as pgTableConfig } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteTableConfig } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import * as pgSchema from '../../src/db/postgres/schema.ts';
import * as sqliteSchema from '../../src/db/sqlite/schema.ts';

function describeTables<T>(schema: Record<string, T>, config: (table: T) => { name: string; columns: Array<{ name: string; notNull: boolean }> }) {
  return Object.fromEntries(
    Object.values(schema)
      .map(config)
      .map((t) => [t.name, t.columns.map((c) => `${c.name}${c.notNull ? ' not null' : ''}`).sort()]),
  );
}

describe('storage schemas', () => {
  it('have the same tables and columns on SQLite and PostgreSQL', () => {
    const sqlite = describeTables(sqliteSchema as Record<string, any>, sqliteTableConfig);
    const postgres = describeTables(pgSchema as Record<string, any>, pgTableConfig);
    expect(Object.keys(sqlite).sort()).toEqual(
      [
        'api_tokens',
        'directory_group_members',
        'directory_groups',
        'events',
        'groups',
        'idempotency_keys',
        'memberships',
        'scim_emails',
        'scim_users',
        'sessions',
        'settings',
        'sso_token_uses',
        'users',
        'webhook_deliveries',
        'webhook_endpoints',
      ],
    );
    // One difference: on PostgreSQL the feed orders events by their transaction id too.
    expect(postgres.events).toContain('tx not null');
    postgres.events = postgres.events!.filter((column: string) => column !== 'tx not null');
    expect(postgres).toEqual(sqlite);
  });

  it('PostgreSQL migrations name no schema, so they apply wherever the search_path points', () => {
    const folder = new URL('../../drizzle/postgres/', import.meta.url);
    const files = readdirSync(folder).filter((f) => f.endsWith('.sql'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      // After `drizzle-kit generate`, `npm run db:generate:postgres` strips these.
      expect(readFileSync(new URL(file, folder), 'utf8'), file).not.toMatch(/"public"\./);
    }
  });
});
