import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody } from './errors';

/**
 * What every HTTP response carries, whichever path writes it (GraphQL, the dashboard's Express,
 * probes, refusals written before either): set on the response before anything else runs, so that a
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
  // Express matches routes whatever their case (/GraphQL reaches the API): so do these headers.
  const path = (req.url ?? '/').split('?')[0].toLowerCase();
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
    res.setHeader('Content-Security-Policy', NOTHING_POLICY);
  }
}

const NOTHING_POLICY = "default-src 'none'; frame-ancestors 'none'";

/**
 * A request Node's HTTP parser refuses (malformed, headers too large) never reaches the handler:
 * answered here as the server answers the rest, JSON with the same headers, instead of Node's bare
 * status line.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  // As Node's own handler: nothing is written where a response on this socket has already begun.
  const answering = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || answering?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, reason] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout']
        : [400, 'Bad Request'];
  const body = errorBody('BAD_REQUEST', 'Bad request');
  const head = [
    `HTTP/1.1 ${status} ${reason}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'X-Content-Type-Options: nosniff',
    'Referrer-Policy: no-referrer',
    `Content-Security-Policy: ${NOTHING_POLICY}`,
    'Cache-Control: no-store',
    'Connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

/** Unknown paths: a JSON error like every other answer of this server, never an HTML page. */
export function sendNotFound(_req: IncomingMessage, res: ServerResponse): void {
  const body = errorBody('NOT_FOUND', 'Not found');
  res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
