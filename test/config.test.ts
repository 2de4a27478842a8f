import { ConfigurationError, DEFAULT_RETENTION_DAYS, DEVELOPMENT_JWT_SECRET, loadConfig } from '../src/common/config';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('configuration', () => {
  it('has a default for every knob outside production', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4000,
      production: false,
      jwtSecret: DEVELOPMENT_JWT_SECRET,
      accessTokenTtlSeconds: 900,
      expirySweepSeconds: 60,
      matchingWorkerIntervalMs: 1000,
      statsCompactionIntervalMs: 1000,
      rateLimits: { perIpPerMinute: 1200, perActorPerMinute: 600 },
      subscriptions: {
        maxConnectionsPerIp: 100,
        maxConnectionsPerAccount: 10,
        maxSubscriptionsPerConnection: 20,
        maxMessageBytes: 65536,
        connectionInitTimeoutMs: 5000,
      },
      database: {
        poolSize: 20,
        poolTimeoutMs: 10_000,
        statementTimeoutMs: 30000,
        lockTimeoutMs: 3000,
        idleInTransactionTimeoutMs: 60000,
        waitSeconds: 60,
      },
      logLevel: 'info',
      shutdown: { delaySeconds: 0, graceSeconds: 10 },
      metrics: { enabled: true, token: undefined },
      retention: { intervalSeconds: 3600, batchRows: 5000, days: DEFAULT_RETENTION_DAYS },
      webhooks: { retryPeriodMs: 72 * 3_600_000, disableAfterMs: 72 * 3_600_000, allowLoopback: false },
    });
    // What README and the schema promise by default; idempotency keys at least what the API promises (a day).
    expect(DEFAULT_RETENTION_DAYS).toMatchObject({ outbox_event: 7, webhook_delivery: 30, idempotency_key: 30 });
  });

  it('parses what is set, and takes an empty variable as unset', () => {
    const config = loadConfig({
      PORT: '8080',
      EXPIRY_SWEEP_SECONDS: ' 30 ',
      MATCHING_WORKER_INTERVAL_MS: '250',
      STATS_COMPACTION_INTERVAL_MS: '5000',
      DATABASE_POOL_SIZE: '50',
      DATABASE_WAIT_SECONDS: '0',
      LOG_LEVEL: 'DEBUG',
      SHUTDOWN_DELAY_SECONDS: '3',
      METRICS_ENABLED: 'false',
      RATE_LIMIT_PER_IP_PER_MINUTE: '',
      WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '5',
    });
    expect(config).toMatchObject({
      port: 8080,
      expirySweepSeconds: 30,
      matchingWorkerIntervalMs: 250,
      statsCompactionIntervalMs: 5000,
      database: { poolSize: 50, waitSeconds: 0 },
      logLevel: 'debug',
      shutdown: { delaySeconds: 3 },
      metrics: { enabled: false },
      rateLimits: { perIpPerMinute: 1200 },
      subscriptions: { maxSubscriptionsPerConnection: 5, maxConnectionsPerAccount: 10 },
    });
  });

  it('refuses to start with the list of everything wrong, not only the first', () => {
    const problems = problemsOf({
      EXPIRY_SWEEP_SECONDS: 'abc',
      MATCHING_WORKER_INTERVAL_MS: '-5',
      PORT: '70000',
      DATABASE_POOL_SIZE: '1.5',
      LOG_LEVEL: 'loud',
      METRICS_ENABLED: 'maybe',
      NODE_ENV: 'prod',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'EXPIRY_SWEEP_SECONDS must be a whole number (got "abc")',
        'MATCHING_WORKER_INTERVAL_MS must be at least 10 (got "-5")',
        'PORT must be at most 65535 (got "70000")',
        'DATABASE_POOL_SIZE must be a whole number (got "1.5")',
        'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
        'METRICS_ENABLED must be true or false (got "maybe")',
        'NODE_ENV must be production, development or test (got "prod")',
      ]),
    );
    expect(problems).toHaveLength(7);
  });

  it('lists the rules over several variables too when another variable is wrong', () => {
    const production = { NODE_ENV: 'production', WEBHOOK_ALLOW_LOOPBACK: 'true', DATABASE_POOLER: 'pgbouncer' };
    expect(problemsOf({ ...production, EXPIRY_SWEEP_SECONDS: 'abc' })).toEqual([
      'EXPIRY_SWEEP_SECONDS must be a whole number (got "abc")',
      'DATABASE_DIRECT_URL must be set when DATABASE_POOLER=pgbouncer (LISTEN and migrations need a session of ' +
        'their own)',
      'JWT_SECRET must be set when NODE_ENV=production',
      'WEBHOOK_ALLOW_LOOPBACK is refused when NODE_ENV=production (endpoints on loopback or over http are for tests)',
    ]);
    // A rule about a variable that did not parse stays quiet: that variable's own problem is listed.
    expect(
      problemsOf({
        NODE_ENV: 'production',
        JWT_SECRET: 'x'.repeat(32),
        METRICS_ENABLED: 'true',
        METRICS_TOKEN: 'short',
      }),
    ).toEqual(['METRICS_TOKEN must be at least 16 characters']);
  });

  it('reads the retention periods, and refuses a period that is not a whole number of days from 1', () => {
    const config = loadConfig({
      RETENTION_INTERVAL_SECONDS: '600',
      RETENTION_BATCH_ROWS: '1000',
      OUTBOX_RETENTION_DAYS: '14',
      WEBHOOK_DELIVERY_RETENTION_DAYS: '90',
      IDEMPOTENCY_KEY_RETENTION_DAYS: '2',
      MATCHING_JOB_RETENTION_DAYS: '3',
      SESSION_RETENTION_DAYS: '5',
      SIGN_IN_THROTTLE_RETENTION_DAYS: '',
      MAIL_RETENTION_DAYS: '8',
    });
    expect(config.retention).toEqual({
      intervalSeconds: 600,
      batchRows: 1000,
      days: {
        outbox_event: 14,
        webhook_delivery: 90,
        idempotency_key: 2,
        matching_job: 3,
        auth_session: 5,
        sign_in_throttle: 1,
        mail_outbox: 8,
      },
    });
    expect(
      problemsOf({
        WEBHOOK_DELIVERY_RETENTION_DAYS: '-30',
        IDEMPOTENCY_KEY_RETENTION_DAYS: '0',
        OUTBOX_RETENTION_DAYS: '0.5',
        MATCHING_JOB_RETENTION_DAYS: '4000',
        SESSION_RETENTION_DAYS: 'week',
        SIGN_IN_THROTTLE_RETENTION_DAYS: '-1',
        RETENTION_BATCH_ROWS: '10',
        RETENTION_INTERVAL_SECONDS: '5',
      }),
    ).toEqual([
      'RETENTION_INTERVAL_SECONDS must be at least 60 (got "5")',
      'RETENTION_BATCH_ROWS must be at least 100 (got "10")',
      'OUTBOX_RETENTION_DAYS must be a whole number (got "0.5")',
      'WEBHOOK_DELIVERY_RETENTION_DAYS must be at least 1 (got "-30")',
      'IDEMPOTENCY_KEY_RETENTION_DAYS must be at least 1 (got "0")',
      'MATCHING_JOB_RETENTION_DAYS must be at most 3650 (got "4000")',
      'SESSION_RETENTION_DAYS must be a whole number (got "week")',
      'SIGN_IN_THROTTLE_RETENTION_DAYS must be at least 1 (got "-1")',
    ]);
  });

  it('reads the webhook periods with the rest, and refuses loopback endpoints in production', () => {
    const config = loadConfig({ WEBHOOK_RETRY_HOURS: '24', WEBHOOK_DISABLE_AFTER_HOURS: '720' });
    expect(config.webhooks).toEqual({
      retryPeriodMs: 24 * 3_600_000,
      disableAfterMs: 720 * 3_600_000,
      allowLoopback: false,
    });
    expect(loadConfig({ WEBHOOK_ALLOW_LOOPBACK: 'true' }).webhooks.allowLoopback).toBe(true);
    // Listed with every other problem, before anything starts (they used to be read only when the service was built).
    expect(
      problemsOf({
        WEBHOOK_RETRY_HOURS: 'three days',
        WEBHOOK_DISABLE_AFTER_HOURS: '0',
        WEBHOOK_ALLOW_LOOPBACK: 'maybe',
      }),
    ).toEqual([
      'WEBHOOK_RETRY_HOURS must be a whole number (got "three days")',
      'WEBHOOK_DISABLE_AFTER_HOURS must be at least 1 (got "0")',
      'WEBHOOK_ALLOW_LOOPBACK must be true or false (got "maybe")',
    ]);
    const production = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) };
    expect(problemsOf({ ...production, WEBHOOK_ALLOW_LOOPBACK: 'true' })).toEqual([
      'WEBHOOK_ALLOW_LOOPBACK is refused when NODE_ENV=production (endpoints on loopback or over http are for tests)',
    ]);
    expect(loadConfig({ ...production, WEBHOOK_ALLOW_LOOPBACK: 'false' }).webhooks.allowLoopback).toBe(false);
  });

  it('in production: a real secret, a drain delay, and /metrics off unless a token guards it', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual(['JWT_SECRET must be set when NODE_ENV=production']);
    const secret = 'x'.repeat(32);
    expect(problemsOf({ NODE_ENV: 'production', JWT_SECRET: 'short-secret-value' })).toEqual([
      'JWT_SECRET must be at least 32 characters',
    ]);
    const problems = problemsOf({ NODE_ENV: 'production', JWT_SECRET: secret, METRICS_ENABLED: 'true' });
    expect(problems).toEqual([
      'METRICS_TOKEN must be set when METRICS_ENABLED=true in production (/metrics asks for it)',
    ]);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: secret })).toMatchObject({
      shutdown: { delaySeconds: 5 },
      metrics: { enabled: false },
    });
    const token = 'metrics-token-0123456789';
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: secret, METRICS_TOKEN: token }).metrics).toEqual({
      enabled: true,
      token,
    });
  });

  it('never repeats a secret in its message', () => {
    const problems = problemsOf({ METRICS_TOKEN: 'short-token', DATABASE_URL: 'mysql://user:hunter2@db/x' });
    expect(problems.join('\n')).not.toMatch(/short-token|hunter2/);
    expect(problems).toHaveLength(2);
  });
});
