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
    res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
  }
}

/** Unknown paths: a JSON error like every other answer of this server, never an HTML page. */
export function sendNotFound(_req: IncomingMessage, res: ServerResponse): void {
  const body = JSON.stringify({ errors: [{ message: 'Not found', extensions: { code: 'NOT_FOUND' } }] });
  res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
