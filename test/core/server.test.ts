import { afterEach, describe, expect, it } from 'vitest';
import { GROUP } from '../support/documents.ts';
import { type RunningServer, run, serverEntry, startServer, tempDatabaseUrl } from '../support/processes.ts';

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

async function query(port: number, token: string) {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, connection: 'close' },
    body: JSON.stringify({ query: GROUP }),
  });
  return { status: res.status, body: await res.json() };
}

describe('npm start', () => {
  it('creates and migrates the database, seeds group demo with one printed API token, and serves', async () => {
    const databaseUrl = tempDatabaseUrl();
    server = await startServer({ DATABASE_URL: databaseUrl }, { source: true });
    const token = /tapi_[A-Za-z0-9_-]{43}/.exec(server.output())?.[0];
    expect(token).toBeDefined();

    const health = await fetch(`http://127.0.0.1:${server.port}/health`, { headers: { connection: 'close' } });
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const res = await query(server.port, token!);
    expect(res.body.data.group).toMatchObject({ slug: 'demo', isApiEnabled: true });

    // A restart keeps the data and creates nothing new.
    await server.stop();
    server = await startServer({ DATABASE_URL: databaseUrl });
    expect(server.output()).not.toMatch(/tapi_/);
    expect((await query(server.port, token!)).body.data.group.slug).toBe('demo');
  });

  it('creates no demo group in production', async () => {
    server = await startServer({ DATABASE_URL: tempDatabaseUrl(), NODE_ENV: 'production' });
    expect(server.output()).not.toMatch(/tapi_/);
  });

  it('refuses to start on a bad configuration, naming the variable', async () => {
    const result = await run(process.execPath, serverEntry, { PORT: 'not-a-port', SSO_SECRET: 'short' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/PORT/);
    expect(result.stderr).toMatch(/SSO_SECRET/);
    expect(result.stderr).not.toMatch(/at .*\.ts/);
  });
});
