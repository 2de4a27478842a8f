import path from 'node:path';
import { DEFAULT_LIMITS } from './abuse-limits';

/** Settings read once from the environment; see README "Configuration". */
export interface AppConfig {
  port: number;
  databaseUrl: string | undefined;
  embeddedDataDir: string;
  production: boolean;
  expirySweepSeconds: number;
  matchingWorkerIntervalMs: number;
  jwtSecret: string;
  accessTokenTtlSeconds: number;
  /** Lifetime of a sign-in session (its refresh tokens); refreshing never extends it. */
  sessionTtlSeconds: number;
  /** Key shared with the provincial identity service for its signed assertions (实名认证); unset: operators verify. */
  identityAssertionKey: string | undefined;
  identityAssertionIssuer: string;
  /** Requests a minute per client IP and per signed-in actor before 429. */
  rateLimits: { perIpPerMinute: number; perActorPerMinute: number };
}

/** Used only outside production, so that `npm start` works on a fresh machine. */
export const DEVELOPMENT_JWT_SECRET = 'credit-easy-loan-development-secret-do-not-use-in-production';

export const projectRoot = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..');

/** Where the database is: all that the migration CLI and scripts need (no secrets). */
export function databaseConfig(env: NodeJS.ProcessEnv = process.env): Pick<AppConfig, 'databaseUrl' | 'embeddedDataDir'> {
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    embeddedDataDir: env.EMBEDDED_PG_DIR ? path.resolve(env.EMBEDDED_PG_DIR) : path.join(projectRoot, '.data', 'postgres'),
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const port = Number(env.PORT ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('PORT must be an integer between 0 and 65535');
  const production = env.NODE_ENV === 'production';
  const jwtSecret = env.JWT_SECRET || (production ? undefined : DEVELOPMENT_JWT_SECRET);
  if (!jwtSecret) throw new Error('JWT_SECRET must be set when NODE_ENV=production');
  if (production && jwtSecret.length < 32) throw new Error('JWT_SECRET must be at least 32 characters');
  return {
    port,
    ...databaseConfig(env),
    production,
    jwtSecret,
    accessTokenTtlSeconds: Number(env.ACCESS_TOKEN_TTL_SECONDS ?? 900),
    sessionTtlSeconds: positiveInteger(env, 'SESSION_TTL_SECONDS', 7 * 24 * 3600),
    identityAssertionKey: identityAssertionKey(env),
    identityAssertionIssuer: env.IDENTITY_ASSERTION_ISSUER || 'provincial-identity-service',
    expirySweepSeconds: Number(env.EXPIRY_SWEEP_SECONDS ?? 60),
    matchingWorkerIntervalMs: Number(env.MATCHING_WORKER_INTERVAL_MS ?? 1000),
    rateLimits: {
      perIpPerMinute: positiveInteger(env, 'RATE_LIMIT_PER_IP_PER_MINUTE', DEFAULT_LIMITS.perIpPerMinute),
      perActorPerMinute: positiveInteger(env, 'RATE_LIMIT_PER_ACTOR_PER_MINUTE', DEFAULT_LIMITS.perActorPerMinute),
    },
  };
}

function identityAssertionKey(env: NodeJS.ProcessEnv): string | undefined {
  const key = env.IDENTITY_ASSERTION_KEY || undefined;
  if (key && key.length < 32) throw new Error('IDENTITY_ASSERTION_KEY must be at least 32 characters');
  return key;
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  if (env[name] === undefined || env[name] === '') return fallback;
  const value = Number(env[name]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}
