/** What only PostgreSQL has: schemas, a pool, migrations shared by instances starting together. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import * as pgSchema from '../../src/db/postgres/schema.ts';
import { openPostgresStore, PostgresStore } from '../../src/db/postgres/store.ts';
import { openRuntime } from '../../src/runtime.ts';
import { testDialect } from '../support/databases.ts';
import { dropSchema, newSchemaName, testPostgresUrl, urlWithSearchPath, withPostgresClient } from '../support/postgres.ts';

const serverUrl = testPostgresUrl(process.env);

/** Runs `work` with a fresh schema name, dropping the schema afterwards. */
async function inFreshSchema(work: (schema: string) => Promise<void>): Promise<void> {
  const schema = newSchemaName(process.env);
  try {
    await work(schema);
  } finally {
    await dropSchema(serverUrl, schema);
  }
}

const group = (id: string, slug: string) => ({
  id,
  slug,
  title: null,
  isApiEnabled: true,
  allowedDomains: ['example.com'],
  requireSignInConfirmation: false,
    adminSignInWithApiToken: true,
    adminDirectoryGroupId: null,
  createdAt: 1,
  deletedAt: null,
});

describe.runIf(testDialect === 'postgres')('PostgreSQL store', () => {
  it('migrates once when several instances start together on an empty schema', () =>
    inFreshSchema(async (schema) => {
      const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore(serverUrl, { schema })));
      try {
        const applied = await stores[0]!.pool.query('SELECT hash FROM __drizzle_migrations');
        const files = await stores[0]!.pool.query(
          `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name <> '__drizzle_migrations'`,
          [schema],
        );
        expect(new Set(applied.rows.map((r) => r.hash)).size).toBe(applied.rowCount);
        expect(files.rows[0].n).toBe(Object.values(pgSchema).length);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    }));

  it('keeps two schemas of one database apart', () =>
    inFreshSchema((a) =>
      inFreshSchema(async (b) => {
        const [storeA, storeB] = await Promise.all([openPostgresStore(serverUrl, { schema: a }), openPostgresStore(serverUrl, { schema: b })]);
        try {
          await storeA.insertGroup(group('g1', 'acme'), []);
          expect(await storeA.findGroupBySlug('acme')).not.toBeNull();
          expect(await storeB.findGroupBySlug('acme')).toBeNull();
          expect(await storeB.insertGroup(group('g2', 'acme'), [])).not.toBeNull();
        } finally {
          await Promise.all([storeA.close(), storeB.close()]);
        }
      }),
    ));

  it('takes the schema from DATABASE_URL (search_path in the startup options) and the pool size from DATABASE_POOL_SIZE', () =>
    inFreshSchema(async (schema) => {
      await withPostgresClient(serverUrl, (c) => c.query(`CREATE SCHEMA "${schema}"`));
      const config = loadConfig({ DATABASE_URL: urlWithSearchPath(serverUrl, schema), DATABASE_POOL_SIZE: '3' });
      const runtime = await openRuntime(config);
      const store = runtime.store as PostgresStore;
      try {
        expect(store.dialect).toBe('postgres');
        expect(store.pool.options.max).toBe(3);
        await store.insertGroup(group('g1', 'acme'), []);
        const { rows } = await withPostgresClient(serverUrl, (c) => c.query(`SELECT slug FROM "${schema}".groups`));
        expect(rows).toEqual([{ slug: 'acme' }]);
      } finally {
        await runtime.close();
      }
    }));

  it('refuses to start on a search_path that names no schema', async () => {
    const missing = newSchemaName(process.env);
    await expect(openRuntime(loadConfig({ DATABASE_URL: urlWithSearchPath(serverUrl, missing) }))).rejects.toThrow(
      /search_path names no existing schema/,
    );
  });

  it('agrees on one generated setting when instances race to create it', () =>
    inFreshSchema(async (schema) => {
      const stores = await Promise.all([1, 2].map(() => openPostgresStore(serverUrl, { schema })));
      try {
        const values = await Promise.all(
          Array.from({ length: 10 }, (_, i) => stores[i % 2]!.putSettingIfAbsent('sso_secret', `secret-${i}`)),
        );
        expect(new Set(values).size).toBe(1);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    }));

  it('reports a write to an unreachable server as ServiceUnavailable (API.md §17), not as a failed write', async () => {
    const store = new PostgresStore('postgres://postgres@127.0.0.1:1/test', { connectionTimeoutMs: 500 });
    try {
      await expect(
        store.insertUsers('g1', 'member', {
          usernames: ['alice'],
          emails: ['alice@example.com'],
          inputs: 1,
          decide: () => [
            { user: { id: 'u1', username: 'alice', email: 'alice@example.com', firstName: null, lastName: null, createdAt: 1 }, events: [] },
          ],
        }),
      ).rejects.toMatchObject({ code: 'ServiceUnavailable', status: 503, headers: { 'retry-after': '2' } });
      await expect(store.ping()).rejects.toMatchObject({ code: 'ServiceUnavailable' });
    } finally {
      await store.close();
    }
  });
});
