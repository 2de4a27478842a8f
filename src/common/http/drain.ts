/**
 * Closing the HTTP server without resetting a request. Node's own close() ends idle keep-alive
 * connections at once, and a request a client is just sending on one is then reset (ECONNRESET);
 * closing the listener resets the connections still in its backlog, whose clients may have sent a
 * request already. Here requests in flight finish, a connection is ended only once it has been
 * quiet for a while, and the listener closes last; a request arriving meanwhile, on any
 * connection, is answered (503 by the server, with Connection: close), never dropped.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** How long a connection with no request must stay quiet before it is ended. */
const QUIET_MS = 250;
const POLL_MS = 25;

interface Connection {
  requests: number;
  lastActive: number;
}

export class ConnectionDrain {
  private readonly connections = new Map<Socket, Connection>();
  /** When a connection last opened or closed. */
  private lastChange = Date.now();

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.connections.set(socket, { requests: 0, lastActive: Date.now() });
      this.lastChange = Date.now();
      socket.once('close', () => {
        this.connections.delete(socket);
        this.lastChange = Date.now();
      });
    });
  }

  /** Counts a request on its connection until its response is done. */
  track(req: IncomingMessage, res: ServerResponse): void {
    const connection = this.connections.get(req.socket);
    if (!connection) return;
    connection.requests++;
    connection.lastActive = Date.now();
    res.once('close', () => {
      connection.requests--;
      connection.lastActive = Date.now();
    });
  }

  /** Ends each connection once quiet, then closes the listener; after `graceMs` ends the rest. */
  async close(graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    // A client whose connection just closed after its answer may be reconnecting: it gets a 503
    // rather than a refused connection, so the listener waits for a quiet moment too.
    const busy = (now: number) => this.connections.size > 0 || (now - this.lastChange < QUIET_MS && now < deadline);
    for (let now = Date.now(); busy(now); now = Date.now()) {
      for (const [socket, connection] of this.connections) {
        if (now >= deadline || (connection.requests === 0 && now - connection.lastActive >= QUIET_MS)) socket.destroy();
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
