/**
 * The PostgreSQL server the suite's second half runs on: where it is, whether it
 * answers, and the throwaway schemas that keep tests (and parallel runs) apart.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const DEFAULT_TEST_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

export function testPostgresUrl(env: Record<string, string | undefined>): string {
  return env.TEST_POSTGRES_URL || DEFAULT_TEST_POSTGRES_URL;
}

/** The URL without its password, for messages. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** Null when the server answers `SELECT 1` within the timeout, else why it did not. */
export async function probePostgres(url: string, timeoutMs = 2_000): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    const e = error as { message?: string; code?: string };
    return e.message || e.code || String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

export async function withPostgresClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh schema name: `t_<run>_<random>`. The run id (set per `vitest run` by
 * vitest.config.ts) lets the run drop whatever its tests left behind, and only that.
 */
export function newSchemaName(env: Record<string, string | undefined>): string {
  const run = /^[a-z0-9]{1,16}$/.test(env.TEST_RUN_ID ?? '') ? env.TEST_RUN_ID : 'adhoc';
  return `t_${run}_${randomBytes(6).toString('hex')}`;
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  await withPostgresClient(url, (client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
}

/** Drops every schema of one test run (those its tests did not close). */
export async function dropRunSchemas(url: string, runId: string): Promise<number> {
  return withPostgresClient(url, async (client) => {
    const { rows } = await client.query<{ name: string }>(
      `SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE $1`,
      [`t\\_${runId}\\_%`],
    );
    for (const { name } of rows) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    return rows.length;
  });
}

/** DATABASE_URL for another process to use the given schema (search_path through the startup options). */
export function urlWithSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}
