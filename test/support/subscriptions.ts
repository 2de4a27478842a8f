import { createClient, Client } from 'graphql-ws';
import WebSocket from 'ws';

/** A graphql-ws client's view of one subscription (test/subscriptions.test.ts and its neighbours). */
export interface Subscription {
  events: any[];
  errors: any[];
  /** The close event of the socket, once closed by the server. */
  closed: Promise<{ code: number; reason: string }>;
  /** Resolved once the server acknowledged the connection. */
  acknowledged: Promise<void>;
  /** Resolved once the subscription ended: completed, refused, or its socket closed. */
  ended: Promise<void>;
  /** The client the subscription runs on: more subscriptions may share its connection. */
  client: Client;
  stop(): void;
}

const clients: Client[] = [];

/** Disposes every client `subscribe` opened (afterAll). */
export async function disposeClients(): Promise<void> {
  for (const client of clients.splice(0)) await client.dispose();
}

/** A graphql-ws client on the server of `url` (http or ws), connecting at once, never retrying. */
export function connect(
  url: string,
  params: Record<string, string>,
  on: { closed?: (event: { code: number; reason: string }) => void; connected?: () => void } = {},
): Client {
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: params,
    retryAttempts: 0,
    lazy: false,
    // A refused connection is asserted on through `closed`.
    onNonLazyError: () => undefined,
    on: {
      closed: (event) => on.closed?.(event as { code: number; reason: string }),
      connected: () => on.connected?.(),
    },
  });
  clients.push(client);
  return client;
}

/** Subscribes on a new connection, or on `onClient`'s when given (then `closed`/`acknowledged` never resolve). */
export function subscribe(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  params: Record<string, string>,
  onClient?: Client,
): Subscription {
  let closedWith: (event: { code: number; reason: string }) => void = () => undefined;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (closedWith = resolve));
  let connected: () => void = () => undefined;
  const acknowledged = new Promise<void>((resolve) => (connected = resolve));
  let done: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (done = resolve));
  const client =
    onClient ?? connect(url, params, { closed: (event) => closedWith(event), connected: () => connected() });
  const subscription: Subscription = {
    ...{ events: [], errors: [], closed, acknowledged, ended, client },
    stop: () => undefined,
  };
  subscription.stop = client.subscribe(
    { query, variables },
    {
      next: (result) => {
        if (result.errors) subscription.errors.push(...result.errors);
        const data = result.data && (Object.values(result.data)[0] as any);
        if (data) subscription.events.push(data);
      },
      // Refused by the server before running: the errors as a list; a closed socket: its close event.
      error: (error) => {
        subscription.errors.push(...(Array.isArray(error) ? error : [error]));
        done();
      },
      complete: () => done(),
    },
  );
  return subscription;
}

export async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const settle = () => new Promise((resolve) => setTimeout(resolve, 600));

/**
 * A subscription is live once the server registered it: the subscribe message follows the connection's
 * acknowledgement at once; an event committed from then on reaches it.
 */
export async function live(subscription: Subscription): Promise<Subscription> {
  await subscription.acknowledged;
  await settle();
  return subscription;
}
