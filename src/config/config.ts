/**
 * Configuration: one validated model built from the environment. Nothing else in
 * the code reads process.env; every problem is reported at once, naming the variable.
 */
import { z } from 'zod';

const positiveInt = (description: string, fallback: number) =>
  z.coerce.number().int().positive().default(fallback).describe(description);

/** A whole number from `min` to `max`. */
const intBetween = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** A count where 0 turns the limit off. */
const limitCount = (description: string, fallback: number) =>
  z.coerce.number().int().min(0).default(fallback).describe(description);

/** `true`/`false` (or 1/0); unset leaves the decision to the caller, whose default `shownDefault` names. */
const flag = (description: string, shownDefault: string) =>
  z
    .string()
    .regex(/^(true|false|1|0)$/i, 'must be true or false')
    .optional()
    .transform((v) => (v === undefined ? undefined : v === '1' || v.toLowerCase() === 'true'))
    .meta({ description, shownDefault });

export const envSchema = z.object({
  PORT: intBetween(0, 65535).default(4000).describe('listening port'),
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
    .meta({ description: 'protocol and port used in `loginUrl`, and Secure cookies when https', shownDefault: '`http://localhost:{PORT}`' }),
  SSO_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters')
    .optional()
    .meta({
      description: 'HS256 key for SSO tokens (the UTF-8 bytes of the value), at least 32 characters',
      shownDefault: 'generated once, kept in the database',
    }),
  SSO_TOKEN_TTL_SECONDS: positiveInt('SSO token lifetime', 600),
  SESSION_TTL_SECONDS: positiveInt('session lifetime', 2_592_000),
  WORKERS: intBetween(1, 64).default(1).describe('server processes sharing the port and database (node:cluster)'),
  NODE_ENV: z
    .string()
    .optional()
    .meta({
      description:
        '`production`: no demo group, no GraphiQL or introspection, no error details, https webhook endpoints only; `development`: error details in responses',
      shownDefault: '—',
    }),

  // Hostile input: what one request may ask of the server.
  MAX_BODY_BYTES: positiveInt(
    'largest request body accepted, in bytes (room for createUsers with 1000 inputs); larger ones are refused unread',
    1_048_576,
  ),
  GRAPHQL_MAX_DEPTH: positiveInt('deepest field nesting a GraphQL operation may have', 10),
  GRAPHQL_MAX_ALIASES: positiveInt('most aliases in one GraphQL operation', 15),
  GRAPHQL_MAX_TOKENS: positiveInt('most lexical tokens in one GraphQL document', 1000),
  GRAPHQL_MAX_COST: positiveInt('highest estimated cost of one GraphQL operation (graphql-armor cost limit)', 50_000),
  GRAPHQL_MAX_DIRECTIVES: positiveInt('most directives in one GraphQL operation', 10),
  GRAPHQL_MAX_STRING_LENGTH: positiveInt('longest string argument or variable value, in characters', 8192),
  GRAPHIQL: flag('serve GraphiQL to browsers at /graphql (`true`/`false`)', '`true` outside production'),
  INTROSPECTION: flag(
    'answer introspection (`__schema`, `__type`) queries (`true`/`false`); when off they are refused as InvalidInput',
    '`true` outside production',
  ),
  TRUST_PROXY: z
    .string()
    .regex(/^(true|false|\d{1,2})$/i, 'must be true, false or a number of proxy hops')
    .default('false')
    .transform((v) => (/^true$/i.test(v) ? 1 : /^false$/i.test(v) ? 0 : Number(v)))
    .describe(
      'how many reverse proxies in front of the server append to `X-Forwarded-For` (`true` = 1); the client address is read from it only when set',
    ),

  // Rate limits: fixed windows, counted in memory or in Redis.
  RATE_LIMIT_WINDOW_SECONDS: positiveInt('length of a rate-limit window', 60),
  RATE_LIMIT_LOGIN: limitCount('sign-in attempts (loginWithSSO, the login URL) per client address per window; 0 = no limit', 60),
  RATE_LIMIT_FAILED_API_TOKEN: limitCount('failed API-token attempts per client address per window; past it, a request whose token fails is refused with TooManyRequests (a valid token still works); 0 = no limit', 20),
  RATE_LIMIT_WRITES: limitCount(
    'writes (createUser, createSSOToken, admin mutations; createUsers counts one per input) per API token per window; 0 = no limit',
    6000,
  ),
  RATE_LIMIT_REDIS_URL: z
    .url({ protocol: /^rediss?$/ })
    .optional()
    .meta({
      description:
        'keep rate-limit counters in this Redis (`redis://host:6379`), shared by every instance; required for more than one instance (or `WORKERS` > 1)',
      shownDefault: '— (in process memory)',
    }),
  RATE_LIMIT_REDIS_PREFIX: z.string().min(1).default('team-api:rate:').describe('prefix of the rate-limit keys in Redis'),

  PURGE_INTERVAL_SECONDS: z.coerce.number().int().positive().optional().meta({
    description:
      'how often expired sessions, used SSO-token records and idempotency keys, and events and webhook delivery attempts past their retention are deleted',
    shownDefault: '`3600`',
  }),
  SESSION_PURGE_INTERVAL_SECONDS: z.coerce.number().int().positive().optional().meta({
    description: 'the former name of `PURGE_INTERVAL_SECONDS`, read (with a warning) when that one is unset',
    shownDefault: '—',
  }),
  EVENT_RETENTION_DAYS: positiveInt('how long events (the audit log and event feed) are kept, in days', 365),
  IDEMPOTENCY_KEY_TTL_SECONDS: positiveInt(
    'how long the outcome of a write sent with an `Idempotency-Key` is remembered (per group and key)',
    86_400,
  ),

  // Operations (API.md §15): logs, metrics, shutdown.
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'must be one of fatal, error, warn, info, debug, trace, silent' })
    .default('info')
    .describe('least severe log line written to stdout: `info` writes one line per request, `error` only failures, `silent` nothing'),
  METRICS_PORT: intBetween(0, 65535).optional().meta({
    description: 'serve Prometheus metrics at `http://METRICS_HOST:METRICS_PORT/metrics` (a second listener, never the public port)',
    shownDefault: '— (no metrics)',
  }),
  METRICS_HOST: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe('the metrics listener\'s address: this machine only by default, so a scrape needs no exposure of the public address'),
  SHUTDOWN_TIMEOUT_SECONDS: positiveInt(
    'on SIGTERM or SIGINT, how long requests in flight may take to finish before their connections are cut',
    10,
  ),
  SHUTDOWN_DRAIN_SECONDS: intBetween(0, 3600)
    .default(0)
    .describe(
      'after SIGTERM, how long `/ready` answers 503 while the server keeps accepting and serving, before it stops listening: set it to the load balancer\'s health-check interval so a rolling restart drops nothing',
    ),
  HTTP_HEADERS_TIMEOUT_SECONDS: positiveInt('how long a client may take to send a request\'s headers before its connection is closed (slow clients, slowloris)', 10),
  HTTP_REQUEST_TIMEOUT_SECONDS: positiveInt('how long a client may take to send a whole request, body included, before it is answered with InvalidInput ("The request took too long to arrive.") and closed', 30),

  // Webhooks (API.md §14).
  WEBHOOK_RETRY_SECONDS: z
    .string()
    .regex(/^\d{1,6}(,\d{1,6}){0,19}$/, 'must be a comma-separated list of 1 to 20 whole numbers of seconds')
    .default('5,300,1800,7200,18000,36000,36000')
    .transform((v) => v.split(',').map(Number))
    .describe('seconds to wait before each retry of a failed webhook delivery; after the last one the event is given up for that endpoint'),
  WEBHOOK_TIMEOUT_SECONDS: positiveInt('how long a webhook delivery waits for the receiver\'s answer before counting as failed', 15),
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: flag(
    'let webhook endpoints resolve to loopback, private, link-local and other non-public addresses (`true`/`false`): for development and tests only',
    '`false`',
  ),
  WEBHOOK_MAX_ENDPOINTS_PER_GROUP: intBetween(1, 1000)
    .default(20)
    .describe('how many webhook endpoints one group may have (1 to 1000); creating one more answers WebhookEndpointInvalid'),
  WEBHOOK_WORKER_CAPACITY: intBetween(1, 10000)
    .default(256)
    .describe('how many endpoints one delivery worker delivers to at once (one request in flight each), shared fairly between the groups with events waiting'),
  WEBHOOK_SLOT_SECONDS: positiveInt(
    'how long a delivery worker keeps delivering to one endpoint while other endpoints wait for a place, before the endpoint gives that place back (after the attempt under way; it goes on later from where it got to)',
    30,
  ),
}).superRefine((env, ctx) => {
  if (env.HTTP_HEADERS_TIMEOUT_SECONDS > env.HTTP_REQUEST_TIMEOUT_SECONDS) {
    ctx.addIssue({ code: 'custom', path: ['HTTP_HEADERS_TIMEOUT_SECONDS'], message: 'must be at most HTTP_REQUEST_TIMEOUT_SECONDS: the headers are part of the request' });
  }
  if (env.METRICS_PORT !== undefined && env.METRICS_PORT !== 0 && env.METRICS_PORT === env.PORT) {
    ctx.addIssue({ code: 'custom', path: ['METRICS_PORT'], message: 'must differ from PORT: metrics are never served on the public port' });
  }
});

