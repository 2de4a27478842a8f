import 'reflect-metadata';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { createClient, Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createDataSource } from '../src/common/database/data-source';
import { withTransaction } from '../src/common/database/transaction';
import { startServer } from '../src/server';
import { toGlobalId } from '../src/common/global-id';
import { Actor, systemActor } from '../src/common/actor';
import { emit } from '../src/notifications/outbox';
import { DEFAULT_WEBHOOK_OPTIONS, WebhookService } from '../src/notifications/webhooks';
import { benchDatabase, machine, parseScale, percentile } from './support';
import { recordBenchmark } from './record';

/**
 * `npm run bench:notify [-- --scale=0.05]`: scale 1 = 1,000 WebSocket subscribers and 100 webhook
 * endpoints of one bank. Posts needs one after another and reports commit-to-receipt latency
 * p50/p99 (each subscriber's receipt of each need; each endpoint's), and the outbox's throughput
 * (one event per transaction, sequential).
 */
const scale = parseScale(process.argv);
const SUBSCRIBERS = Math.max(1, Math.round(1000 * scale));
const ENDPOINTS = Math.max(1, Math.round(100 * scale));
const POSTS = Math.max(5, Math.round(50 * Math.min(1, scale * 4)));
const THROUGHPUT_EVENTS = Math.max(200, Math.round(5000 * scale));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const sizes = `${SUBSCRIBERS} subscribers, ${ENDPOINTS} endpoints, ${POSTS} needs`;
  console.log(`bench:notify — scale ${scale}: ${sizes}\n${machine()}`);
  const database = await benchDatabase('cel_bench_notify');
  const dataSource = createDataSource(database.url, { poolSize: 20 });
  await dataSource.initialize();
  // Every subscriber connects from this one address, as a bank's gateway would: bounds sized for the run.
  const connections = SUBSCRIBERS + 10;
  const server = await startServer(
    {
      dataSource,
      production: false,
      limits: { perIpPerMinute: 20 * connections, perActorPerMinute: 20 * connections },
      subscriptions: { maxConnectionsPerIp: connections, maxConnectionsPerAccount: connections },
    },
    0,
    '127.0.0.1',
  );
  const services = server.services;
  const clients: WsClient[] = [];
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      webhookReceipts.push({ id, at: performance.now() });
      res.writeHead(200).end();
    });
  });
  const webhookReceipts: Array<{ id: string; at: number }> = [];
  try {
    const operator: Actor = { kind: 'OPERATOR' };
    const { institution } = await services.institution.createInstitution(operator, {
      name: '哈尔滨银行依兰支行',
      type: 'BANK',
      regionsServed: ['230000'],
    } as never);
    const bank: Actor = { kind: 'INSTITUTION', institutionId: institution.id, admin: true };
    const product = (await services.product.createLoanProduct(bank, {
      name: '稻米贷',
      guaranteeType: 'CREDIT',
      minAmount: '100000.00',
      maxAmount: '3000000.00',
      minTermMonths: 6,
      maxTermMonths: 36,
      minRate: '3.85',
      maxRate: '6.00',
      eligibleRegions: ['230000'],
      eligibleIndustries: ['C'],
      eligibleScales: ['SMALL'],
    } as never)) as { id: string };
    await services.product.changeStatus(bank, product.id, 'PUBLISHED' as never);
    const mill = (await services.enterprise.registerEnterprise(
      { kind: 'ANONYMOUS' },
      {
        uscc: '91230123MA1C4D5E6F',
        name: '依兰县兴盛米业有限公司',
        regionCode: '230123',
        industryCode: 'C13',
        scale: 'SMALL',
        establishedOn: '2012-05-18',
        registeredCapital: '5000000.00',
        annualRevenue: '28000000.00',
        employees: 46,
      } as never,
      '127.0.0.1',
    )) as { id: string };
    await services.identity.verifyByOperator(systemActor, mill.id, 'bench');
    const enterprise: Actor = { kind: 'ENTERPRISE', enterpriseId: mill.id, verified: true };

    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    const webhooks = new WebhookService(dataSource, { ...DEFAULT_WEBHOOK_OPTIONS, allowLoopback: true });
    const endpoint = { url: hookUrl, eventTypes: ['REQUEST_MATCHED'] };
    for (let i = 0; i < ENDPOINTS; i++) await webhooks.register(bank, endpoint);
    let delivering = true;
    const deliveryLoop = (async () => {
      while (delivering) {
        await webhooks.dispatch();
        await webhooks.deliverDue(500);
        await sleep(20);
      }
    })();

    const wsReceipts = new Map<string, number[]>();
    const url = server.url.replace('http://localhost', 'ws://127.0.0.1');
    const query = 'subscription { matchingRequestPosted { eventId financingRequestId } }';
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const client = createClient({
        url,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: false,
        connectionParams: { 'x-actor': toGlobalId('Institution', institution.id) },
      });
      clients.push(client);
      client.subscribe(
        { query },
        {
          next: ({ data }) => {
            const id = (data as any).matchingRequestPosted.financingRequestId as string;
            const list = wsReceipts.get(id) ?? [];
            list.push(performance.now());
            wsReceipts.set(id, list);
          },
          error: () => undefined,
          complete: () => undefined,
        },
      );
    }
    await sleep(1000 + SUBSCRIBERS * 2);

    const committed = new Map<string, number>();
    for (let i = 0; i < POSTS; i++) {
      const request = await services.financing.postFinancingRequest(enterprise, {
        amount: '1130000.00',
        termMonths: 12,
        purpose: '收购稻谷流动资金',
        acceptableGuaranteeTypes: ['CREDIT'],
        maxRate: '6.00',
        validUntil: '2099-12-31',
      } as never);
      committed.set(toGlobalId('FinancingRequest', request.id), performance.now());
      await sleep(100);
    }
    await sleep(3000);
    delivering = false;
    await deliveryLoop;

    const wsLatencies: number[] = [];
    let wsMissing = 0;
    for (const [id, at] of committed) {
      const receipts = wsReceipts.get(id) ?? [];
      wsMissing += SUBSCRIBERS - receipts.length;
      for (const received of receipts) wsLatencies.push(received - at);
    }
    const eventsByRequest: Array<{ id: string; request: string }> = await dataSource.query(
      `SELECT id::text, payload->>'financingRequestId' AS request FROM outbox_event WHERE type = 'REQUEST_MATCHED'`,
    );
    const requestOfEvent = new Map(eventsByRequest.map((row) => [row.id, row.request]));
    const hookLatencies = webhookReceipts
      .map((receipt) => receipt.at - (committed.get(requestOfEvent.get(receipt.id) ?? '') ?? NaN))
      .filter((value) => Number.isFinite(value));

    const throughputStart = performance.now();
    for (let i = 0; i < THROUGHPUT_EVENTS; i++) {
      await withTransaction(dataSource, (manager) =>
        emit(manager, { type: 'REQUEST_POSTED', enterpriseId: mill.id, platform: true, payload: {} }),
      );
    }
    const perSecond = THROUGHPUT_EVENTS / ((performance.now() - throughputStart) / 1000);

    const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
    const ws = sorted(wsLatencies);
    const hooks = sorted(hookLatencies);
    const lines = [
      '| measure | p50 | p99 | samples |',
      '|---|---|---|---|',
      `| commit → WebSocket receipt (${SUBSCRIBERS} subscribers) | ${percentile(ws, 50).toFixed(1)} ms | ` +
        `${percentile(ws, 99).toFixed(1)} ms | ${ws.length} (missing ${wsMissing}) |`,
      `| commit → webhook receipt (${ENDPOINTS} endpoints) | ${percentile(hooks, 50).toFixed(1)} ms | ` +
        `${percentile(hooks, 99).toFixed(1)} ms | ${hooks.length} of ${POSTS * ENDPOINTS} |`,
      `| outbox throughput (one event per transaction, sequential) | ${perSecond.toFixed(0)} events/s | | ` +
        `${THROUGHPUT_EVENTS} |`,
    ];
    console.log(lines.join('\n'));
    recordBenchmark('bench:notify', 'npm run bench:notify', scale, lines, machine());
  } finally {
    for (const client of clients) await client.dispose();
    await new Promise((resolve) => receiver.close(resolve));
    await server.stop();
    await dataSource.destroy();
    await database.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
