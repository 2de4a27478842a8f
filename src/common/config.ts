import path from 'node:path';

/** Settings read once from the environment; see README "Configuration". */
export interface AppConfig {
  port: number;
  databaseUrl: string | undefined;
  embeddedDataDir: string;
  production: boolean;
  expirySweepSeconds: number;
  matchingWorkerIntervalMs: number;
}

export const projectRoot = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..');

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const port = Number(env.PORT ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('PORT must be an integer between 0 and 65535');
  return {
    port,
    databaseUrl: env.DATABASE_URL || undefined,
    embeddedDataDir: env.EMBEDDED_PG_DIR ? path.resolve(env.EMBEDDED_PG_DIR) : path.join(projectRoot, '.data', 'postgres'),
    production: env.NODE_ENV === 'production',
    expirySweepSeconds: Number(env.EXPIRY_SWEEP_SECONDS ?? 60),
    matchingWorkerIntervalMs: Number(env.MATCHING_WORKER_INTERVAL_MS ?? 1000),
  };
}