/** The configuration the code reads: what loadConfig returns (each field's meaning is there). */
export type Config = ReturnType<typeof loadConfig>;
export type WebhookConfig = Config['webhooks'];
export type RequestLimits = Config['requestLimits'];
export type RateLimitConfig = Config['rateLimits'];
/** pino level name; `silent` writes nothing. */
export type LogLevel = Config['logLevel'];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Builds the configuration from an environment; throws ConfigError listing every bad variable. */
export function loadConfig(env: Record<string, string | undefined>) {
  // Empty strings count as unset, as shells and .env files often leave them.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const warnings: string[] = [];
  if (e.SESSION_PURGE_INTERVAL_SECONDS !== undefined) {
    warnings.push(
      e.PURGE_INTERVAL_SECONDS === undefined
        ? 'SESSION_PURGE_INTERVAL_SECONDS is deprecated: rename it PURGE_INTERVAL_SECONDS'
        : 'SESSION_PURGE_INTERVAL_SECONDS is deprecated and ignored: PURGE_INTERVAL_SECONDS is set',
    );
  }
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
    production,
    development: e.NODE_ENV === 'development',
    /** What one request may ask of the server. */
    requestLimits: {
      maxBodyBytes: e.MAX_BODY_BYTES,
      maxDepth: e.GRAPHQL_MAX_DEPTH,
      maxAliases: e.GRAPHQL_MAX_ALIASES,
      maxTokens: e.GRAPHQL_MAX_TOKENS,
      maxCost: e.GRAPHQL_MAX_COST,
      maxDirectives: e.GRAPHQL_MAX_DIRECTIVES,
      maxStringLength: e.GRAPHQL_MAX_STRING_LENGTH,
    },
    graphiql: e.GRAPHIQL ?? !production,
    introspection: e.INTROSPECTION ?? !production,
    /** Proxy hops whose `X-Forwarded-For` entries are trusted; 0 = use the socket address. */
    trustProxyHops: e.TRUST_PROXY,
    rateLimits: {
      windowMs: e.RATE_LIMIT_WINDOW_SECONDS * 1000,
      /** Per window; 0 = no limit. */
      login: e.RATE_LIMIT_LOGIN,
      failedApiTokens: e.RATE_LIMIT_FAILED_API_TOKEN,
      writes: e.RATE_LIMIT_WRITES,
      redisUrl: e.RATE_LIMIT_REDIS_URL ?? null,
      redisPrefix: e.RATE_LIMIT_REDIS_PREFIX,
    },
    /** How often the purges run (maintenance.ts): sessions, SSO-token records, idempotency keys, events, webhook attempts. */
    purgeIntervalMs: (e.PURGE_INTERVAL_SECONDS ?? e.SESSION_PURGE_INTERVAL_SECONDS ?? 3600) * 1000,
    eventRetentionDays: e.EVENT_RETENTION_DAYS,
    idempotencyKeyTtlSeconds: e.IDEMPOTENCY_KEY_TTL_SECONDS,
    logLevel: e.LOG_LEVEL,
    /** Port of the metrics listener; null = no metrics. */
    metricsPort: e.METRICS_PORT ?? null,
    /** How long a graceful shutdown waits for requests in flight. */
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_SECONDS * 1000,
    /** After SIGTERM, how long the listener keeps accepting while `/ready` answers 503. */
    shutdownDrainMs: e.SHUTDOWN_DRAIN_SECONDS * 1000,
    /** node:http's headersTimeout and requestTimeout. */
    httpTimeouts: { headersMs: e.HTTP_HEADERS_TIMEOUT_SECONDS * 1000, requestMs: e.HTTP_REQUEST_TIMEOUT_SECONDS * 1000 },
    metricsHost: e.METRICS_HOST,
    webhooks: {
      /** Wait before each retry, in milliseconds; one attempt more than there are entries. */
      retryDelaysMs: e.WEBHOOK_RETRY_SECONDS.map((seconds) => seconds * 1000),
      /** How long one delivery waits for an answer. */
      timeoutMs: e.WEBHOOK_TIMEOUT_SECONDS * 1000,
      allowPrivateNetworks: e.WEBHOOK_ALLOW_PRIVATE_NETWORKS ?? false,
      /** Live endpoints one group may have. */
      maxEndpointsPerGroup: e.WEBHOOK_MAX_ENDPOINTS_PER_GROUP,
      /** Endpoints one worker holds at most. */
      workerCapacity: e.WEBHOOK_WORKER_CAPACITY,
      /** How long an endpoint keeps its place in a worker while others wait for one. */
      slotMs: e.WEBHOOK_SLOT_SECONDS * 1000,
    },
    /** What the environment asks that still works but should change (a deprecated name): for the process to log. */
    warnings,
  };
}
