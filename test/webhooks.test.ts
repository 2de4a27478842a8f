import http from 'node:http';
import { AddressInfo } from 'node:net';
import { startTestApp, TestApp } from './support/app';
import {
  applyToProduct,
  createInstitution,
  createPublishedProduct,
  postRequest,
  registerEnterprise,
} from './support/fixtures';
import { parseGlobalId } from '../src/common/global-id';
import { pageRequest } from '../src/common/pagination';
import { LOGIN } from './support/production';
import {
  addressAllowed,
  DEFAULT_WEBHOOK_OPTIONS,
  SIGNATURE_HEADER,
  verifySignature,
  WebhookService,
} from '../src/notifications/webhooks';

/**
 * Webhooks: a receiver that is down for a while and then returns gets every event of its
 * institution once (by event id), each with a valid signature; other institutions' events never.
 */
let app: TestApp;
let receiver: http.Server;
let receiverUrl: string;
let up = false;
const received: Array<{ body: string; signature: string; id: string }> = [];
const statuses: number[] = [];
/** The events whose delivery the receiver refused while down. */
const refused = new Set<string>();
beforeAll(async () => {
  app = await startTestApp();
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const status = up ? 200 : 503;
      statuses.push(status);
      const signature = String(req.headers[SIGNATURE_HEADER]);
      if (up) received.push({ body, signature, id: String(req.headers['webhook-id']) });
      else refused.add(String(req.headers['webhook-id']));
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
});
afterAll(async () => {
  await new Promise((resolve) => receiver?.close(resolve));
  await app?.close();
});

const testOptions = {
  ...DEFAULT_WEBHOOK_OPTIONS,
  allowLoopback: true,
  baseDelayMs: 40,
  maxDelayMs: 200,
  timeoutMs: 2000,
};
const dbId = (globalId: string) => parseGlobalId(globalId)!.id;
const admin = (institutionId: string) => ({
  kind: 'INSTITUTION' as const,
  institutionId: dbId(institutionId),
  admin: true,
});

/** The background tasks' work, run until `done` (dispatch, then the deliveries due). */
async function work(webhooks: WebhookService, done: () => boolean | Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > end) throw new Error('webhook deliveries did not finish');
    await webhooks.dispatch();
    await webhooks.deliverDue();
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
}

