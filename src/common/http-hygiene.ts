import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * What every HTTP response carries, whichever path writes it (Express, the direct query path,
 * refusals written before either): set on the response before anything else runs, so that a
 * later `writeHead` adds to these headers rather than replacing them.
 */
const DASHBOARD_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "object-src 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function applySecurityHeaders(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  if (path === '/graphql' || path.startsWith('/graphql/')) {
    // Answers depend on who asks: no shared or browser cache may keep them.
    res.setHeader('Cache-Control', 'no-store');
  } else if (path === '/dashboard' || path.startsWith('/dashboard/')) {
    // The page loads its own script, style and data only, and is never framed.
    res.setHeader('Content-Security-Policy', DASHBOARD_POLICY);
    res.setHeader('X-Frame-Options', 'DENY');
  } else {
    res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
  }
}

/** The request being served: its id, for the server log. */
const requestScope = new AsyncLocalStorage<{ requestId: string }>();
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The id of the request being served (the client's X-Request-Id when well-formed, else a new one). */
export function currentRequestId(): string | undefined {
  return requestScope.getStore()?.requestId;
}

/** Runs `serve` for one request with its security headers set and its id in scope. */
export function serveRequest(req: IncomingMessage, res: ServerResponse, serve: () => void): void {
  applySecurityHeaders(req, res);
  const given = req.headers['x-request-id'];
  const requestId = typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
  requestScope.run({ requestId }, () => {
    // The body arrives in events of the socket's own async context: bound here, the handlers that
    // read it (and all that follows, down to formatting errors) see this request's scope.
    req.emit = AsyncLocalStorage.bind(req.emit.bind(req));
    serve();
  });
}

/** Unknown paths: a JSON error like every other answer of this server, never an HTML page. */
export function sendNotFound(_req: IncomingMessage, res: ServerResponse): void {
  const body = JSON.stringify({ errors: [{ message: 'Not found', extensions: { code: 'NOT_FOUND' } }] });
  res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The server log's one line for an unexpected error, with the request it happened in. */
export function logUnexpectedError(where: string, error: unknown): void {
  const requestId = currentRequestId();
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  console.error(`[${where}] internal error${requestId ? ` (request ${requestId})` : ''}:`, detail);
}
