/**
 * The server's housekeeping (src/maintenance.ts), over a runtime of its own: the
 * purges every PURGE_INTERVAL_SECONDS, the API-token last-use times written every
 * few seconds and on stop, failures logged, and nothing left running once stopped.
 * Timers are faked; the services' clock is a TestClock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { CLI_CALLER, NO_REQUEST } from '../../src/domain/events.ts';
import { type Maintenance, startMaintenance } from '../../src/maintenance.ts';
import { openRuntime, type Runtime } from '../../src/runtime.ts';
import { createTestDatabase, queryRows } from '../support/databases.ts';
import { TEST_SSO_SECRET, TestClock } from '../support/harness.ts';
import { type CapturedLogs, captureLogs } from '../support/logs.ts';

const SESSION_TTL_MS = 2_592_000 * 1000;

describe('maintenance', () => {
  let runtime: Runtime;
  let clock: TestClock;
  let maintenance: Maintenance | null;
  let captured: CapturedLogs;

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    clock = new TestClock();
    const database = await createTestDatabase();
    const config = loadConfig({ DATABASE_URL: database.url, SSO_SECRET: TEST_SSO_SECRET, PURGE_INTERVAL_SECONDS: '120' });
    runtime = await openRuntime(config, { store: database.store, now: clock.now });
    captured = captureLogs('error');
    maintenance = startMaintenance({ config, services: runtime.services, logger: captured.logger });
  });

  afterEach(async () => {
    await maintenance?.stop();
    vi.useRealTimers();
    await runtime.close();
  });

  const count = async (table: string) => Number((await queryRows(runtime.store, `SELECT count(*) AS n FROM ${table}`))[0]!.n);

  /** Group acme, user alice signed in once; returns an API token of acme. */
  async function seed(): Promise<string> {
    const { services } = runtime;
    const acme = await services.groups.create('acme', {}, CLI_CALLER);
    await services.users.create(acme, { username: 'alice', email: 'alice@example.com' }, CLI_CALLER);
    const { token: ssoToken } = await services.signIn.createSsoToken(acme, 'alice', {}, CLI_CALLER);
    await services.signIn.login(ssoToken, 'acme', null, NO_REQUEST);
    return (await services.apiTokens.create(acme, 'test', CLI_CALLER)).token;
  }

  it('runs every purge once per PURGE_INTERVAL_SECONDS, and they delete what has expired', async () => {
    await seed();
    const { sessions, events, webhooks } = runtime.services;
    const purges = [vi.spyOn(sessions, 'purgeExpired'), vi.spyOn(events, 'purgeExpired'), vi.spyOn(webhooks, 'purgeExpiredAttempts')];
    clock.advance(SESSION_TTL_MS + 1);

    vi.advanceTimersByTime(119_000);
    for (const purge of purges) expect(purge).not.toHaveBeenCalled();
    expect(await count('sessions')).toBe(1);

    vi.advanceTimersByTime(1_000);
    for (const purge of purges) expect(purge).toHaveBeenCalledTimes(1);
    await vi.waitFor(async () => expect(await count('sessions')).toBe(0));

    vi.advanceTimersByTime(120_000);
    for (const purge of purges) expect(purge).toHaveBeenCalledTimes(2);
  });

  it('writes API-token last-use times every 5 s, and the ones still pending when stopped', async () => {
    const token = await seed();
    const lastUsed = async () => (await queryRows(runtime.store, 'SELECT last_used_at AS at FROM api_tokens'))[0]!.at;
    await runtime.services.apiTokens.authenticate(token);
    expect(await lastUsed()).toBeNull();
    vi.advanceTimersByTime(5_000);
    await vi.waitFor(async () => expect(Number(await lastUsed())).toBe(clock.now()));

    clock.advance(1_000);
    await runtime.services.apiTokens.authenticate(token);
    await maintenance!.stop();
    expect(Number(await lastUsed())).toBe(clock.now());
  });

  it('logs a failed round and keeps its schedule', async () => {
    vi.spyOn(runtime.services.sessions, 'purgeExpired').mockRejectedValue(new Error('database away'));
    vi.advanceTimersByTime(120_000);
    await vi.waitFor(() => expect(captured.lines().map((l) => l.msg)).toContain('purging expired sessions failed'));
    expect(captured.lines()[0]!.err.message).toBe('database away');
    vi.advanceTimersByTime(120_000);
    expect(runtime.services.sessions.purgeExpired).toHaveBeenCalledTimes(2);
  });

  it('leaves no timer running once stopped, and stops once however often asked', async () => {
    expect(vi.getTimerCount()).toBe(2);
    await Promise.all([maintenance!.stop(), maintenance!.stop()]);
    expect(vi.getTimerCount()).toBe(0);
    maintenance = null;
  });
});
