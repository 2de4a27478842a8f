/**
 * The one place every HTTP request is seen from start to end, whatever answers it (GraphQL, a
 * probe, the dashboard, a refusal before GraphQL): hooks registered here get its start,
 * its end with status and outcome, and its internal errors. The access log and the metrics are
 * such hooks. Each path only notes what it learns on the request (operation, actor, refusal,
 * error codes).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '../errors';

/** How a request ended, from the client's point of view. */
export type Outcome = 'success' | 'client_error' | 'unauthenticated' | 'refused' | 'error' | 'unavailable' | 'aborted';

/** Which limit refused a request (README "Who may see and do what"). */
export type Refusal =
  | 'rate_ip'
  | 'rate_actor'
  | 'depth'
  | 'aliases'
  | 'cost'
  | 'body_size'
  | 'nesting'
  // Over WebSocket (src/notifications/websocket.ts): connections per IP or account, subscriptions per connection.
  | 'connections'
  | 'subscriptions';

export interface RequestRecord {
  /** X-Request-Id as sent (when it is a sane token), else generated; returned in the response. */
  readonly id: string;
  /** The HTTP method; `SUBSCRIBE` for a subscription over WebSocket (one record from subscribe to its end). */
  readonly method: string;
  readonly path: string;
  /** process.hrtime.bigint() at the start. */
  readonly startedAt: bigint;
  operationName?: string;
  operationType?: 'query' | 'mutation' | 'subscription';
  /** actorKey() of who acted, when known. */
  actor?: string;
  refusal?: Refusal;
  /** extensions.code of every error the response carries. */
  errorCodes: string[];
  /** Set at the end. */
  status?: number;
  outcome?: Outcome;
  durationMs?: number;
}

export interface RequestHooks {
  onRequestStart?(request: RequestRecord): void;
  onRequestEnd?(request: RequestRecord): void;
  /** An internal error met while answering (not a client's mistake): logged with its stack once. */
  onError?(request: RequestRecord | undefined, error: unknown): void;
}

const RECORD = Symbol('request record');
type Tracked = IncomingMessage & { [RECORD]?: RequestRecord };

/** Up to 128 visible characters: longer or stranger ids are replaced, never echoed into logs. */
const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

const REFUSAL_BY_CODE: Record<string, Refusal> = {
  QUERY_TOO_DEEP: 'depth',
  TOO_MANY_ALIASES: 'aliases',
  QUERY_TOO_COSTLY: 'cost',
  RATE_LIMITED: 'rate_actor',
  TOO_MANY_CONNECTIONS: 'connections',
  TOO_MANY_SUBSCRIPTIONS: 'subscriptions',
};

/** The record of a request (or of the request a response answers), when it is being tracked. */
export function recordOf(message: IncomingMessage | ServerResponse): RequestRecord | undefined {
  const req = 'req' in message ? (message as ServerResponse).req : message;
  return (req as Tracked | undefined)?.[RECORD];
}

/** Notes what a path learnt about the request (operation, actor, refusal). */
export function noteRequest(
  message: IncomingMessage | ServerResponse,
  details: Partial<Pick<RequestRecord, 'operationName' | 'operationType' | 'actor' | 'refusal'>>,
): void {
  const record = recordOf(message);
  if (record) Object.assign(record, details);
}

/** Notes the code of an error the response will carry. */
export function noteErrorCode(message: IncomingMessage | ServerResponse, code: ErrorCode): void {
  recordOf(message)?.errorCodes.push(code);
}

function outcomeOf(record: RequestRecord, status: number, finished: boolean): Outcome {
  if (!finished) return 'aborted';
  const codes = record.errorCodes;
  if (!record.refusal) {
    if (status === 413) record.refusal = 'body_size';
    else for (const code of codes) if (REFUSAL_BY_CODE[code]) record.refusal = REFUSAL_BY_CODE[code];
  }
  if (record.refusal) return 'refused';
  if (status === 503 || codes.includes('SERVICE_UNAVAILABLE')) return 'unavailable';
  if (status >= 500 || codes.includes('INTERNAL_SERVER_ERROR')) return 'error';
  if (status === 401 || codes.includes('UNAUTHENTICATED')) return 'unauthenticated';
  return status >= 400 || codes.length > 0 ? 'client_error' : 'success';
}

export class RequestLifecycle {
  private hooks: RequestHooks[] = [];

  /** Adds hooks; returns a function that removes them. */
  register(hooks: RequestHooks): () => void {
    this.hooks = [...this.hooks, hooks];
    return () => {
      this.hooks = this.hooks.filter((h) => h !== hooks);
    };
  }

  /** Starts tracking a request: its id goes on the response, and the hooks hear of it now and at its end. */
  begin(req: IncomingMessage, res: ServerResponse): RequestRecord {
    const sent = req.headers['x-request-id'];
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const record: RequestRecord = {
      id: typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID(),
      method: req.method ?? 'GET',
      path: query < 0 ? url : url.slice(0, query),
      startedAt: process.hrtime.bigint(),
      errorCodes: [],
    };
    (req as Tracked)[RECORD] = record;
    res.setHeader('x-request-id', record.id);
    this.call((hooks) => hooks.onRequestStart?.(record));
    res.once('close', () => this.end(record, res));
    return record;
  }

  /**
   * Starts tracking what is answered without an HTTP response of its own (a subscription over
   * WebSocket, a refused WebSocket upgrade): the hooks hear of it now and at `endOperation`.
   */
  beginOperation(
    details: Pick<RequestRecord, 'method' | 'path'> & Partial<Pick<RequestRecord, 'actor'>>,
  ): RequestRecord {
    const record: RequestRecord = { id: randomUUID(), startedAt: process.hrtime.bigint(), errorCodes: [], ...details };
    this.call((hooks) => hooks.onRequestStart?.(record));
    return record;
  }

  /** Ends an operation begun by beginOperation: the outcome follows from its refusal and error codes. */
  endOperation(record: RequestRecord, status?: number): void {
    if (record.outcome) return;
    this.finish(record, status, status ?? 200, true);
  }

  /** Reports an internal error to the hooks, with the request (or its record) it happened in when known. */
  error(message: IncomingMessage | ServerResponse | RequestRecord | undefined, error: unknown): void {
    const record = message && ('startedAt' in message ? message : recordOf(message));
    this.call((hooks) => hooks.onError?.(record, error));
  }

  private end(record: RequestRecord, res: ServerResponse): void {
    this.finish(record, res.statusCode, res.statusCode, res.writableFinished);
  }

  private finish(record: RequestRecord, status: number | undefined, effective: number, finished: boolean): void {
    record.status = status;
    record.durationMs = Number(process.hrtime.bigint() - record.startedAt) / 1e6;
    record.outcome = outcomeOf(record, effective, finished);
    this.call((hooks) => hooks.onRequestEnd?.(record));
  }

  private call(run: (hooks: RequestHooks) => void): void {
    for (const hooks of this.hooks) {
      try {
        run(hooks);
      } catch {
        // A failing hook must not fail the request, nor stop the other hooks.
      }
    }
  }
}
