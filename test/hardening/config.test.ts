import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.ts';

describe('loadConfig: hardening variables', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config.requestLimits).toEqual({
      maxBodyBytes: 1_048_576,
      maxDepth: 10,
      maxAliases: 15,
      maxTokens: 1000,
      maxCost: 50_000,
      maxDirectives: 10,
      maxStringLength: 8192,
    });
    expect(config.rateLimits).toEqual({
      windowMs: 60_000,
      login: 60,
      failedApiTokens: 20,
      writes: 6000,
      redisUrl: null,
      redisPrefix: 'team-api:rate:',
    });
    expect(config).toMatchObject({ graphiql: true, introspection: true, trustProxyHops: 0, purgeIntervalMs: 3_600_000 });
  });

  it('turns GraphiQL and introspection off in production unless enabled', () => {
    expect(loadConfig({ NODE_ENV: 'production' })).toMatchObject({ graphiql: false, introspection: false });
    expect(loadConfig({ NODE_ENV: 'production', GRAPHIQL: 'true', INTROSPECTION: '1' })).toMatchObject({ graphiql: true, introspection: true });
    expect(loadConfig({ GRAPHIQL: 'FALSE', INTROSPECTION: '0' })).toMatchObject({ graphiql: false, introspection: false });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      MAX_BODY_BYTES: '1024',
      GRAPHQL_MAX_DEPTH: '5',
      GRAPHQL_MAX_ALIASES: '3',
      GRAPHQL_MAX_TOKENS: '200',
      GRAPHQL_MAX_COST: '99',
      GRAPHQL_MAX_DIRECTIVES: '1',
      GRAPHQL_MAX_STRING_LENGTH: '300',
      TRUST_PROXY: '2',
      RATE_LIMIT_WINDOW_SECONDS: '10',
      RATE_LIMIT_LOGIN: '0',
      RATE_LIMIT_FAILED_API_TOKEN: '5',
      RATE_LIMIT_WRITES: '7',
      RATE_LIMIT_REDIS_URL: 'redis://127.0.0.1:6379/2',
      RATE_LIMIT_REDIS_PREFIX: 'x:',
      PURGE_INTERVAL_SECONDS: '30',
    });
    expect(config.requestLimits).toEqual({
      maxBodyBytes: 1024,
      maxDepth: 5,
      maxAliases: 3,
      maxTokens: 200,
      maxCost: 99,
      maxDirectives: 1,
      maxStringLength: 300,
    });
    expect(config.rateLimits).toEqual({
      windowMs: 10_000,
      login: 0,
      failedApiTokens: 5,
      writes: 7,
      redisUrl: 'redis://127.0.0.1:6379/2',
      redisPrefix: 'x:',
    });
    expect(config.trustProxyHops).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxyHops).toBe(1);
    expect(config.purgeIntervalMs).toBe(30_000);
  });

  it('reports every bad one at once, by name', () => {
    let error: unknown;
    try {
      loadConfig({
        MAX_BODY_BYTES: '0',
        GRAPHQL_MAX_DEPTH: 'deep',
        GRAPHIQL: 'maybe',
        TRUST_PROXY: 'yes',
        RATE_LIMIT_LOGIN: '-1',
        RATE_LIMIT_REDIS_URL: 'http://127.0.0.1:6379',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems } = error as ConfigError;
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'MAX_BODY_BYTES',
      'GRAPHQL_MAX_DEPTH',
      'GRAPHIQL',
      'TRUST_PROXY',
      'RATE_LIMIT_LOGIN',
      'RATE_LIMIT_REDIS_URL',
    ]);
  });
});
