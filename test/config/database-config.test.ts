import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.ts';
import { configVariables } from '../../src/config/documentation.ts';

describe('database configuration', () => {
  it('defaults to an SQLite file with a pool size of 10', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBe('file:./data/team-api.db');
    expect(config.databasePoolSize).toBe(10);
  });

  it.each(['postgres://app@db.internal:5432/team', 'postgresql://app:pw@db/team?sslmode=require', 'file:/var/lib/team.db', ':memory:'])(
    'accepts DATABASE_URL=%s',
    (url) => {
      expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
    },
  );

  it('refuses other URLs and a bad pool size, naming both variables at once', () => {
    let error: unknown;
    try {
      loadConfig({ DATABASE_URL: 'mysql://db/team', DATABASE_POOL_SIZE: '0' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/DATABASE_URL/);
    expect(problems).toMatch(/DATABASE_POOL_SIZE/);
  });

  it('describes DATABASE_POOL_SIZE', () => {
    expect(configVariables.find((v) => v.name === 'DATABASE_POOL_SIZE')?.description).toMatch(/PostgreSQL/);
  });
});