describe('webhooks', () => {
  it('delivers every event of the institution once, signed, after the receiver comes back', async () => {
    const webhooks = new WebhookService(app.dataSource, testOptions);
    const bank = await createInstitution(app);
    const product = await createPublishedProduct(app, bank.id);
    const otherBank = await createInstitution(app);
    const otherProduct = await createPublishedProduct(app, otherBank.id);
    const { endpoint, secret } = await webhooks.register(admin(bank.id), {
      url: receiverUrl,
      eventTypes: ['REQUEST_MATCHED', 'APPLICATION_SUBMITTED'],
    });
    expect(secret).toMatch(/^whsec_/);
    const mill = await registerEnterprise(app);
    const requests = [];
    for (let i = 0; i < 3; i++) requests.push(await postRequest(app, mill.id));
    await applyToProduct(app, mill.id, requests[0].id, product.id);
    await applyToProduct(app, mill.id, requests[1].id, otherProduct.id);

    // Down: attempts fail and are retried, until each of the four deliveries has failed at least once (a delivery
    // dispatched late, behind another open transaction, would otherwise first be tried once the receiver is up).
    await work(webhooks, () => refused.size >= 4 && statuses.filter((status) => status === 503).length >= 8);
    up = true;
    const expected: Array<{ id: string }> = await app.dataSource.query(
      `SELECT id::text FROM outbox_event
       WHERE institution_id = $1 AND type IN ('REQUEST_MATCHED', 'APPLICATION_SUBMITTED') AND occurred_at >= $2
       ORDER BY id`,
      [dbId(bank.id), endpoint.createdAt],
    );
    expect(expected).toHaveLength(4);
    await work(webhooks, () => new Set(received.map((delivery) => delivery.id)).size === expected.length);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await webhooks.dispatch();
    await webhooks.deliverDue();

    expect(received.map((delivery) => delivery.id).sort()).toEqual(expected.map((row) => row.id).sort());
    for (const delivery of received) {
      expect(verifySignature(delivery.body, delivery.signature, secret)).toBe(true);
      expect(verifySignature(delivery.body, delivery.signature, 'whsec_wrong')).toBe(false);
      const body = JSON.parse(delivery.body);
      expect(body.id).toBe(delivery.id);
      expect(body.data.loanProductId).toBe(product.id);
    }
    const firstTen = pageRequest({ first: 10 }, 'WebhookDelivery');
    const [log] = await webhooks.deliveryPages(admin(bank.id), [endpoint.id], firstTen);
    expect(log).toHaveLength(4);
    expect(log.every((row) => row.status === 'DELIVERED' && row.attempts >= 2)).toBe(true);
    expect(log[0].attemptLog.map((attempt) => attempt.statusCode)).toContain(503);
    const [foreign] = await webhooks.deliveryPages(admin(otherBank.id), [endpoint.id], firstTen);
    expect(foreign).toEqual([]);
  });

  it("signs with both secrets during a rotation's overlap", async () => {
    const webhooks = new WebhookService(app.dataSource, testOptions);
    const bank = await createInstitution(app);
    const product = await createPublishedProduct(app, bank.id);
    const registration = { url: receiverUrl, eventTypes: ['REQUEST_MATCHED'] };
    const { endpoint, secret: old } = await webhooks.register(admin(bank.id), registration);
    const rotated = await webhooks.rotateSecret(admin(bank.id), { endpointId: endpoint.id, overlapHours: 24 });
    expect(rotated.endpoint.id).toBe(endpoint.id);
    const { secret } = rotated;
    const mill = await registerEnterprise(app);
    await postRequest(app, mill.id);
    const before = received.length;
    const forProduct = (each: { body: string }) => JSON.parse(each.body).data.loanProductId === product.id;
    await work(webhooks, () => received.slice(before).some(forProduct));
    const delivery = received.slice(before).find(forProduct)!;
    expect(verifySignature(delivery.body, delivery.signature, secret)).toBe(true);
    expect(verifySignature(delivery.body, delivery.signature, old)).toBe(true);
  });

  it('disables an endpoint failing too long and tells its institution', async () => {
    const webhooks = new WebhookService(app.dataSource, { ...testOptions, disableAfterMs: 1 });
    const bank = await createInstitution(app);
    await createPublishedProduct(app, bank.id);
    const { endpoint } = await webhooks.register(admin(bank.id), {
      url: 'http://127.0.0.1:9/nobody-listens',
      eventTypes: ['REQUEST_MATCHED'],
    });
    const mill = await registerEnterprise(app);
    await postRequest(app, mill.id);
    await postRequest(app, mill.id);
    await work(webhooks, async () => (await webhooks.endpoints(admin(bank.id)))[0].status === 'DISABLED');
    const told = await app.dataSource.query(
      `SELECT payload FROM outbox_event WHERE type = 'WEBHOOK_ENDPOINT_DISABLED' AND institution_id = $1`,
      [dbId(bank.id)],
    );
    expect(told).toHaveLength(1);
    expect(parseGlobalId(told[0].payload.webhookEndpointId)!.id).toBe(endpoint.id);

    // Once the receiver is back, its admin sends to it again; for another bank's admin it does not exist.
    const other = admin((await createInstitution(app)).id);
    await expect(webhooks.reactivate(other, endpoint.id)).rejects.toMatchObject({ extensions: { code: 'NOT_FOUND' } });
    expect((await webhooks.endpoints(admin(bank.id)))[0]).toMatchObject({ status: 'DISABLED' });
    const attemptsOf = async () =>
      (
        await app.dataSource.query(
          `SELECT coalesce(sum(attempts), 0)::int AS attempts,
             count(*) FILTER (WHERE status = 'PENDING')::int AS pending
           FROM webhook_delivery WHERE endpoint_id = $1`,
          [endpoint.id],
        )
      )[0] as { attempts: number; pending: number };
    const whileDisabled = await attemptsOf();
    expect(whileDisabled.pending).toBeGreaterThan(0);
    await webhooks.deliverDue();
    expect(await attemptsOf()).toEqual(whileDisabled);
    // Its back-off had reached the cap: the next attempts were an hour away.
    await app.dataSource.query(
      `UPDATE webhook_delivery SET next_attempt_at = now() + interval '1 hour' WHERE endpoint_id = $1`,
      [endpoint.id],
    );
    const reactivated = await webhooks.reactivate(admin(bank.id), endpoint.id);
    expect(reactivated).toMatchObject({ id: endpoint.id, status: 'ACTIVE', disabledReason: null });
    const [streak] = await app.dataSource.query(`SELECT failing_since FROM webhook_endpoint WHERE id = $1`, [
      endpoint.id,
    ]);
    expect(streak.failing_since).toBeNull();
    // The deliveries still pending are tried again at once, whatever their back-off had reached.
    await webhooks.deliverDue();
    expect((await attemptsOf()).attempts).toBeGreaterThan(whileDisabled.attempts);
  });

  it('lets an institution admin register over GraphQL: the secret once, the delivery log beneath', async () => {
    const credentials = { email: 'admin@webhooks.example', password: 'rice harvest passphrase' };
    await createInstitution(app, { admin: credentials });
    const call = async (query: string, variables: Record<string, unknown>, token?: string) => {
      const headers = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
      const response = await fetch(app.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      return (await response.json()) as any;
    };
    const login = await call(LOGIN, { input: credentials });
    const token = login.data.login.token;
    const REGISTER = `mutation($input: RegisterWebhookEndpointInput!) {
      registerWebhookEndpoint(input: $input) { webhookEndpoint { id url eventTypes status } secret userErrors { code } }
    }`;
    const input = { url: 'https://bank.example.com/hooks', eventTypes: ['REQUEST_MATCHED', 'APPLICATION_SUBMITTED'] };
    const registered = (await call(REGISTER, { input }, token)).data.registerWebhookEndpoint;
    expect(registered).toMatchObject({ webhookEndpoint: { url: input.url, status: 'ACTIVE' }, userErrors: [] });
    expect(registered.secret).toMatch(/^whsec_/);
    const ROTATE = `mutation($input: RotateWebhookSecretInput!) {
      rotateWebhookSecret(input: $input) { webhookEndpoint { id } secret userErrors { code } }
    }`;
    const rotation = { webhookEndpointId: registered.webhookEndpoint.id, overlapHours: 1 };
    const rotated = (await call(ROTATE, { input: rotation }, token)).data.rotateWebhookSecret;
    expect(rotated.webhookEndpoint.id).toBe(registered.webhookEndpoint.id);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(registered.secret);
    const refused = (await call(REGISTER, { input: { ...input, url: 'https://10.0.0.8/hooks' } }, token)).data;
    expect(refused.registerWebhookEndpoint.userErrors).toEqual([{ code: 'URL_NOT_ALLOWED' }]);
    const LIST = `{ webhookEndpoints { nodes {
      id url deliveries(first: 5) { totalCount nodes { eventId attempts } } } } }`;
    const listed = (await call(LIST, {}, token)).data.webhookEndpoints.nodes;
    const empty = { totalCount: 0, nodes: [] };
    expect(listed).toEqual([{ id: registered.webhookEndpoint.id, url: input.url, deliveries: empty }]);
    expect(JSON.stringify(listed)).not.toContain('whsec_');
    // Staff who are not admins, and other parties, are refused.
    const bank = await createInstitution(app);
    const staff = await app.gql(REGISTER, { input }, bank.id);
    expect(staff.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses endpoints not https or pointing at private, loopback, link-local or metadata addresses', async () => {
    const production = new WebhookService(app.dataSource, DEFAULT_WEBHOOK_OPTIONS);
    const bank = admin((await createInstitution(app)).id);
    const refused = async (url: string) => {
      try {
        await production.register(bank, { url, eventTypes: ['REQUEST_MATCHED'] });
        return null;
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    expect(await refused(receiverUrl)).toBe('INVALID_URL');
    const inside = ['https://127.0.0.1/x', 'https://10.1.2.3/x', 'https://169.254.169.254/latest'];
    for (const url of [...inside, 'https://[::1]/x', 'https://[fd00:ec2::254]/x']) {
      expect(await refused(url)).toBe('URL_NOT_ALLOWED');
    }
    expect(await refused('https://bank.example.com/hooks')).toBeNull();
    for (const address of ['192.168.1.1', '172.16.0.1', '100.64.0.1', '0.0.0.0', '::ffff:127.0.0.1', 'fe80::1']) {
      expect(addressAllowed(address, false)).toBe(false);
    }
    expect(addressAllowed('127.0.0.1', true)).toBe(true);
    expect(addressAllowed('10.0.0.1', true)).toBe(false);
    expect(addressAllowed('203.0.113.7', false)).toBe(true);
    // Only an institution admin registers.
    await expect(
      production.register(
        { kind: 'INSTITUTION', institutionId: bank.institutionId },
        {
          url: 'https://bank.example.com/hooks',
          eventTypes: ['REQUEST_MATCHED'],
        },
      ),
    ).rejects.toThrow(/admin/);
  });
});
