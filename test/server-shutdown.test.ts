import { once } from 'node:events';
import net from 'node:net';
import { startTestApp } from './support/app';

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
      const head = `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
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
        errors: [{ message: 'The server is shutting down; retry the request', extensions: { code: 'SERVICE_UNAVAILABLE' } }],
      });
    } finally {
      await app.close();
    }
  });
});
