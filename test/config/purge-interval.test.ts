import { describe, expect, it } from 'vitest';
import { type CliIo, runAdmin } from '../../src/cli/admin.ts';
import { ConfigError, loadConfig } from '../../src/config/config.ts';
import { configVariables } from '../../src/config/documentation.ts';
import { tempDatabaseUrl } from '../support/processes.ts';

describe('PURGE_INTERVAL_SECONDS', () => {
  it('defaults to an hour, with nothing to warn about', () => {
    const config = loadConfig({});
    expect(config.purgeIntervalMs).toBe(3_600_000);
    expect(config.warnings).toEqual([]);
  });

  it('sets how often the purges run', () => {
    const config = loadConfig({ PURGE_INTERVAL_SECONDS: '30' });
    expect(config.purgeIntervalMs).toBe(30_000);
    expect(config.warnings).toEqual([]);
  });

  it('still takes the old name SESSION_PURGE_INTERVAL_SECONDS, with a warning naming the new one', () => {
    const config = loadConfig({ SESSION_PURGE_INTERVAL_SECONDS: '120' });
    expect(config.purgeIntervalMs).toBe(120_000);
    expect(config.warnings).toEqual([expect.stringMatching(/SESSION_PURGE_INTERVAL_SECONDS is deprecated: rename it PURGE_INTERVAL_SECONDS/)]);
  });

  it('prefers the new name when both are set, and says the old one is ignored', () => {
    const config = loadConfig({ PURGE_INTERVAL_SECONDS: '60', SESSION_PURGE_INTERVAL_SECONDS: '120' });
    expect(config.purgeIntervalMs).toBe(60_000);
    expect(config.warnings).toEqual([expect.stringMatching(/SESSION_PURGE_INTERVAL_SECONDS is deprecated and ignored/)]);
  });

  it.each(['PURGE_INTERVAL_SECONDS', 'SESSION_PURGE_INTERVAL_SECONDS'])('refuses a %s that is not a positive whole number, by name', (name) => {
    expect(() => loadConfig({ [name]: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: 'hourly' })).toThrow(new RegExp(name));
  });

  it('documents both names, the old one as the former name of the new', () => {
    const byName = new Map(configVariables.map((v) => [v.name, v]));
    expect(byName.get('PURGE_INTERVAL_SECONDS')).toMatchObject({ default: '`3600`', description: expect.stringMatching(/sessions.*idempotency keys.*webhook/) });
    expect(byName.get('SESSION_PURGE_INTERVAL_SECONDS')?.description).toMatch(/former name of `PURGE_INTERVAL_SECONDS`/);
  });
});

describe('the old purge name in the admin CLI', () => {
  it('still runs the command, and says on stderr what to rename', async () => {
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      env: { DATABASE_URL: tempDatabaseUrl(), SESSION_PURGE_INTERVAL_SECONDS: '60' },
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
    };
    expect(await runAdmin(['group', 'create', 'acme', '--json'], io)).toBe(0);
    expect(JSON.parse(stdout).group.slug).toBe('acme');
    expect(stderr).toBe('warning: SESSION_PURGE_INTERVAL_SECONDS is deprecated: rename it PURGE_INTERVAL_SECONDS\n');
  });
});
