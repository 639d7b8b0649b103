/**
 * Configuration: one validated model built from the environment. Nothing else in
 * the code reads process.env; every problem is reported at once, naming the variable.
 */
import { z } from 'zod';

const positiveInt = (description: string, fallback: number) =>
  z.coerce.number().int().positive().default(fallback).describe(description);

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000).describe('listening port'),
  HOST: z.string().min(1).default('0.0.0.0').describe('listening address'),
  DATABASE_URL: z
    .string()
    .min(1)
    .default('file:./data/team-api.db')
    .describe(
      'SQLite file (`file:` path, or `:memory:`) for one instance, or a PostgreSQL URL (`postgres://` or `postgresql://`) shared by several',
    )
    .refine((v) => v === ':memory:' || v.startsWith('file:') || /^postgres(ql)?:\/\//i.test(v), {
      message: 'must be a `file:` path, `:memory:`, or a `postgres://` URL',
    }),
  DATABASE_POOL_SIZE: positiveInt(
    'PostgreSQL connections each instance keeps at most (ignored for SQLite); instances × pool size must stay under the server\'s max_connections',
    10,
  ),
  BASE_DOMAIN: z
    .string()
    .min(1)
    .default('localhost')
    .describe('group domains are `{slug}.{BASE_DOMAIN}`')
    .transform((v) => v.toLowerCase())
    .refine((v) => /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(v), {
      message: 'must be a domain name such as example.com',
    }),
  PUBLIC_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('protocol and port used in `loginUrl`, and Secure cookies when https'),
  SSO_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters')
    .optional()
    .describe('HS256 key for SSO tokens; generated once and kept in the database when unset'),
  SSO_TOKEN_TTL_SECONDS: positiveInt('SSO token lifetime', 600),
  SESSION_TTL_SECONDS: positiveInt('session lifetime', 2_592_000),
  WORKERS: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .default(1)
    .describe('server processes sharing the port and database (node:cluster)'),
  NODE_ENV: z.string().optional().describe('`production` disables the demo group and development error details'),
});

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  databasePoolSize: number;
  baseDomain: string;
  publicUrl: URL;
  ssoSecret: string | null;
  ssoTokenTtlSeconds: number;
  sessionTtlSeconds: number;
  workers: number;
  production: boolean;
  development: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Builds the configuration from an environment; throws ConfigError listing every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // Empty strings count as unset, as shells and .env files often leave them.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    baseDomain: e.BASE_DOMAIN,
    publicUrl: new URL(e.PUBLIC_URL ?? `http://localhost:${e.PORT}`),
    ssoSecret: e.SSO_SECRET ?? null,
    ssoTokenTtlSeconds: e.SSO_TOKEN_TTL_SECONDS,
    sessionTtlSeconds: e.SESSION_TTL_SECONDS,
    workers: e.WORKERS,
    production: e.NODE_ENV === 'production',
    development: e.NODE_ENV === 'development',
  };
}

/** The variables, their defaults and descriptions, for the README and `--help`. */
export const configVariables = Object.entries(envSchema.shape).map(([name, schema]) => ({
  name,
  description: schema.description ?? '',
}));
