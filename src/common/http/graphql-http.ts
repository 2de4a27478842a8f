/**
 * GraphQL over HTTP on node:http: the one path every request to /graphql takes (query or mutation,
 * GET or POST, success, refusal or error). It does what Express, its JSON body parser and
 * @as-integrations/express5 did, without a router: the per-IP limit before the body is read, the
 * body read within its size limit and parsed as body-parser parses JSON, the nesting guard, the
 * replica read routing, then Apollo Server's public `executeHTTPGraphQLRequest`, which runs the
 * plugins (limits, error formatting, request observation, CSRF prevention, landing page), and
 * whose answer is written as it is.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';
import { ApolloServer, BaseContext, HeaderMap, HTTPGraphQLRequest } from '@apollo/server';
import { AbuseLimits, nestingRefusal, refuseOverIpLimit } from '../abuse-limits';
import { noteErrorCode, noteRequest } from './request-lifecycle';

export interface GraphQLHttpOptions<Context extends BaseContext> {
  apollo: ApolloServer<Context>;
  limits: AbuseLimits;
  /** Counts the request against the per-IP limit; seconds to wait when over it (a promise where shared). */
  countIp(req: IncomingMessage): number | Promise<number>;
  /** The request's context; throwing refuses it (Apollo answers the GraphQLError thrown). */
  context(req: IncomingMessage): Promise<Context>;
  /** Runs the execution of a request whose text is `query` (read-only ones read from the replicas). */
  around<R>(req: IncomingMessage, query: unknown, work: () => R): R;
  /** A typed JSON error for a request refused before GraphQL (malformed or oversized body, failure). */
  refuse(res: ServerResponse, status: number): void;
  /** An internal error of this path's own (not a resolver's). */
  onError(req: IncomingMessage, error: unknown): void;
}

/** Why a body was not read: the status to answer with. */
class BodyRefusal {
  constructor(readonly status: 400 | 413 | 415) {}
}

export function graphqlHttpHandler<Context extends BaseContext>(options: GraphQLHttpOptions<Context>) {
  const fail = (req: IncomingMessage, res: ServerResponse, error: unknown) => {
    if (error instanceof BodyRefusal) return options.refuse(res, error.status);
    options.onError(req, error);
    if (!res.headersSent) options.refuse(res, 500);
    else res.destroy();
  };

  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readJsonBody(req, options.limits.maxBodyBytes);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const search = q < 0 ? '' : url.slice(q);
    const method = (req.method ?? 'GET').toUpperCase();
    // A GET carries its text in the URL, as Apollo reads it.
    const query =
      method === 'GET'
        ? new URLSearchParams(search).get('query')
        : body && typeof body === 'object'
          ? (body as { query?: unknown }).query
          : undefined;
    const refusal = typeof query === 'string' ? nestingRefusal(query, options.limits) : null;
    if (refusal) {
      noteRequest(req, { refusal: 'nesting' });
      noteErrorCode(req, refusal.code);
      const text = JSON.stringify({ errors: [{ message: refusal.message, extensions: { code: refusal.code } }] });
      const length = Buffer.byteLength(text);
      res.writeHead(400, { 'content-type': 'application/json; charset=utf-8', 'content-length': length });
      res.end(text);
      return;
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const httpGraphQLRequest: HTTPGraphQLRequest = { method, headers, search, body };
    const response = await options.around(req, query, () =>
      options.apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest, context: () => options.context(req) }),
    );
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.setHeader('content-length', Buffer.byteLength(response.body.string));
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };

  const counted = (req: IncomingMessage, res: ServerResponse, wait: number) => {
    if (wait > 0) return refuseOverIpLimit(res, wait);
    answer(req, res).catch((error: unknown) => fail(req, res, error));
  };

  return (req: IncomingMessage, res: ServerResponse): void => {
    // The per-IP limit comes before the body is read or anything parsed.
    const wait = options.countIp(req);
    if (typeof wait === 'number') return counted(req, res, wait);
    wait.then(
      (seconds) => counted(req, res, seconds),
      (error: unknown) => fail(req, res, error),
    );
  };
}

/**
 * The body as body-parser's `json()` reads it: nothing for a request without a body or of another
 * content type (Apollo then refuses it, CSRF prevention included); gzip, deflate and br inflated;
 * the size limit on what is read (413); an empty body is `{}`; anything but an object or array, or
 * malformed JSON, is 400. A refused body is read to its end before the answer: closing a
 * connection with unread data resets it, and the client may lose the answer.
 */
function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const headers = req.headers;
  if (headers['transfer-encoding'] === undefined && headers['content-length'] === undefined) {
    return Promise.resolve(undefined);
  }
  const [type, ...parameters] = (headers['content-type'] ?? '').split(';');
  if (type.trim().toLowerCase() !== 'application/json') return Promise.resolve(undefined);
  const charsetParameter = parameters.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('charset='));
  const charset = charsetParameter?.slice('charset='.length).replace(/^"|"$/g, '') ?? 'utf-8';
  const encoding = (headers['content-encoding'] ?? 'identity').toLowerCase();
  let inflate: Transform | null = null;
  let refusal: BodyRefusal | null =
    charset !== 'utf-8' && charset !== 'utf-16le'
      ? new BodyRefusal(415)
      : encoding === 'identity' && Number(headers['content-length']) > limit
        ? new BodyRefusal(413)
        : null;
  if (!refusal && encoding !== 'identity') {
    inflate =
      encoding === 'gzip'
        ? zlib.createGunzip()
        : encoding === 'deflate'
          ? zlib.createInflate()
          : encoding === 'br'
            ? zlib.createBrotliDecompress()
            : null;
    if (inflate) req.pipe(inflate);
    else refusal = new BodyRefusal(415);
  }
  const stream: Readable = inflate ?? req;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const refuse = (why: BodyRefusal) => {
      refusal ??= why;
      if (inflate) req.unpipe(inflate);
      // Read off the rest, then answer.
      if (req.readableEnded) reject(refusal);
      else req.resume();
    };
    req.once('end', () => {
      if (refusal) reject(refusal);
    });
    req.once('error', () => req.destroy());
    if (refusal) return refuse(refusal);
    stream.on('error', () => refuse(new BodyRefusal(400)));
    stream.on('data', (chunk: Buffer) => {
      if (refusal) return;
      size += chunk.length;
      if (size > limit) return refuse(new BodyRefusal(413));
      chunks.push(chunk);
    });
    stream.once('end', () => {
      if (refusal) return;
      let text = Buffer.concat(chunks, size).toString(charset === 'utf-8' ? 'utf8' : 'utf16le');
      // body-parser drops a byte order mark.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.length === 0) return resolve({});
      const first = /\S/.exec(text)?.[0];
      if (first !== '{' && first !== '[') return reject(new BodyRefusal(400));
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new BodyRefusal(400));
      }
    });
  });
}
