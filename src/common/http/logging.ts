/**
 * Structured logs (pino): JSON lines with time, level and message; a short human format only on a
 * terminal in development. The access log and error log of requests are request-lifecycle hooks.
 */
import { transientKind } from '../database/transaction';
import pino, { DestinationStream, Logger } from 'pino';
import type { LogLevel } from '../config';
import type { RequestHooks, RequestRecord } from './request-lifecycle';

export type { Logger };

export interface LoggerOptions {
  level: LogLevel;
  production: boolean;
  /** Where lines go: stdout by default. */
  destination?: DestinationStream;
  /** The human format instead of JSON; by default only on a terminal outside production. */
  pretty?: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.pretty ?? (!options.production && Boolean(process.stdout.isTTY));
  const destination =
    options.destination ?? (pretty ? humanFormat(process.stdout) : pino.destination({ dest: 1, sync: false }));
  return pino(
    {
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** Logs nothing: the default of servers started by tests and scripts. */
export const silentLogger: Logger = pino({ level: 'silent' });

let current: Logger = silentLogger;

/** The process's logger (main.ts sets it; background tasks and the start-up use it). */
export function processLogger(): Logger {
  return current;
}

export function setProcessLogger(logger: Logger): void {
  current = logger;
}

const COLOURS: Record<string, string> = { fatal: '35', error: '31', warn: '33', info: '32', debug: '36', trace: '90' };
const SHOWN_APART = new Set(['time', 'level', 'msg', 'err']);

/** `12:00:00.000 INFO  message key=value …`, a stack on the lines below. */
function humanFormat(out: NodeJS.WriteStream): DestinationStream {
  return {
    write(line: string) {
      const entry = JSON.parse(line) as Record<string, unknown> & {
        time: string;
        level: string;
        msg?: string;
        err?: { stack?: string };
      };
      const fields = Object.entries(entry)
        .filter(([key]) => !SHOWN_APART.has(key))
        .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
        .join(' ');
      const level = `\u001b[${COLOURS[entry.level] ?? '0'}m${entry.level.toUpperCase().padEnd(5)}\u001b[0m`;
      const stack = entry.err?.stack ? `\n${entry.err.stack}` : '';
      out.write(`${entry.time.slice(11, 23)} ${level} ${entry.msg ?? ''}${fields ? ` ${fields}` : ''}${stack}\n`);
    },
  };
}

/** PostgreSQL and socket codes of a database that is down, restarting or out of connections. */
const OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08006',
]);
const OUTAGE_MESSAGES = new RegExp(
  'timeout exceeded when trying to connect|Connection terminated|connection is closed|' +
    'not currently accepting connections|the database system is (starting up|shutting down)',
  'i',
);

/**
 * Whether an error means the database is unreachable (an expected outage, logged as one line)
 * rather than a defect (logged with its stack).
 */
export function isOutage(error: unknown): boolean {
  type Cause = {
    code?: unknown;
    message?: unknown;
    originalError?: unknown;
    cause?: unknown;
    extensions?: { code?: unknown };
  };
  // GraphQL errors wrap the thrown one; drivers wrap theirs in `cause`.
  for (let cause = error as Cause | undefined, depth = 0; cause && depth < 5; depth++) {
    const { code, message } = cause;
    if (typeof code === 'string' && OUTAGE_CODES.has(code)) return true;
    if (typeof message === 'string' && OUTAGE_MESSAGES.test(message)) return true;
    if (cause.extensions?.code === 'SERVICE_UNAVAILABLE' || transientKind(cause)) return true;
    cause = (cause.originalError ?? cause.cause) as Cause | undefined;
  }
  return false;
}

/** The error's first line and code, for one-line outage entries. */
export function briefly(error: unknown): { type: string; code?: string; message: string } {
  const code = (error as { code?: unknown })?.code;
  return {
    type: error instanceof Error ? error.constructor.name : typeof error,
    ...(typeof code === 'string' ? { code } : {}),
    message: error instanceof Error ? error.message.split('\n')[0].slice(0, 300) : String(error).slice(0, 300),
  };
}

/** Logs an error once: an outage as one line, anything else with its stack. */
export function logError(logger: Logger, error: unknown, message: string, fields: Record<string, unknown> = {}): void {
  if (isOutage(error)) logger.warn({ ...fields, error: briefly(error) }, `${message}: database unavailable`);
  else if (error instanceof Error) logger.error({ ...fields, err: error }, message);
  else logger.error({ ...fields, error: briefly(error) }, message);
}

/** Paths of probes and scrapes: logged at debug, so that they do not drown the access log. */
const QUIET_PATHS = new Set(['/livez', '/readyz', '/health', '/metrics']);

/** One access line per request, and its internal errors with their stack (outages as one line). */
export function accessLog(logger: Logger): RequestHooks {
  return {
    onRequestEnd(request: RequestRecord) {
      const level = QUIET_PATHS.has(request.path) ? 'debug' : request.outcome === 'error' ? 'warn' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        {
          reqId: request.id,
          method: request.method,
          path: request.path,
          operation: request.operationName,
          operationType: request.operationType,
          actor: request.actor,
          status: request.status,
          outcome: request.outcome,
          refusal: request.refusal,
          durationMs: Math.round(request.durationMs! * 100) / 100,
        },
        'request',
      );
    },
    onError(request, error) {
      logError(logger, error, 'request failed', { reqId: request?.id, operation: request?.operationName });
    },
  };
}
