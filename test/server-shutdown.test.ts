import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { startServer } from '../src/server';
import { startTestApp } from './support/app';

interface Answer {
  status: number;
  connection?: string;
  body: string;
}

/** POSTs on the client's own keep-alive connection (reused between calls while the server keeps it). */
function post(agent: http.Agent, url: URL, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        const { connection } = response.headers;
        response.on('end', () => resolve({ status: response.statusCode!, connection, body: text }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

describe('stopping the server', () => {
  it('finishes the request being answered and refuses the next one on that connection with a typed 503', async () => {
    const app = await startTestApp();
    try {
      const socket = net.connect(Number(new URL(app.url).port), '127.0.0.1');
      await once(socket, 'connect');
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (received += chunk));
      const closed = once(socket, 'close');

      const body = JSON.stringify({ query: '{ __typename }' });
      const head =
        `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
      // The first request's headers: it is being answered (its body still to come) when the stop begins.
      const firstArrived = once(app.server.httpServer, 'request');
      socket.write(head);
      await firstArrived;
      const stopped = app.server.stop();
      // Its body, then a second request on the same connection.
      socket.write(body + head + body);
      await closed;
      await stopped;

      const [first, second, ...rest] = received.split(/(?=HTTP\/1\.1 )/);
      expect(rest).toEqual([]);
      expect(first).toMatch(/^HTTP\/1\.1 200 /);
      expect(JSON.parse(first.slice(first.indexOf('\r\n\r\n') + 4))).toEqual({ data: { __typename: 'Query' } });
      expect(second).toMatch(/^HTTP\/1\.1 503 /);
      expect(second).toMatch(/\r\nretry-after: 1\r\n/i);
      expect(second).toMatch(/\r\nconnection: close\r\n/i);
      expect(JSON.parse(second.slice(second.indexOf('\r\n\r\n') + 4))).toEqual({
        errors: [
          { message: 'The server is shutting down; retry the request', extensions: { code: 'SERVICE_UNAVAILABLE' } },
        ],
      });
    } finally {
      await app.close();
    }
  });

  it('keep-alive load: unready at once, serving through the delay, then 503s; no reset, no lost write', async () => {
    const app = await startTestApp();
    const server = await startServer(
      {
        dataSource: app.dataSource,
        production: false,
        limits: { perIpPerMinute: 1_000_000, perActorPerMinute: 1_000_000 },
        shutdown: { delaySeconds: 0.6, graceSeconds: 5 },
      },
      0,
      '127.0.0.1',
    );
    const url = new URL(server.url.replace('localhost', '127.0.0.1'));
    const createInstitution = (name: string) =>
      JSON.stringify({
        query:
          'mutation ($input: CreateInstitutionInput!) ' +
          '{ createInstitution(input: $input) { institution { id name } userErrors { code } } }',
        variables: { input: { name, type: 'BANK', regionsServed: ['230000'], responseDeadlineDays: 3 } },
      });
    const acknowledged: string[] = [];
    const failures: string[] = [];
    let answeredWhileDraining = 0;
    let turnedAway = 0;
    let stopBegan = false;
    /** One client on its own keep-alive connection, writing until the server turns it away. */
    const client = async (id: number) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let n = 0; ; n++) {
          const name = `停机测试银行 ${id}-${n}`;
          const draining = stopBegan;
          let answer: Answer;
          try {
            answer = await post(agent, url, createInstitution(name), { 'x-actor': 'operator' });
          } catch (error) {
            // A new connection refused after the stop is turned away too (nothing was sent); a reset is not.
            if ((error as { code?: string }).code === 'ECONNREFUSED' && stopBegan) {
              turnedAway++;
              return;
            }
            failures.push(`${(error as { code?: string }).code ?? ''} ${(error as Error).message}`);
            return;
          }
          if (answer.status === 503) {
            const code = JSON.parse(answer.body).errors[0].extensions.code;
            if (answer.connection === 'close' && code === 'SERVICE_UNAVAILABLE') turnedAway++;
            else failures.push(`503 ${answer.connection} ${answer.body}`);
            return;
          }
          const body = JSON.parse(answer.body);
          if (answer.status !== 200 || body.data?.createInstitution?.institution?.name !== name) {
            failures.push(`${answer.status} ${answer.body}`);
            return;
          }
          acknowledged.push(name);
          if (draining) {
            answeredWhileDraining++;
            if (answer.connection !== 'close') failures.push('answered while draining without Connection: close');
          }
        }
      } finally {
        agent.destroy();
      }
    };
    try {
      const clients = Array.from({ length: 8 }, (_, id) => client(id));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(failures).toEqual([]);
      const stopped = server.stop();
      stopBegan = true;
      // Readiness says so at once, while requests are still answered.
      const ready = await fetch(new URL('/readyz', url));
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as any).checks.draining).toBe('the server is shutting down');
      await Promise.all(clients);
      await stopped;

      expect(failures).toEqual([]);
      expect(answeredWhileDraining).toBeGreaterThan(0);
      // Every client was turned away: a 503 with Connection: close (or, after the stop, a refused connection).
      expect(turnedAway).toBe(8);
      expect(acknowledged.length).toBeGreaterThan(answeredWhileDraining);
      const [{ count }] = await app.dataSource.query(
        'SELECT count(*)::int AS count FROM institution WHERE name = ANY($1)',
        [acknowledged],
      );
      expect(count).toBe(acknowledged.length);
    } finally {
      await server.stop();
      await app.close();
    }
  });
});
