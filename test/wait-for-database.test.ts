import net from 'node:net';
import { findFreePort } from '../src/common/database/embedded-postgres';
import { waitForDatabase } from '../src/common/database/wait-for-database';
import { capturingLogger } from './support/log-lines';

/** The test PostgreSQL's URL with its port replaced. */
function throughPort(port: number): string {
  const url = new URL(process.env.TEST_ADMIN_DATABASE_URL!);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return url.toString();
}

/** A TCP relay to the test PostgreSQL on `port`: a database that "comes up" when it starts. */
function relay(port: number): Promise<net.Server> {
  const target = new URL(process.env.TEST_ADMIN_DATABASE_URL!);
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

describe('waiting for the database at start-up', () => {
  it('waits with back-off while nothing listens, saying for what, and goes on once PostgreSQL answers', async () => {
    const port = await findFreePort();
    const { logger, lines } = capturingLogger('debug');
    let server: net.Server | undefined;
    const comesUp = new Promise<void>((resolve) =>
      setTimeout(async () => {
        server = await relay(port);
        resolve();
      }, 1200),
    );
    const started = Date.now();
    try {
      await waitForDatabase(throughPort(port), { waitSeconds: 20, logger });
      await comesUp;
      expect(Date.now() - started).toBeGreaterThanOrEqual(1200);
      const waits = lines.filter((line) => line.msg.startsWith('waiting for PostgreSQL'));
      expect(waits.length).toBeGreaterThanOrEqual(2);
      // Back-off: each pause at least as long as the one before.
      const pauses = waits.map((line) => line.retryInMs);
      expect(pauses).toEqual([...pauses].sort((a, b) => a - b));
      expect(pauses[1]).toBeGreaterThan(pauses[0]);
      expect(waits[0]).toMatchObject({
        level: 'info',
        database: `127.0.0.1:${port}/${new URL(process.env.TEST_ADMIN_DATABASE_URL!).pathname.slice(1)}`,
      });
      expect(waits[0].msg).toMatch(/ECONNREFUSED/);
      expect(JSON.stringify(lines)).not.toMatch(/postgres:postgres@/);
      expect(lines.at(-1).msg).toMatch(/answers$/);
    } finally {
      server?.close();
    }
  });

  it('gives up after DATABASE_WAIT_SECONDS with one clear sentence', async () => {
    const port = await findFreePort();
    const { logger } = capturingLogger();
    const started = Date.now();
    await expect(waitForDatabase(throughPort(port), { waitSeconds: 1, logger })).rejects.toThrow(
      new RegExp(
        `^PostgreSQL at 127\\.0\\.0\\.1:${port}/\\w+ did not answer within 1 s ` +
          `\\(DATABASE_WAIT_SECONDS\\): .*ECONNREFUSED`,
      ),
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
