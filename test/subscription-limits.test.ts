import WebSocket from 'ws';
import { RequestRecord } from '../src/common/http/request-lifecycle';
import { RunningServer } from '../src/server';
import { startTestApp, TestApp } from './support/app';
import { createInstitution, enterpriseInput } from './support/fixtures';
import { operation } from './support/operations';
import { startProductionServer, ProductionServer } from './support/production';
import { redisServerAvailable, startRedis } from './support/redis';
import { connect, disposeClients, live, settle, subscribe, until } from './support/subscriptions';

/**
 * Subscriptions over WebSocket are held to what HTTP requests are held to (issues 17, 19, 21): the
 * same refusals with the same codes, the same rate limiters, bounds on connections and subscriptions,
 * and the request lifecycle sees each subscription from start to end.
 */
let app: TestApp;
/** Small depth, alias and cost limits, two subscriptions per connection. */
let limited: TestApp;
/** Three connections per client address (X-Forwarded-For believed from 127.0.0.1), two per account. */
let crowded: TestApp;
/** Three requests a minute per actor, and a short wait for `connection_init`. */
let throttled: TestApp;
/** Production behaviour with access tokens that expire after two seconds. */
let production: ProductionServer;
beforeAll(async () => {
  app = await startTestApp();
  limited = await startTestApp({
    onDatabaseOf: app,
    server: { limits: { maxDepth: 2, maxAliases: 2, maxCost: 6 }, subscriptions: { maxSubscriptionsPerConnection: 2 } },
  });
  crowded = await startTestApp({
    onDatabaseOf: app,
    server: { subscriptions: { maxConnectionsPerIp: 3, maxConnectionsPerAccount: 2 }, trustedProxies: ['127.0.0.1'] },
  });
  throttled = await startTestApp({
    onDatabaseOf: app,
    server: { limits: { perActorPerMinute: 3 }, subscriptions: { connectionInitTimeoutMs: 300 } },
  });
  production = await startProductionServer(app, { accessTokenTtlSeconds: 2 });
});
afterAll(async () => {
  await disposeClients();
  await production?.stop();
  for (const server of [throttled, crowded, limited]) await server?.close();
  await app?.close();
});

const MATCHING = `subscription { matchingRequestPosted { eventId financingRequestId } }`;
const errorsOf = (errors: any[]) => errors.map((error) => ({ code: error.extensions?.code, message: error.message }));

/** The same selection asked over HTTP (a query) and over WebSocket (a subscription). */
const STATS_CASES: Array<[string, string, string]> = [
  ['too deep', '{ requested { count } }', 'QUERY_TOO_DEEP'],
  ['too many aliases', '{ a: institutions b: institutions c: institutions }', 'TOO_MANY_ALIASES'],
  [
    'too costly',
    '{ institutions productsPublished enterprisesRegistered firstTimeBorrowers medianDaysToGrant ' +
      'creditGuaranteeShareByAmount creditGuaranteeShareByCount }',
    'QUERY_TOO_COSTLY',
  ],
];

/** The HTTP answer's errors and a subscription's, for one pair of documents. */
async function bothWays(server: TestApp, query: string, subscription: string, variables: Record<string, unknown> = {}) {
  const overHttp = await server.gql(query, variables, 'analyst');
  const overWebSocket = subscribe(server.url, subscription, variables, { 'x-actor': 'analyst' });
  await overWebSocket.ended;
  expect(overWebSocket.events).toEqual([]);
  return { http: errorsOf(overHttp.errors ?? []), webSocket: errorsOf(overWebSocket.errors) };
}

/** Sockets `upgrade` opened, closed after each test. */
const opened: WebSocket[] = [];
afterEach(() => {
  for (const socket of opened.splice(0)) socket.close();
});

/** Opens a raw WebSocket: the HTTP status and JSON body of a refused upgrade, or 101 once accepted. */
function upgrade(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body?: any }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws', { headers });
    socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(body) }));
    });
    socket.on('open', () => {
      opened.push(socket);
      resolve({ status: 101 });
    });
    socket.on('error', () => undefined);
  });
}

/** A raw graphql-transport-ws socket, once open. */
async function rawSocket(url: string): Promise<{ socket: WebSocket; closed: Promise<number> }> {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('open', resolve));
  return { socket, closed };
}

/** The records of the named operations the server's request lifecycle reports, as they start and end. */
function observe(server: RunningServer, operations: string[]) {
  const started: RequestRecord[] = [];
  const ended: RequestRecord[] = [];
  const ours = (record: RequestRecord) => operations.includes(record.operationName ?? '');
  const remove = server.requests.register({
    onRequestStart: (record) => started.push(record),
    onRequestEnd: (record) => ours(record) && ended.push({ ...record }),
  });
  return { started, ended, remove };
}

