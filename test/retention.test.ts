import { startTestApp, TestApp } from './support/app';
import { createInstitution, registerEnterprise, requestInput } from './support/fixtures';
import { capturingLogger } from './support/log-lines';
import { operation } from './support/operations';
import { parseGlobalId } from '../src/common/global-id';
import { DEFAULT_RETENTION_DAYS, RetentionSettings } from '../src/common/config';
import { processLogger, setProcessLogger } from '../src/common/http/logging';

/**
 * The retention job over real tables: rows past their period that nothing needs go, in batches; younger
 * rows and rows still needed (pending deliveries, undispatched events, queued jobs, standing sessions) stay.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const SETTINGS: Pick<RetentionSettings, 'batchRows' | 'days'> = { batchRows: 100, days: DEFAULT_RETENTION_DAYS };
const run = (settings = SETTINGS) => app.server.services.retention.run(settings);
const dbId = (globalId: string) => parseGlobalId(globalId)!.id;
const count = async (sql: string, params: unknown[] = []) =>
  Number((await app.dataSource.query(`SELECT count(*)::int AS n FROM ${sql}`, params))[0].n);

async function deletedMetric(table: string): Promise<number> {
  const text = await (await fetch(app.url.replace(/\/graphql$/, '/metrics'))).text();
  const line = new RegExp(`retention_deleted_rows_total\\{table="${table}"\\} (\\d+)`).exec(text);
  return Number(line?.[1] ?? 0);
}

/** The last outbox event written, in delivery order. */
async function lastEvent(): Promise<{ tx: string; id: string }> {
  const [last] = await app.dataSource.query(
    `SELECT tx::text, id::text FROM outbox_event ORDER BY tx DESC, id DESC LIMIT 1`,
  );
  return last;
}

/**
 * Dispatches outbox events to webhook deliveries until the dispatcher has passed `last`: an event is
 * dispatched only once every older transaction of the cluster has ended, which other suites' can delay.
 */
async function dispatchPast(last: { tx: string; id: string }): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    await app.server.services.webhooks.dispatch();
    const [{ passed }] = await app.dataSource.query(
      `SELECT (tx, event_id) >= ($1::xid8, $2::bigint) AS passed FROM webhook_dispatch_state`,
      [last.tx, last.id],
    );
    if (passed) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the dispatcher did not pass the last event');
}

