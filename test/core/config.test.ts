import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.ts';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4000,
      host: '0.0.0.0',
      databaseUrl: 'file:./data/team-api.db',
      baseDomain: 'localhost',
      ssoSecret: null,
      ssoTokenTtlSeconds: 600,
      sessionTtlSeconds: 2_592_000,
      production: false,
    });
    expect(config.publicUrl.href).toBe('http://localhost:4000/');
  });

  it('derives PUBLIC_URL from PORT and reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      DATABASE_URL: ':memory:',
      BASE_DOMAIN: 'Teams.Example.com',
      SSO_SECRET: 's'.repeat(32),
      SSO_TOKEN_TTL_SECONDS: '60',
      SESSION_TTL_SECONDS: '3600',
      NODE_ENV: 'production',
    });
    expect(config.publicUrl.href).toBe('http://localhost:8080/');
    expect(config).toMatchObject({ port: 8080, host: '127.0.0.1', baseDomain: 'teams.example.com', production: true });
    expect(config.ssoTokenTtlSeconds).toBe(60);
  });

  it('reports every bad variable at once, by name', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', SSO_SECRET: 'short', PUBLIC_URL: 'ftp://x', DATABASE_URL: 'mysql://x', SESSION_TTL_SECONDS: '-1' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['PORT', 'SSO_SECRET', 'PUBLIC_URL', 'DATABASE_URL', 'SESSION_TTL_SECONDS']) {
      expect(message).toContain(name);
    }
    expect((error as ConfigError).problems).toHaveLength(5);
  });
});
