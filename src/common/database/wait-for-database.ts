import { Client } from 'pg';
import type { Logger } from '../http/logging';

/** Errors that waiting cannot mend: the server answered, and refused these credentials or this database. */
const NOT_WORTH_WAITING = new Set(['28P01', '28000', '3D000']);
const FIRST_PAUSE_MS = 250;
const LONGEST_PAUSE_MS = 5000;

/** host:port/database of a URL, without user or password (for logs). */
export function describeDatabase(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
}

function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}

/**
 * Waits, with back-off, until PostgreSQL at `url` answers a query, for at most `waitSeconds`:
 * a database started beside the server (compose, a restart) is often a little late. Logs what it
 * waits for; throws a one-sentence error when the time is up or waiting cannot help.
 */
export async function waitForDatabase(url: string, options: { waitSeconds: number; logger: Logger }): Promise<void> {
  const where = describeDatabase(url);
  const deadline = Date.now() + options.waitSeconds * 1000;
  let pause = FIRST_PAUSE_MS;
  let lastReason = '';
  for (let attempt = 1; ; attempt++) {
    const client = new Client({
      connectionString: url,
      connectionTimeoutMillis: Math.min(LONGEST_PAUSE_MS, Math.max(1000, deadline - Date.now())),
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      if (attempt > 1) options.logger.info({ database: where, attempts: attempt }, `PostgreSQL at ${where} answers`);
      return;
    } catch (error) {
      const reason = reasonOf(error);
      const code = (error as { code?: unknown })?.code;
      if (typeof code === 'string' && NOT_WORTH_WAITING.has(code)) {
        throw new Error(`PostgreSQL at ${where} refused the connection (${reason}); check DATABASE_URL`, {
          cause: error,
        });
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `PostgreSQL at ${where} did not answer within ${options.waitSeconds} s (DATABASE_WAIT_SECONDS): ${reason}`,
          { cause: error },
        );
      }
      pause = Math.min(pause, left);
      // The first failure and each new reason at info; the same reason again only at debug.
      const level = reason === lastReason ? 'debug' : 'info';
      options.logger[level](
        { database: where, attempt, reason, retryInMs: pause },
        `waiting for PostgreSQL at ${where} (${reason})`,
      );
      lastReason = reason;
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, LONGEST_PAUSE_MS);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