describe('subscriptions held to the HTTP limits', () => {
  it.each(STATS_CASES)('refuses a %s subscription with the code and message of HTTP', async (_, selection, code) => {
    const { http, webSocket } = await bothWays(
      limited,
      `{ platformStats ${selection} }`,
      `subscription { platformStatsChanged ${selection} }`,
    );
    expect(http.map((error) => error.code)).toEqual([code]);
    expect(webSocket).toEqual(http);
  });

  it('refuses NUL in variables and over-nested documents as HTTP does', async () => {
    const nul = await bothWays(
      limited,
      'query($id: ID!) { node(id: $id) { id } }',
      'subscription($after: ID) { matchingRequestPosted(after: $after) { eventId } }',
      { id: 'a\u0000', after: 'a\u0000' },
    );
    expect(nul.http.map((error) => error.code)).toEqual(['BAD_USER_INPUT']);
    expect(nul.webSocket).toEqual(nul.http);
    const braces = '{ a '.repeat(12) + '}'.repeat(12);
    const nested = await bothWays(limited, braces, `subscription ${braces}`);
    expect(nested.http.map((error) => error.code)).toEqual(['QUERY_TOO_DEEP']);
    expect(nested.webSocket).toEqual(nested.http);
  });

  it('runs a subscription within the limits on the same server', async () => {
    const within = await live(
      subscribe(limited.url, 'subscription { platformStatsChanged { institutions } }', {}, { 'x-actor': 'analyst' }),
    );
    expect(within.errors).toEqual([]);
    within.stop();
  });

  it('refuses a subscription beyond the per-connection bound, and takes one again once another ended', async () => {
    const bank = await createInstitution(app);
    const params = { 'x-actor': bank.id };
    const first = await live(subscribe(limited.url, MATCHING, {}, params));
    const second = subscribe(limited.url, MATCHING, {}, params, first.client);
    const third = subscribe(limited.url, MATCHING, {}, params, first.client);
    await third.ended;
    expect(errorsOf(third.errors)).toEqual([
      { code: 'TOO_MANY_SUBSCRIPTIONS', message: 'At most 2 subscriptions may run at once on one connection' },
    ]);
    first.stop();
    await settle();
    const fourth = subscribe(limited.url, MATCHING, {}, params, first.client);
    await settle();
    expect(fourth.errors).toEqual([]);
    expect(second.errors).toEqual([]);
  });

  it('refuses connections beyond the per-account bound (4429) and the per-IP bound (429)', async () => {
    const bankA = await createInstitution(app);
    const bankB = await createInstitution(app);
    const bankC = await createInstitution(app);
    const connected = (actor: string) =>
      new Promise<{ code: number; reason: string } | 'acknowledged'>((resolve) => {
        const closed = ({ code, reason }: { code: number; reason: string }) => resolve({ code, reason });
        const client = connect(crowded.url, { 'x-actor': actor }, { closed, connected: () => resolve('acknowledged') });
        handles.push(client);
      });
    const handles: Array<{ dispose(): void | Promise<void> }> = [];
    expect(await connected(bankA.id)).toBe('acknowledged');
    expect(await connected(bankA.id)).toBe('acknowledged');
    expect(await connected(bankA.id)).toEqual({ code: 4429, reason: 'Too many connections: at most 2 per account' });
    await settle();
    expect(await connected(bankB.id)).toBe('acknowledged');
    // Three open from this address: the fourth upgrade is refused before a WebSocket exists.
    expect(await upgrade(crowded.url)).toEqual({
      status: 429,
      body: {
        errors: [
          {
            message: 'At most 3 WebSocket connections per client address',
            extensions: { code: 'TOO_MANY_CONNECTIONS' },
          },
        ],
      },
    });
    await handles[0].dispose();
    await settle();
    expect(await connected(bankC.id)).toBe('acknowledged');
  });

  it('counts connections per client address as HTTP tells it, behind a trusted proxy', async () => {
    const client = { 'x-forwarded-for': '203.0.113.5' };
    for (let i = 0; i < 3; i++) expect(await upgrade(crowded.url, client)).toEqual({ status: 101 });
    expect(await upgrade(crowded.url, client)).toMatchObject({ status: 429 });
    // Another client behind the same proxy is not held to the first one's count.
    expect(await upgrade(crowded.url, { 'x-forwarded-for': '203.0.113.6' })).toEqual({ status: 101 });
  });

  it('counts the connection and each subscribe against the per-actor rate limit of HTTP requests', async () => {
    const bank = await createInstitution(app);
    const params = { 'x-actor': bank.id };
    // The connection is the first of three a minute, each subscription one more.
    const first = await live(subscribe(throttled.url, MATCHING, {}, params));
    const second = subscribe(throttled.url, MATCHING, {}, params, first.client);
    const third = subscribe(throttled.url, MATCHING, {}, params, first.client);
    await third.ended;
    expect(second.errors).toEqual([]);
    expect(third.errors.map((error) => error.extensions?.code)).toEqual(['RATE_LIMITED']);
    const overHttp = await throttled.gql('{ viewer { __typename } }', {}, bank.id);
    expect(overHttp.errors?.map((error: any) => error.extensions?.code)).toEqual(['RATE_LIMITED']);
  });

  it('closes a connection sending a message over the size bound (1009) or no timely connection_init', async () => {
    const refusals: RequestRecord[] = [];
    const remove = limited.server.requests.register({ onRequestEnd: (record) => refusals.push(record) });
    try {
      const big = await rawSocket(limited.url);
      big.socket.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(65 * 1024) } }));
      expect(await big.closed).toBe(1009);
      await until(() => refusals.some((record) => record.refusal === 'body_size'), 'the refusal record');
      const silent = await rawSocket(throttled.url);
      expect(await silent.closed).toBe(4408);
    } finally {
      remove();
    }
  });

  it('reports each subscription to the lifecycle hooks: its start, its end and its outcome, by operation', async () => {
    const seen = observe(limited.server, ['Watch', 'Kept', 'Deep']);
    try {
      const params = { 'x-actor': 'analyst' };
      const watch = await live(
        subscribe(limited.url, 'subscription Watch { platformStatsChanged { institutions } }', {}, params),
      );
      const kept = subscribe(limited.url, 'subscription Kept { platformStatsChanged { institutions } }', {}, params);
      const tooDeep = 'subscription Deep { platformStatsChanged { requested { count } } }';
      const deep = subscribe(limited.url, tooDeep, {}, params);
      await deep.ended;
      await settle();
      const names = (records: RequestRecord[]) => records.map((record) => record.operationName);
      expect(names(seen.started.filter((record) => record.method === 'SUBSCRIBE'))).toEqual(['Watch', 'Kept', 'Deep']);
      expect(names(seen.ended)).toEqual(['Deep']);
      expect(seen.ended[0]).toMatchObject({ operationType: 'subscription', outcome: 'refused', refusal: 'depth' });
      expect(seen.ended[0].errorCodes).toEqual(['QUERY_TOO_DEEP']);
      watch.stop();
      await until(() => seen.ended.length === 2, 'the end of Watch');
      expect(seen.ended[1]).toMatchObject({ operationName: 'Watch', outcome: 'success', actor: 'ANALYST' });
      // A subscription still running when its connection closes ends with it.
      await kept.client.dispose();
      await until(() => seen.ended.length === 3, 'the end of Kept');
      expect(seen.ended[2]).toMatchObject({ operationName: 'Kept', outcome: 'success' });
      const metrics = await (await fetch(limited.url.replace('/graphql', '/metrics'))).text();
      expect(metrics).toMatch(/graphql_requests_total\{operation="Watch",type="subscription",outcome="success"\} 1\n/);
      expect(metrics).toMatch(/graphql_requests_total\{operation="Deep",type="subscription",outcome="refused"\} 1\n/);
    } finally {
      seen.remove();
    }
  });

  it('still ends a subscription (4401) once its access token expires, its record ending unauthenticated', async () => {
    const credentials = { email: 'mill@subscription-limits.example', password: 'rice harvest passphrase' };
    const registered = await production.call(operation('RegisterEnterprise'), {
      input: enterpriseInput({ account: credentials }),
    });
    expect(registered.body.data.registerEnterprise.userErrors).toEqual([]);
    const seen = observe(production.server, ['Mine']);
    try {
      const session = await production.login(credentials.email, credentials.password);
      const watching = subscribe(
        production.url,
        'subscription Mine { applicationUpdated { eventId } }',
        {},
        { authorization: `Bearer ${session.token}` },
      );
      const timeout = new Promise((resolve) => setTimeout(() => resolve(null), 8000));
      expect(await Promise.race([watching.closed, timeout])).toMatchObject({ code: 4401 });
      await until(() => seen.ended.some((record) => record.operationName === 'Mine'), 'the end of the subscription');
      const ended = seen.ended.find((record) => record.operationName === 'Mine');
      expect(ended).toMatchObject({ outcome: 'unauthenticated' });
    } finally {
      seen.remove();
    }
  });
});

const withRedis = redisServerAvailable() ? describe : describe.skip;

withRedis('subscriptions and HTTP requests sharing rate limits through Redis (REDIS_URL)', () => {
  it('counts HTTP requests on one process and WebSocket ones on another against one per-actor limit', async () => {
    const redis = await startRedis();
    const server = { redisUrl: redis.url, limits: { perActorPerMinute: 4 } };
    const first = await startTestApp({ onDatabaseOf: app, server });
    const second = await startTestApp({ onDatabaseOf: app, server });
    try {
      const bank = await createInstitution(app);
      for (let i = 0; i < 2; i++) expect((await first.gql('{ __typename }', {}, bank.id)).errors).toBeUndefined();
      // The third and fourth of the minute: the connection and one subscription; the fifth is refused.
      const params = { 'x-actor': bank.id };
      const running = await live(subscribe(second.url, MATCHING, {}, params));
      const refused = subscribe(second.url, MATCHING, {}, params, running.client);
      await refused.ended;
      expect(running.errors).toEqual([]);
      expect(refused.errors.map((error) => error.extensions?.code)).toEqual(['RATE_LIMITED']);
    } finally {
      await disposeClients();
      await second.close();
      await first.close();
      await redis.stop();
    }
  });
});
