import { Client, ClientConfig, Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { processLogger } from '../common/http/logging';
import { cursorAfter, OutboxCursor, OutboxEvent, outboxHead, readOutbox } from './outbox';

export const OUTBOX_CHANNEL = 'outbox_event';
const RECONNECT_MS = 1000;

/** Whether `a` comes after `b` in the delivery order (tx, id). */
export function isAfter(a: OutboxCursor, b: OutboxCursor): boolean {
  const [ta, tb] = [BigInt(a.tx), BigInt(b.tx)];
  return ta !== tb ? ta > tb : BigInt(a.id) > BigInt(b.id);
}

/** An async iterator fed by pushes; `return()` (the client unsubscribing) ends it and runs `onEnd`. */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  private readonly buffered: T[] = [];
  private readonly waiting: Array<(result: IteratorResult<T>) => void> = [];
  private ended = false;
  private failure: unknown = null;

  constructor(private readonly onEnd: () => void) {}

  push(value: T): void {
    if (this.ended) return;
    const next = this.waiting.shift();
    if (next) next({ value, done: false });
    else this.buffered.push(value);
  }

  /** Ends the stream with an error (graphql-ws sends it to the client, then completes). */
  fail(error: unknown): void {
    this.failure = error;
    this.finish();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffered.length > 0) return Promise.resolve({ value: this.buffered.shift()!, done: false });
    if (this.failure) {
      const failure = this.failure;
      this.failure = null;
      return Promise.reject(failure);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
    const failure = this.failure;
    for (const resolve of this.waiting.splice(0)) {
      resolve(failure ? (Promise.reject(failure) as never) : { value: undefined, done: true });
    }
    if (failure && this.waiting.length === 0) this.failure = failure;
  }
}

interface Subscriber {
  accepts(event: OutboxEvent): boolean;
  deliver(event: OutboxEvent): void;
}

/**
 * This process's view of the outbox: it LISTENs on a direct connection (not one of the pool's) for
 * the notification each committed write sends, reads the events that became safe to deliver since
 * its cursor, and hands each to the subscribers that may see it. Every server process runs one,
 * so an event committed through any process reaches the subscribers of all. It also reads every
 * `pollMs`: an event held back by an older transaction still running is delivered once that one
 * ends, which sends no notification of its own when it wrote no event.
 */
export class LiveFeed {
  private readonly subscribers = new Set<Subscriber>();
  private cursor: OutboxCursor | null = null;
  private listener: Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reading: Promise<void> | null = null;
  private again = false;
  /** No subscriber was there at the last wake: the cursor is behind and moves to the head first. */
  private idle = false;
  private stopped = true;

  constructor(
    private readonly dataSource: DataSource,
    private readonly pollMs = 500,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.listen().catch((error) =>
      processLogger().warn({ error: String(error) }, 'not listening for outbox events; reading them every poll'),
    );
    this.cursor = await outboxHead(this.dataSource);
    this.timer = setInterval(() => this.wake(), this.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => undefined);
    await this.reading;
  }

  /**
   * Events for one subscriber: those after `after` (an event id) from the outbox first, then the
   * live ones, each once and in delivery order; `accepts` says which the subscriber may see.
   */
  subscribe(accepts: (event: OutboxEvent) => boolean, after: string | null): EventQueue<OutboxEvent> {
    let last: OutboxCursor | null = null;
    let replaying = after !== null;
    const held: OutboxEvent[] = [];
    const queue = new EventQueue<OutboxEvent>(() => this.subscribers.delete(subscriber));
    const forward = (event: OutboxEvent) => {
      if (last && !isAfter(event, last)) return;
      last = event;
      queue.push(event);
    };
    const subscriber: Subscriber = {
      accepts,
      deliver: (event) => (replaying ? held.push(event) : forward(event)),
    };
    this.subscribers.add(subscriber);
    this.wake();
    if (after !== null) {
      // Registered first, so what becomes safe while the outbox is read is held, not lost; and read
      // after the feed's own read (which may move an idle cursor to the head), so nothing falls between.
      void (this.reading ?? Promise.resolve())
        .then(() => this.replay(after, accepts, forward))
        .then(() => {
          replaying = false;
          for (const event of held.splice(0)) forward(event);
        })
        .catch((error) => queue.fail(error));
    }
    return queue;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  private async replay(after: string, accepts: (event: OutboxEvent) => boolean, forward: (event: OutboxEvent) => void) {
    let cursor: OutboxCursor | null = await cursorAfter(this.dataSource, after);
    for (;;) {
      const page = await readOutbox(this.dataSource, cursor);
      for (const event of page) if (accepts(event)) forward(event);
      if (page.length < 500) return;
      cursor = page[page.length - 1];
    }
  }

  /**
   * Reads what became safe since the cursor; a wake during a read runs one more read after it.
   * Without subscribers nothing is read (no statement runs for a process nobody listens to); the
   * next read starts from the outbox's head instead.
   */
  private wake(): void {
    if (this.stopped || this.cursor === null) return;
    if (this.subscribers.size === 0) {
      this.idle = true;
      return;
    }
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.read()
      .catch((error) => processLogger().warn({ error: String(error) }, 'reading the outbox failed; retrying'))
      .finally(() => {
        this.reading = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async read(): Promise<void> {
    if (this.idle) {
      this.idle = false;
      this.cursor = await outboxHead(this.dataSource);
    }
    for (;;) {
      const page = await readOutbox(this.dataSource, this.cursor);
      for (const event of page) {
        this.cursor = event;
        for (const subscriber of this.subscribers) if (subscriber.accepts(event)) subscriber.deliver(event);
      }
      if (page.length < 500) return;
    }
  }

  private async listen(): Promise<void> {
    const pool = (this.dataSource.driver as PostgresDriver).master as Pool & { options: ClientConfig };
    const client = new Client({ ...pool.options, keepAlive: true });
    client.on('notification', (message) => {
      if (message.channel === OUTBOX_CHANNEL) this.wake();
    });
    const lost = () => {
      if (this.listener !== client) return;
      this.listener = null;
      if (!this.stopped) setTimeout(() => void this.listen().catch(() => undefined), RECONNECT_MS).unref();
    };
    client.on('error', lost);
    client.on('end', lost);
    this.listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    } catch (error) {
      lost();
      throw error;
    }
  }
}
