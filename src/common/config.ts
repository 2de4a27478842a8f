/**
 * Configuration: every environment variable the server reads, parsed once here with its type and
 * range. A bad value stops the start with the list of everything wrong, never a silent NaN.
 * README "Configuration" lists the same variables.
 */
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_LIMITS, DEFAULT_SUBSCRIPTION_LIMITS, SubscriptionLimits } from './abuse-limits';
import { invalidProxyEntries } from './http/client-ip';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Settings read once from the environment; see README "Configuration". */
export interface AppConfig {
  port: number;
  databaseUrl: string | undefined;
  embeddedDataDir: string;
  production: boolean;
  expirySweepSeconds: number;
  matchingWorkerIntervalMs: number;
  /** How often statistics deltas written by the triggers are folded into the rollup. */
  statsCompactionIntervalMs: number;
  jwtSecret: string;
  accessTokenTtlSeconds: number;
  /** Lifetime of a sign-in session (its refresh tokens); refreshing never extends it. */
  sessionTtlSeconds: number;
  /** Key shared with the provincial identity service for its signed assertions (实名认证); unset: operators verify. */
  identityAssertionKey: string | undefined;
  identityAssertionIssuer: string;
  /** Requests a minute per client IP and per signed-in actor before 429. */
  rateLimits: { perIpPerMinute: number; perActorPerMinute: number };
  /** Bounds on GraphQL subscriptions over WebSocket (connections, subscriptions, message size, init wait). */
  subscriptions: SubscriptionLimits;
  /** Pool size and bounded waits on the database (DatabaseLimits below), and the start's wait for it. */
  database: DatabaseLimits & {
    /** How long the start waits for PostgreSQL to answer before giving up. */
    waitSeconds: number;
  };
  logLevel: LogLevel;
  shutdown: {
    /** Still serving (readiness already 503) so that load balancers notice before connections close. */
    delaySeconds: number;
    /** How long in-flight requests may take to finish once the server stops accepting. */
    graceSeconds: number;
  };
  /** `/metrics`: on or off, and the bearer token it asks for when set. */
  metrics: { enabled: boolean; token: string | undefined };
  /**
   * What this process does (docs/scaling.md): `api` serves GraphQL and runs no background loop,
   * `worker` runs the loops and serves only the probes and /metrics, `all` (the default) both.
   */
  role: Role;
  /** Rate limits counted in this Redis, shared by every process; unset: each process counts its own. */
  redisUrl: string | undefined;
  /** Load balancers whose X-Forwarded-For is believed (addresses and CIDR blocks); empty: none. */
  trustedProxies: string[];
  /** Streaming replicas for read-only requests (src/common/database/replicas.ts); empty: all on the primary. */
  replicas: { urls: string[]; maxLagBytes: number; waitMs: number };
  /** `pgbouncer`: DATABASE_URL (and the replicas) go through PgBouncer in transaction mode. */
  pooler: 'pgbouncer' | undefined;
  /** Straight to PostgreSQL: migrations and the account-change listener, where a pooler is in between. */
  databaseDirectUrl: string | undefined;
  /** The retention job (src/common/retention.ts): how often it runs, its batch size, the days each table keeps. */
  retention: RetentionSettings;
  /** Webhook deliveries (src/notifications/webhooks.ts): how long they retry, when a failing endpoint is disabled. */
  webhooks: WebhookSettings;
}

export interface WebhookSettings {
  /** How long a delivery is retried before it counts as failed. */
  retryPeriodMs: number;
  /** An endpoint failing this long (no success in between) is disabled. */
  disableAfterMs: number;
  /** Tests only: http and loopback addresses allowed as endpoints (never outside them; refused in production). */
  allowLoopback: boolean;
}

/** The tables the retention job keeps bounded; the audit trail is not one of them (it is the regulatory record). */
export const RETAINED_TABLES = [
  'outbox_event',
  'webhook_delivery',
  'idempotency_key',
  'matching_job',
  'auth_session',
  'sign_in_throttle',
  'mail_outbox',
] as const;
export type RetainedTable = (typeof RETAINED_TABLES)[number];

export interface RetentionSettings {
  intervalSeconds: number;
  /** Rows one statement deletes at most: each batch is its own short transaction. */
  batchRows: number;
  /** Days a row is kept once it is no longer needed (what "no longer needed" means is each table's own). */
  days: Record<RetainedTable, number>;
}

export type Role = 'api' | 'worker' | 'all';

/** Used only outside production, so that `npm start` works on a fresh machine. */
export const DEVELOPMENT_JWT_SECRET = 'credit-easy-loan-development-secret-do-not-use-in-production';