describe('retention job', () => {
  it('deletes finished deliveries, keys, jobs and throttle rows past their period; keeps the rest', async () => {
    const institution = dbId((await createInstitution(app)).id);
    const [{ id: endpoint }] = await app.dataSource.query(
      `INSERT INTO webhook_endpoint (institution_id, url, event_types, secret, created_by)
       VALUES ($1, 'https://example.com/hooks', '{APPLICATION_SUBMITTED}', 'whsec_test', 'test') RETURNING id::text`,
      [institution],
    );
    await app.dataSource.query(
      `INSERT INTO webhook_delivery (endpoint_id, event_id, event_type, body, status, next_attempt_at, created_at)
       VALUES ($1, 1, 'APPLICATION_SUBMITTED', '{}', 'DELIVERED', NULL, now() - interval '31 days'),
              ($1, 2, 'APPLICATION_SUBMITTED', '{}', 'FAILED', NULL, now() - interval '40 days'),
              ($1, 3, 'APPLICATION_SUBMITTED', '{}', 'PENDING', now(), now() - interval '40 days'),
              ($1, 4, 'APPLICATION_SUBMITTED', '{}', 'DELIVERED', NULL, now() - interval '29 days')`,
      [endpoint],
    );
    await app.dataSource.query(
      `INSERT INTO idempotency_key (actor, key, operation, request_hash, result, created_at)
       VALUES ('retention-test', 'old', 'op', repeat('0', 64), 'null', now() - interval '31 days'),
              ('retention-test', 'young', 'op', repeat('0', 64), 'null', now() - interval '29 days')`,
    );
    await app.dataSource.query(
      `INSERT INTO matching_job (kind, subject_id, enqueued_at, finished_at)
       VALUES ('SCORE_CHANGED', -1, now() - interval '9 days', now() - interval '8 days'),
              ('SCORE_CHANGED', -2, now() - interval '2 days', now() - interval '1 day'),
              ('SCORE_CHANGED', -3, now() - interval '30 days', NULL)`,
    );
    await app.dataSource.query(
      `INSERT INTO sign_in_throttle (key, failures, window_started_at, updated_at)
       VALUES ('pair retention-old', 3, now() - interval '2 days', now() - interval '2 days'),
              ('pair retention-young', 3, now() - interval '1 hour', now() - interval '1 hour')`,
    );
    await app.dataSource.query(
      `INSERT INTO mail_outbox (recipient, subject, body, created_at, sent_at)
       VALUES ('old@retention.test', 'Invitation', 'link', now() - interval '31 days', NULL),
              ('sent@retention.test', 'Invitation', 'link', now() - interval '40 days', now() - interval '39 days'),
              ('young@retention.test', 'Invitation', 'link', now() - interval '29 days', NULL)`,
    );
    const before = await deletedMetric('webhook_delivery');
    const captured = capturingLogger();
    const previous = processLogger();
    setProcessLogger(captured.logger);
    try {
      await run();
    } finally {
      setProcessLogger(previous);
    }

    const deliveries = await app.dataSource.query(
      `SELECT event_id::int AS event, status FROM webhook_delivery WHERE endpoint_id = $1 ORDER BY event_id`,
      [endpoint],
    );
    expect(deliveries).toEqual([
      { event: 3, status: 'PENDING' },
      { event: 4, status: 'DELIVERED' },
    ]);
    const keys = await app.dataSource.query(`SELECT key FROM idempotency_key WHERE actor = 'retention-test'`);
    expect(keys).toEqual([{ key: 'young' }]);
    const jobs = await app.dataSource.query(`SELECT subject_id::int AS s FROM matching_job WHERE subject_id < 0
      ORDER BY subject_id DESC`);
    expect(jobs).toEqual([{ s: -2 }, { s: -3 }]);
    const throttled = await app.dataSource.query(`SELECT key FROM sign_in_throttle WHERE key LIKE 'pair retention-%'`);
    expect(throttled).toEqual([{ key: 'pair retention-young' }]);

    const mail = await app.dataSource.query(
      `SELECT recipient FROM mail_outbox WHERE recipient LIKE '%@retention.test'`,
    );
    expect(mail).toEqual([{ recipient: 'young@retention.test' }]);

    expect(await deletedMetric('webhook_delivery')).toBe(before + 2);
    const runs = captured.lines.filter((line) => line.task === 'retention');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      level: 'info',
      deleted: { webhook_delivery: 2, idempotency_key: 1, matching_job: 1, sign_in_throttle: 1, mail_outbox: 2 },
    });
  });

  it('keeps outbox events the webhook dispatcher has not passed yet, however old', async () => {
    const enterprise = await registerEnterprise(app);
    await app.gql(operation('PostFinancingRequest'), { input: requestInput() }, enterprise.id);
    const last = await lastEvent();
    await app.dataSource.query(`UPDATE outbox_event SET occurred_at = now() - interval '8 days'`);
    const aged = await count(`outbox_event`);
    expect(aged).toBeGreaterThan(0);

    // Rewind the dispatcher: none of these events has been turned into deliveries yet.
    await app.dataSource.query(`UPDATE webhook_dispatch_state SET tx = '0', event_id = 0`);
    await run();
    expect(await count(`outbox_event`)).toBe(aged);

    await dispatchPast(last);
    await app.gql(operation('PostFinancingRequest'), { input: requestInput() }, enterprise.id);
    const young = await count(`outbox_event WHERE (tx, id) > ($1::xid8, $2::bigint)`, [last.tx, last.id]);
    expect(young).toBeGreaterThan(0);
    const deleted = await run();
    expect(deleted?.outbox_event).toBe(aged);
    expect(await count(`outbox_event`)).toBe(young);
  });

  it('deletes in batches of at most batchRows rows, all of them in one run', async () => {
    await app.dataSource.query(
      `INSERT INTO sign_in_throttle (key, failures, window_started_at, updated_at)
       SELECT 'pair batch-' || n, 1, now() - interval '3 days', now() - interval '3 days' FROM generate_series(1, 7) n`,
    );
    const deleted = await run({ ...SETTINGS, batchRows: 2 });
    expect(deleted?.sign_in_throttle).toBe(7);
    expect(await count(`sign_in_throttle WHERE key LIKE 'pair batch-%'`)).toBe(0);
  });

  it('does nothing while another process holds the job', async () => {
    await app.dataSource.query(
      `INSERT INTO sign_in_throttle (key, failures, window_started_at, updated_at)
       VALUES ('pair held', 1, now() - interval '3 days', now() - interval '3 days')`,
    );
    const other = app.dataSource.createQueryRunner();
    await other.connect();
    try {
      await other.startTransaction();
      await other.query(`SELECT pg_advisory_xact_lock(4243)`);
      expect(await run()).toBeNull();
      expect(await count(`sign_in_throttle WHERE key = 'pair held'`)).toBe(1);
      await other.commitTransaction();
    } finally {
      await other.release();
    }
    expect((await run())?.sign_in_throttle).toBe(1);
  });

  it('an idempotent retry within the period still gets the stored answer after the job ran', async () => {
    const enterprise = await registerEnterprise(app);
    const input = { ...requestInput(), idempotencyKey: 'retention-replay' };
    const first = await app.gql(operation('PostFinancingRequest'), { input }, enterprise.id);
    const id = first.data.postFinancingRequest.financingRequest.id;
    const age = (days: number) =>
      app.dataSource.query(
        `UPDATE idempotency_key SET created_at = now() - make_interval(days => $1) WHERE key = 'retention-replay'`,
        [days],
      );
    await age(DEFAULT_RETENTION_DAYS.idempotency_key - 1);
    await run();
    const retry = await app.gql(operation('PostFinancingRequest'), { input }, enterprise.id);
    expect(retry.data.postFinancingRequest).toEqual(first.data.postFinancingRequest);
    const needs = `financing_request WHERE enterprise_id = $1`;
    expect(await count(needs, [dbId(enterprise.id)])).toBe(1);

    // Past the period the key is forgotten: the same call is a new one.
    await age(DEFAULT_RETENTION_DAYS.idempotency_key + 1);
    await run();
    const late = await app.gql(operation('PostFinancingRequest'), { input }, enterprise.id);
    expect(late.data.postFinancingRequest.financingRequest.id).not.toBe(id);
    expect(await count(needs, [dbId(enterprise.id)])).toBe(2);
  });
});