export const projectRoot = path.resolve(
  __dirname,
  __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..',
);

/** Variables whose values are never repeated in a message (they are secrets or hold one). */
const SECRET = new Set([
  ...['JWT_SECRET', 'METRICS_TOKEN', 'DATABASE_URL', 'IDENTITY_ASSERTION_KEY', 'REDIS_URL'],
  ...['DATABASE_REPLICA_URLS', 'DATABASE_DIRECT_URL'],
]);

/** Thrown when the environment is wrong; `problems` has one line per variable at fault. */
export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    super(`The configuration is not valid (${count}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigurationError';
  }
}

/** An unset or empty variable takes its default. */
const unset = (value: unknown) => (value === '' ? undefined : value);

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^[+-]?\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const integer = (min: number, max: number, fallback: number) =>
  z.preprocess(unset, wholeNumber(min, max).default(String(fallback)));
/** An integer whose default depends on other settings. */
const optionalInteger = (min: number, max: number) => z.preprocess(unset, wholeNumber(min, max).optional());

function flag() {
  return z.preprocess(
    unset,
    z
      .string()
      .trim()
      .toLowerCase()
      .refine((v) => ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'].includes(v), 'must be true or false')
      .transform((v) => ['true', '1', 'yes', 'on'].includes(v))
      .optional(),
  );
}

const text = () => z.preprocess(unset, z.string().optional());

/** An issue of one variable in the light of another: its own value is not the point. */
const combined = { code: 'custom', params: { combined: true } } as const;

// ---- Database: pool size and bounded waits (issue 18) ----------------------------------------

/**
 * How many connections the server keeps, and how long anything may wait on the database. Running
 * out of any of them answers 503 with Retry-After (src/common/database/transaction.ts). The three
 * PostgreSQL timeouts are sent as startup parameters of each connection; 0 turns one off.
 */
export interface DatabaseLimits {
  poolSize: number;
  /** Wait for a free pooled connection (pg `connectionTimeoutMillis`; also bounds opening one). */
  poolTimeoutMs: number;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
}

/**
 * Locks are held for milliseconds by every step of the lifecycle, so a wait of seconds means a
 * stall: the lock timeout ends it well before the pool timeout, which lets an unrelated read that
 * waits behind stalled writes get a connection once they give up.
 */
export const DEFAULT_DATABASE_LIMITS: DatabaseLimits = {
  poolSize: 20,
  poolTimeoutMs: 10_000,
  statementTimeoutMs: 30_000,
  lockTimeoutMs: 3_000,
  idleInTransactionTimeoutMs: 60_000,
};

const HOUR_MS = 3_600_000;
const DAY_SECONDS = 86_400;
/** The longest retention period any table may be given. */
const MAX_RETENTION_DAYS = 3650;
const retentionDays = (fallback: number) => integer(1, MAX_RETENTION_DAYS, fallback);

/**
 * Retention periods by default. Idempotency keys: the API promises a retry is recognised for at least a day
 * (README "API conventions"), which the minimum of one day keeps; the default leaves room for a client's
 * reconciliation after an outage. Ended sessions and quiet sign-in throttle rows are of no use after a day.
 */
export const DEFAULT_RETENTION_DAYS: Record<RetainedTable, number> = {
  outbox_event: 7,
  webhook_delivery: 30,
  idempotency_key: 30,
  matching_job: 7,
  auth_session: 1,
  sign_in_throttle: 1,
  mail_outbox: 30,
};

const fields = z.object({
  NODE_ENV: z.preprocess(
    unset,
    z
      .enum(['production', 'development', 'test'], {
        errorMap: () => ({ message: 'must be production, development or test' }),
      })
      .optional(),
  ),
  PORT: integer(0, 65535, 4000),
  DATABASE_URL: z.preprocess(
    unset,
    z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres://user:pass@host:port/db URL')
      .optional(),
  ),
  EMBEDDED_PG_DIR: text(),
  JWT_SECRET: text(),
  ACCESS_TOKEN_TTL_SECONDS: integer(30, DAY_SECONDS, 900),
  SESSION_TTL_SECONDS: integer(60, 365 * DAY_SECONDS, 7 * DAY_SECONDS),
  IDENTITY_ASSERTION_KEY: z.preprocess(unset, z.string().min(32, 'must be at least 32 characters').optional()),
  IDENTITY_ASSERTION_ISSUER: text(),
  EXPIRY_SWEEP_SECONDS: integer(1, DAY_SECONDS, 60),
  MATCHING_WORKER_INTERVAL_MS: integer(10, HOUR_MS, 1000),
  STATS_COMPACTION_INTERVAL_MS: integer(10, HOUR_MS, 1000),
  RATE_LIMIT_PER_IP_PER_MINUTE: integer(1, 10_000_000, DEFAULT_LIMITS.perIpPerMinute),
  RATE_LIMIT_PER_ACTOR_PER_MINUTE: integer(1, 10_000_000, DEFAULT_LIMITS.perActorPerMinute),
  WS_MAX_CONNECTIONS_PER_IP: integer(1, 1_000_000, DEFAULT_SUBSCRIPTION_LIMITS.maxConnectionsPerIp),
  WS_MAX_CONNECTIONS_PER_ACCOUNT: integer(1, 100_000, DEFAULT_SUBSCRIPTION_LIMITS.maxConnectionsPerAccount),
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: integer(1, 10_000, DEFAULT_SUBSCRIPTION_LIMITS.maxSubscriptionsPerConnection),
  WS_MAX_MESSAGE_BYTES: integer(1024, 16 * 1024 * 1024, DEFAULT_SUBSCRIPTION_LIMITS.maxMessageBytes),
  WS_CONNECTION_INIT_TIMEOUT_MS: integer(100, 600_000, DEFAULT_SUBSCRIPTION_LIMITS.connectionInitTimeoutMs),
  DATABASE_POOL_SIZE: integer(1, 1000, DEFAULT_DATABASE_LIMITS.poolSize),
  DATABASE_POOL_TIMEOUT_MS: integer(1, HOUR_MS, DEFAULT_DATABASE_LIMITS.poolTimeoutMs),
  // 0 turns a PostgreSQL timeout off, as in PostgreSQL itself.
  DATABASE_STATEMENT_TIMEOUT_MS: integer(0, HOUR_MS, DEFAULT_DATABASE_LIMITS.statementTimeoutMs),
  DATABASE_LOCK_TIMEOUT_MS: integer(0, HOUR_MS, DEFAULT_DATABASE_LIMITS.lockTimeoutMs),
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: integer(0, HOUR_MS, DEFAULT_DATABASE_LIMITS.idleInTransactionTimeoutMs),
  DATABASE_WAIT_SECONDS: integer(0, DAY_SECONDS, 60),
  LOG_LEVEL: z.preprocess(
    (v) => (typeof v === 'string' ? unset(v.trim().toLowerCase()) : v),
    z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        errorMap: () => ({ message: 'must be one of fatal, error, warn, info, debug, trace, silent' }),
      })
      .default('info'),
  ),
  SHUTDOWN_DELAY_SECONDS: optionalInteger(0, 600),
  SHUTDOWN_GRACE_SECONDS: integer(0, 600, 10),
  METRICS_ENABLED: flag(),
  METRICS_TOKEN: z.preprocess(unset, z.string().min(16, 'must be at least 16 characters').optional()),
  ROLE: z.preprocess(
    (v) => (typeof v === 'string' ? unset(v.trim().toLowerCase()) : v),
    z.enum(['api', 'worker', 'all'], { errorMap: () => ({ message: 'must be api, worker or all' }) }).default('all'),
  ),
  REDIS_URL: z.preprocess(
    unset,
    z
      .string()
      .regex(/^rediss?:\/\/\S+$/, 'must be a redis://[user:pass@]host:port[/db] URL')
      .optional(),
  ),
  DATABASE_REPLICA_URLS: z.preprocess(
    unset,
    z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((url) => url.trim())
          .filter(Boolean),
      )
      .refine(
        (urls) => urls.every((url) => /^postgres(ql)?:\/\/\S+$/.test(url)),
        'must be postgres:// URLs, comma-separated',
      )
      .default(''),
  ),
  DATABASE_POOLER: z.preprocess(
    (v) => (typeof v === 'string' ? unset(v.trim().toLowerCase()) : v),
    z.enum(['none', 'pgbouncer'], { errorMap: () => ({ message: 'must be none or pgbouncer' }) }).default('none'),
  ),
  DATABASE_DIRECT_URL: z.preprocess(
    unset,
    z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres://user:pass@host:port/db URL')
      .optional(),
  ),
  RETENTION_INTERVAL_SECONDS: integer(60, DAY_SECONDS, 3600),
  RETENTION_BATCH_ROWS: integer(100, 100_000, 5000),
  OUTBOX_RETENTION_DAYS: retentionDays(DEFAULT_RETENTION_DAYS.outbox_event),
  WEBHOOK_DELIVERY_RETENTION_DAYS: retentionDays(DEFAULT_RETENTION_DAYS.webhook_delivery),
  IDEMPOTENCY_KEY_RETENTION_DAYS: retentionDays(DEFAULT_RETENTION_DAYS.idempotency_key),
  MATCHING_JOB_RETENTION_DAYS: retentionDays(DEFAULT_RETENTION_DAYS.matching_job),
  SESSION_RETENTION_DAYS: retentionDays(DEFAULT_RETENTION_DAYS.auth_session),
  SIGN_IN_THROTTLE_RETENTION_DAYS: retentionDays(DEFAULT_RETENTION_DAYS.sign_in_throttle),
  MAIL_RETENTION_DAYS: retentionDays(DEFAULT_RETENTION_DAYS.mail_outbox),
  // Up to 30 days: a receiver down longer than that re-registers anyway.
  WEBHOOK_RETRY_HOURS: integer(1, 30 * 24, 72),
  WEBHOOK_DISABLE_AFTER_HOURS: integer(1, 30 * 24, 72),
  WEBHOOK_ALLOW_LOOPBACK: flag(),
  DATABASE_REPLICA_MAX_LAG_BYTES: integer(0, 2 ** 40, 16 * 1024 * 1024),
  DATABASE_REPLICA_WAIT_MS: integer(0, 60_000, 200),
  TRUSTED_PROXIES: z.preprocess(
    unset,
    z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((entry) => entry.trim())
          .filter(Boolean),
      )
      .refine(
        (entries) => invalidProxyEntries(entries).length === 0,
        'must be IP addresses or CIDR blocks, comma-separated',
      )
      .default(''),
  ),
});

type Settings = z.infer<typeof fields>;

/** Rules over several variables; `env` may lack variables that did not parse (their rules then stay quiet). */
function crossChecks(env: Partial<Settings>, context: { addIssue(issue: z.IssueData): void }): void {
  if (env.DATABASE_POOLER === 'pgbouncer' && !env.DATABASE_DIRECT_URL) {
    context.addIssue({
      ...combined,
      path: ['DATABASE_DIRECT_URL'],
      message: 'must be set when DATABASE_POOLER=pgbouncer (LISTEN and migrations need a session of their own)',
    });
  }
  if (env.NODE_ENV !== 'production') return;
  if (!env.JWT_SECRET)
    context.addIssue({ ...combined, path: ['JWT_SECRET'], message: 'must be set when NODE_ENV=production' });
  else if (env.JWT_SECRET.length < 32)
    context.addIssue({ ...combined, path: ['JWT_SECRET'], message: 'must be at least 32 characters' });
  if (env.WEBHOOK_ALLOW_LOOPBACK) {
    const message = 'is refused when NODE_ENV=production (endpoints on loopback or over http are for tests)';
    context.addIssue({ ...combined, path: ['WEBHOOK_ALLOW_LOOPBACK'], message });
  }
  if (env.METRICS_ENABLED && !env.METRICS_TOKEN) {
    context.addIssue({
      ...combined,
      path: ['METRICS_TOKEN'],
      message: 'must be set when METRICS_ENABLED=true in production (/metrics asks for it)',
    });
  }
}

/**
 * The rules over several variables, run over the variables that parsed (zod's own refinement would run
 * only once every variable did), so one start lists everything wrong; a rule naming a variable that
 * failed to parse is left out: its own problem is listed.
 */
function crossProblems(env: NodeJS.ProcessEnv): z.ZodIssue[] {
  const parsed: Record<string, unknown> = {};
  const failed = new Set<string>();
  for (const [name, schema] of Object.entries(fields.shape)) {
    const result = (schema as z.ZodTypeAny).safeParse(env[name]);
    if (result.success) parsed[name] = result.data;
    else failed.add(name);
  }
  const issues: z.ZodIssue[] = [];
  crossChecks(parsed as Partial<Settings>, {
    addIssue: (issue) => {
      const name = String(issue.path?.[0]);
      if (!failed.has(name))
        issues.push({ ...issue, path: issue.path ?? [], message: issue.message ?? '' } as z.ZodIssue);
    },
  });
  return issues;
}

/** One line per problem: the variable, what is wrong, and (for non-secrets) what was given. */
function problemsOf(error: z.ZodError, env: NodeJS.ProcessEnv): string[] {
  return error.issues.map((issue) => {
    const name = String(issue.path[0] ?? 'environment');
    const given = env[name];
    const shown =
      given !== undefined && !SECRET.has(name) && !(issue.code === 'custom' && issue.params?.combined)
        ? ` (got ${JSON.stringify(given)})`
        : '';
    return `${name} ${issue.message}${shown}`;
  });
}

/** Where the database is: all that the migration CLI and scripts need (no secrets). */
export function databaseConfig(
  env: NodeJS.ProcessEnv = process.env,
): Pick<AppConfig, 'databaseUrl' | 'embeddedDataDir'> {
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    embeddedDataDir: env.EMBEDDED_PG_DIR
      ? path.resolve(env.EMBEDDED_PG_DIR)
      : path.join(projectRoot, '.data', 'postgres'),
  };
}

/** Every setting, validated; throws a ConfigurationError listing all that is wrong. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = fields.safeParse(env);
  const issues = [...(parsed.success ? [] : parsed.error.issues), ...crossProblems(env)];
  if (!parsed.success || issues.length > 0) throw new ConfigurationError(problemsOf(new z.ZodError(issues), env));
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  return {
    port: e.PORT,
    ...databaseConfig(env),
    production,
    jwtSecret: e.JWT_SECRET || DEVELOPMENT_JWT_SECRET,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    sessionTtlSeconds: e.SESSION_TTL_SECONDS,
    identityAssertionKey: e.IDENTITY_ASSERTION_KEY,
    identityAssertionIssuer: e.IDENTITY_ASSERTION_ISSUER ?? 'provincial-identity-service',
    expirySweepSeconds: e.EXPIRY_SWEEP_SECONDS,
    matchingWorkerIntervalMs: e.MATCHING_WORKER_INTERVAL_MS,
    statsCompactionIntervalMs: e.STATS_COMPACTION_INTERVAL_MS,
    rateLimits: {
      perIpPerMinute: e.RATE_LIMIT_PER_IP_PER_MINUTE,
      perActorPerMinute: e.RATE_LIMIT_PER_ACTOR_PER_MINUTE,
    },
    subscriptions: {
      maxConnectionsPerIp: e.WS_MAX_CONNECTIONS_PER_IP,
      maxConnectionsPerAccount: e.WS_MAX_CONNECTIONS_PER_ACCOUNT,
      maxSubscriptionsPerConnection: e.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxMessageBytes: e.WS_MAX_MESSAGE_BYTES,
      connectionInitTimeoutMs: e.WS_CONNECTION_INIT_TIMEOUT_MS,
    },
    database: {
      poolSize: e.DATABASE_POOL_SIZE,
      poolTimeoutMs: e.DATABASE_POOL_TIMEOUT_MS,
      statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
      lockTimeoutMs: e.DATABASE_LOCK_TIMEOUT_MS,
      idleInTransactionTimeoutMs: e.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      waitSeconds: e.DATABASE_WAIT_SECONDS,
    },
    logLevel: e.LOG_LEVEL,
    // Load balancers need a few seconds to see readiness fail; in development nobody is routing.
    shutdown: {
      delaySeconds: e.SHUTDOWN_DELAY_SECONDS ?? (production ? 5 : 0),
      graceSeconds: e.SHUTDOWN_GRACE_SECONDS,
    },
    // Outside production /metrics is open; in production it is off unless a token protects it.
    metrics: { enabled: e.METRICS_ENABLED ?? (!production || Boolean(e.METRICS_TOKEN)), token: e.METRICS_TOKEN },
    role: e.ROLE,
    redisUrl: e.REDIS_URL,
    trustedProxies: e.TRUSTED_PROXIES,
    replicas: {
      urls: e.DATABASE_REPLICA_URLS,
      maxLagBytes: e.DATABASE_REPLICA_MAX_LAG_BYTES,
      waitMs: e.DATABASE_REPLICA_WAIT_MS,
    },
    pooler: e.DATABASE_POOLER === 'pgbouncer' ? 'pgbouncer' : undefined,
    databaseDirectUrl: e.DATABASE_DIRECT_URL,
    retention: {
      intervalSeconds: e.RETENTION_INTERVAL_SECONDS,
      batchRows: e.RETENTION_BATCH_ROWS,
      days: {
        outbox_event: e.OUTBOX_RETENTION_DAYS,
        webhook_delivery: e.WEBHOOK_DELIVERY_RETENTION_DAYS,
        idempotency_key: e.IDEMPOTENCY_KEY_RETENTION_DAYS,
        matching_job: e.MATCHING_JOB_RETENTION_DAYS,
        auth_session: e.SESSION_RETENTION_DAYS,
        sign_in_throttle: e.SIGN_IN_THROTTLE_RETENTION_DAYS,
        mail_outbox: e.MAIL_RETENTION_DAYS,
      },
    },
    webhooks: {
      retryPeriodMs: e.WEBHOOK_RETRY_HOURS * HOUR_MS,
      disableAfterMs: e.WEBHOOK_DISABLE_AFTER_HOURS * HOUR_MS,
      allowLoopback: e.WEBHOOK_ALLOW_LOOPBACK ?? false,
    },
  };
}
