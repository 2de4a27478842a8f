import net from 'node:net';
import { Client, Pool } from 'pg';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { startTestApp, GraphQLResponse, TestApp } from './support/app';
import { capturingLogger } from './support/log-lines';
import { operation } from './support/operations';
import { parseGlobalId } from '../src/common/global-id';
import {
  SecondConnectionError,
  tracksTransactionContext,
  transactionRetries,
} from '../src/common/database/transaction';
import {
  acceptApplication,
  applyToProduct,
  createInstitution,
  createPublishedProduct,
  enterpriseInput,
  grantCredit,
  postRequest,
  productInput,
  registerEnterprise,
  requestInput,
} from './support/fixtures';

/**
 * Different mutations racing each other, over HTTP against real PostgreSQL: each pair runs many
 * times with a random delay before each side, and every answer must be a result or a business
 * refusal — never INTERNAL_SERVER_ERROR, never a deadlock reaching the client — with every
 * invariant of the lifecycle and its audit trail intact afterwards.
 */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const GRANT = operation('GrantCredit');
const WITHDRAW_APPLICATION = `mutation($input: ApplicationActionInput!) {
  withdrawApplication(input: $input) { application { id status } userErrors { code } }
}`;
const WITHDRAW_REQUEST = `mutation($input: WithdrawFinancingRequestInput!) {
  withdrawFinancingRequest(input: $input) { financingRequest { id status } userErrors { code } }
}`;
const CLAIM = `mutation($input: StartApplicationInput!) {
  claimFinancingRequest(input: $input) { application { id status } userErrors { code } }
}`;
const IMPORT = `mutation($input: ImportCreditRecordsInput!) {
  importCreditRecords(input: $input) { imported rescored rejected { line reason } }
}`;
const UPDATE_PRODUCT = `mutation($input: UpdateLoanProductInput!) {
  updateLoanProduct(input: $input) { loanProduct { id } userErrors { code } }
}`;
const INSTITUTIONS = `query { institutions(first: 5) { totalCount nodes { id name } } }`;
const NODE = `query($id: ID!) { node(id: $id) { id } }`;

const fromGlobalId = (id: string) => parseGlobalId(id)!.id;

const jitter = () => new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 6)));

/** Runs each side after a random delay, all at once. */
function race(...sides: Array<() => Promise<GraphQLResponse>>): Promise<GraphQLResponse[]> {
  return Promise.all(sides.map(async (side) => (await jitter(), side())));
}

/** A response that is a result or a business refusal: no GraphQL error at all. */
function expectClean(responses: GraphQLResponse[]): void {
  for (const response of responses) {
    if (response.errors) throw new Error(`unexpected error (HTTP ${response.status}): ${response.raw}`);
    expect(response.status).toBe(200);
  }
}

/** Every invariant of the lifecycle over the whole database: each rule with the rows that break it. */
async function expectInvariants(): Promise<void> {
  const violations: Array<{ rule: string; id: string }> = await app.dataSource.query(`
    WITH requests AS (
      SELECT r.id, r.status::text AS status, array_agg(a.status::text) FILTER (WHERE a.id IS NOT NULL) AS statuses
      FROM financing_request r LEFT JOIN application a ON a.financing_request_id = r.id GROUP BY r.id
    ), last_event AS (
      SELECT DISTINCT ON (application_id) application_id, to_status::text AS status
      FROM application_event ORDER BY application_id, id DESC
    )
    SELECT 'disbursed above grant' AS rule, g.id::text AS id FROM credit_grant g
      WHERE (SELECT coalesce(sum(d.amount), 0) FROM disbursement d WHERE d.credit_grant_id = g.id) > g.amount
    UNION ALL
    SELECT 'grants above request', r.id::text FROM financing_request r
      WHERE (SELECT coalesce(sum(g.amount), 0) FROM credit_grant g WHERE g.financing_request_id = r.id) > r.amount
    UNION ALL
    SELECT 'status differs from the last audit event', a.id::text FROM application a
      LEFT JOIN last_event e ON e.application_id = a.id WHERE a.status::text IS DISTINCT FROM e.status
    UNION ALL
    SELECT 'audit event does not start where the previous one ended', e.id::text FROM application_event e
      WHERE e.from_status::text IS DISTINCT FROM (
        SELECT p.to_status::text FROM application_event p
        WHERE p.application_id = e.application_id AND p.id < e.id ORDER BY p.id DESC LIMIT 1)
    UNION ALL
    SELECT 'approved grant on an application without credit', g.id::text
      FROM credit_grant g JOIN application a ON a.id = g.application_id
      WHERE g.status = 'APPROVED' AND a.status NOT IN ('CREDIT_GRANTED', 'DISBURSED')
    UNION ALL
    SELECT 'pending grant on a closed application', g.id::text
      FROM credit_grant g JOIN application a ON a.id = g.application_id
      WHERE g.status = 'PENDING_APPROVAL' AND a.status <> 'ACCEPTED'
    UNION ALL
    SELECT 'credit on an application without an approved grant', a.id::text FROM application a
      WHERE a.status IN ('CREDIT_GRANTED', 'DISBURSED')
        AND NOT EXISTS (SELECT 1 FROM credit_grant g WHERE g.application_id = a.id AND g.status = 'APPROVED')
    UNION ALL
    SELECT 'request status does not follow its applications', id::text FROM requests
      WHERE status <> CASE
        WHEN status = 'WITHDRAWN' THEN 'WITHDRAWN'
        WHEN 'DISBURSED' = ANY(statuses) THEN 'DISBURSED'
        WHEN 'CREDIT_GRANTED' = ANY(statuses) THEN 'CREDIT_GRANTED'
        WHEN 'ACCEPTED' = ANY(statuses) THEN 'ACCEPTED'
        WHEN 'SUBMITTED' = ANY(statuses) THEN 'APPLIED'
        ELSE 'OPEN' END
    UNION ALL
    SELECT 'open application on a withdrawn request', id::text FROM requests
      WHERE status = 'WITHDRAWN' AND statuses && ARRAY['SUBMITTED', 'ACCEPTED']
    UNION ALL
    SELECT 'matchable copy of the score differs from the profile', m.financing_request_id::text
      FROM matchable_request m JOIN credit_profile cp ON cp.enterprise_id = m.enterprise_id
      WHERE (m.credit_score, m.credit_grade) IS DISTINCT FROM (cp.score, cp.grade)
    UNION ALL
    SELECT 'request with credit still matchable', m.financing_request_id::text
      FROM matchable_request m JOIN financing_request r ON r.id = m.financing_request_id
      WHERE r.status NOT IN ('OPEN', 'APPLIED', 'ACCEPTED')`);
  expect(violations).toEqual([]);
}

/** The lock order holds: PostgreSQL found no deadlock to break (a retry would hide it from clients). */
function expectNoDeadlocks(): void {
  expect(transactionRetries.deadlocks).toBe(0);
}

interface Parties {
  enterprise: { id: string };
  institution: { id: string };
  product: { id: string };
}

async function parties(): Promise<Parties> {
  const enterprise = await registerEnterprise(app);
  const institution = await createInstitution(app);
  const product = await createPublishedProduct(app, institution.id);
  return { enterprise, institution, product };
}

async function submittedApplication(p: Parties) {
  const request = await postRequest(app, p.enterprise.id);
  const application = await applyToProduct(app, p.enterprise.id, request.id, p.product.id);
  return { request, application };
}

async function acceptedApplication(p: Parties) {
  const submitted = await submittedApplication(p);
  await acceptApplication(app, p.institution.id, submitted.application.id);
  return submitted;
}

/** After a race: every invariant holds, and no deadlock happened (retried or not). */
async function expectSound(): Promise<void> {
  await expectInvariants();
  expectNoDeadlocks();
}

const TRIES = 10;

/** The code of a payload's first user error, or null when it succeeded. */
const refusal = (response: GraphQLResponse) =>
  (Object.values(response.data)[0] as { userErrors: Array<{ code: string }> }).userErrors[0]?.code ?? null;

const GRANT_INPUT = { amount: '500000.00', annualRate: '4.10', termMonths: 12 };
const posting = (key?: string) => ({ input: { ...requestInput(), ...(key ? { idempotencyKey: key } : {}) } });

describe('races between mutations', () => {
  it('grant vs withdraw application: one wins, the other is refused', async () => {
    const p = await parties();
    for (let attempt = 0; attempt < TRIES; attempt++) {
      const { application } = await acceptedApplication(p);
      const [grant, withdraw] = await race(
        () => app.gql(GRANT, { input: { applicationId: application.id, ...GRANT_INPUT } }, p.institution.id),
        () => app.gql(WITHDRAW_APPLICATION, { input: { applicationId: application.id } }, p.enterprise.id),
      );
      expectClean([grant, withdraw]);
      const granted = Boolean(grant.data.grantCredit.creditGrant);
      const withdrawn = Boolean(withdraw.data.withdrawApplication.application);
      expect(granted !== withdrawn).toBe(true);
    }
    await expectSound();
  });

  it('accept vs withdraw request: the request ends withdrawn with no open application', async () => {
    const p = await parties();
    for (let attempt = 0; attempt < TRIES; attempt++) {
      const { request, application } = await submittedApplication(p);
      const [accept, withdraw] = await race(
        () => app.gql(operation('AcceptApplication'), { input: { applicationId: application.id } }, p.institution.id),
        () => app.gql(WITHDRAW_REQUEST, { input: { financingRequestId: request.id } }, p.enterprise.id),
      );
      expectClean([accept, withdraw]);
      expect(refusal(withdraw)).toBeNull();
      expect([null, 'INVALID_TRANSITION']).toContain(refusal(accept));
    }
    await expectSound();
  });

  it('accept vs expiry sweep: the application ends accepted or expired, never both', async () => {
    const p = await parties();
    for (let attempt = 0; attempt < TRIES; attempt++) {
      const { application } = await submittedApplication(p);
      const id = fromGlobalId(application.id);
      const soon = `UPDATE application SET response_deadline = now() + interval '15 milliseconds' WHERE id = $1`;
      await app.dataSource.query(soon, [id]);
      const [accept] = await race(
        () => app.gql(operation('AcceptApplication'), { input: { applicationId: application.id } }, p.institution.id),
        async () => {
          await app.server.services.lending.expireOverdueApplications(new Date(Date.now() + 60_000));
          return { status: 200, data: {}, raw: '', headers: new Headers() };
        },
      );
      expectClean([accept]);
      expect([null, 'INVALID_TRANSITION', 'RESPONSE_DEADLINE_PASSED']).toContain(refusal(accept));
      const [row] = await app.dataSource.query(`SELECT status::text FROM application WHERE id = $1`, [id]);
      expect(row.status).toBe(refusal(accept) ? 'EXPIRED' : 'ACCEPTED');
    }
    await expectSound();
  });

  it('disburse vs disburse vs withdraw: tranches stay within the grant, credit is never withdrawn', async () => {
    const p = await parties();
    for (let attempt = 0; attempt < TRIES; attempt++) {
      const { request, application } = await acceptedApplication(p);
      await grantCredit(app, p.institution.id, { applicationId: application.id, ...GRANT_INPUT });
      const tranche = { input: { applicationId: application.id, amount: '300000.00' } };
      const disburse = () => app.gql(operation('RecordDisbursement'), tranche, p.institution.id);
      const responses = await race(
        disburse,
        disburse,
        () => app.gql(WITHDRAW_APPLICATION, { input: { applicationId: application.id } }, p.enterprise.id),
        () => app.gql(WITHDRAW_REQUEST, { input: { financingRequestId: request.id } }, p.enterprise.id),
      );
      expectClean(responses);
      expect(responses.map(refusal)).toEqual(
        expect.arrayContaining([null, 'DISBURSEMENT_EXCEEDS_GRANT', 'INVALID_TRANSITION', 'REQUEST_HAS_CREDIT']),
      );
    }
    await expectSound();
  });

  it('claim vs apply on one request and product: one application, the other refused', async () => {
    const p = await parties();
    for (let attempt = 0; attempt < TRIES; attempt++) {
      const request = await postRequest(app, p.enterprise.id);
      const input = { financingRequestId: request.id, loanProductId: p.product.id };
      const responses = await race(
        () => app.gql(CLAIM, { input }, p.institution.id),
        () => app.gql(operation('ApplyToProduct'), { input }, p.enterprise.id),
      );
      expectClean(responses);
      expect(responses.map(refusal).sort()).toEqual(['ALREADY_APPLIED', null].sort());
    }
    await expectSound();
  });

  it('credit import vs posting for one enterprise: the posted need carries the score the import left', async () => {
    const enterprise = await registerEnterprise(app, enterpriseInput());
    const [{ uscc }] = await app.dataSource.query(`SELECT uscc FROM enterprise WHERE id = $1`, [
      fromGlobalId(enterprise.id),
    ]);
    for (let attempt = 0; attempt < TRIES; attempt++) {
      const record = {
        uscc,
        source: 'TAX',
        sourceReference: `RACE-${Date.now()}-${attempt}`,
        indicator: attempt % 2 ? 'A级纳税人' : '欠税',
        polarity: attempt % 2 ? 'POSITIVE' : 'NEGATIVE',
        recordedOn: '2026-01-15',
      };
      const responses = await race(
        () => app.gql(IMPORT, { input: { records: [record] } }, 'operator'),
        () => app.gql(operation('PostFinancingRequest'), posting(), enterprise.id),
      );
      expectClean(responses);
      expect(responses[0].data.importCreditRecords.imported).toBe(1);
      expect(refusal(responses[1])).toBeNull();
    }
    await expectSound();
  });

  it('product change vs posting: both succeed, and the queued refresh leaves the matches current', async () => {
    const p = await parties();
    for (let attempt = 0; attempt < TRIES; attempt++) {
      const responses = await race(
        () => {
          const terms = productInput({ maxTermMonths: 24 + attempt });
          return app.gql(UPDATE_PRODUCT, { input: { ...terms, loanProductId: p.product.id } }, p.institution.id);
        },
        () => app.gql(operation('PostFinancingRequest'), posting(), p.enterprise.id),
      );
      expectClean(responses);
      expect(responses.map(refusal)).toEqual([null, null]);
    }
    await app.server.services.matching.workQueuedJobs();
    const [{ queued }] = await app.dataSource.query(
      `SELECT count(*)::int AS queued FROM matching_job WHERE finished_at IS NULL`,
    );
    expect(queued).toBe(0);
    await expectSound();
  });
});

describe('one transaction context', () => {
  it('code inside a transaction cannot take a second pooled connection', async () => {
    const second = app.dataSource.transaction(async () => app.dataSource.query('SELECT 1'));
    await expect(second).rejects.toBeInstanceOf(SecondConnectionError);
    // The transaction's own connection works, and the pool is whole afterwards.
    const own = app.dataSource.transaction((manager) => manager.query('SELECT 1 AS one'));
    await expect(own).resolves.toEqual([{ one: 1 }]);
  });

  it('the context is tracked only while a transaction runs (reads do not pay for it)', async () => {
    let inside = false;
    const first = app.dataSource.transaction(async (manager) => {
      inside = tracksTransactionContext();
      await manager.query('SELECT pg_sleep(0.05)');
    });
    // A second transaction overlapping the first keeps the tracking on until both have ended.
    const second = app.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_sleep(0.1)');
      await expect(app.dataSource.query('SELECT 1')).rejects.toBeInstanceOf(SecondConnectionError);
    });
    await first;
    expect(inside).toBe(true);
    expect(tracksTransactionContext()).toBe(true);
    await second;
    // Off once no transaction of the process runs (other work of the app may still end one).
    for (let waited = 0; tracksTransactionContext() && waited < 5000; waited += 50) await sleep(50);
    expect(tracksTransactionContext()).toBe(false);
    // Outside any transaction the pool serves everyone.
    await expect(app.dataSource.query('SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
  });

  it('a burst of 4 × pool-size applications with a pool of 3 completes', async () => {
    const small = await startTestApp({ poolSize: 3 });
    try {
      const enterprise = await registerEnterprise(small);
      const institution = await createInstitution(small);
      const product = await createPublishedProduct(small, institution.id);
      const requests = [];
      for (let k = 0; k < 12; k++) requests.push(await postRequest(small, enterprise.id));
      const applied = await Promise.all(
        requests.map((request) => {
          const input = { financingRequestId: request.id, loanProductId: product.id };
          return small.gql(operation('ApplyToProduct'), { input }, enterprise.id);
        }),
      );
      expectClean(applied);
      expect(applied.filter((response) => response.data.applyToProduct.application)).toHaveLength(12);
    } finally {
      await small.close();
    }
  }, 30000);
});

/** A result, a business refusal, or a retryable 503 — nothing else. Returns whether it was the 503. */
function expectResultOrRetryable(response: GraphQLResponse): boolean {
  if (!response.errors) {
    expect(response.status).toBe(200);
    return false;
  }
  if (response.status !== 503 || response.errors.some((error) => error.extensions?.code !== 'SERVICE_UNAVAILABLE')) {
    throw new Error(`expected a result or a retryable 503, got HTTP ${response.status}: ${response.raw}`);
  }
  expect(response.headers.get('retry-after')).toBe('1');
  return true;
}

/** What the outage tests' servers log (the request pipeline's JSON lines). */
const outageLog = capturingLogger();

/** What the server logs from now on: every outage must be one line, none an internal error. */
function captureLogs(): { lines: any[]; restore(): void } {
  outageLog.lines.length = 0;
  return { lines: outageLog.lines, restore: () => undefined };
}

function expectOneLineOutages(lines: any[]): void {
  // No error with its stack: outages are warnings of one line (no `err`), never "request failed" errors.
  expect(lines.filter((line) => line.level === 'error' || line.err)).toEqual([]);
  const outages = lines.filter((line) => line.msg !== 'request');
  expect(outages.every((line) => /database unavailable/.test(line.msg))).toBe(true);
}

describe('outages', () => {
  it.each([
    ['statement timeout', { statementTimeoutMs: 300, lockTimeoutMs: 0 }, 1],
    ['pool timeout', { poolTimeoutMs: 300, lockTimeoutMs: 3000 }, 3],
  ])('the %s running out while a lock is held answers a retryable 503', async (_bound, limits, writes) => {
    // A pool of 2 lets one transaction in at a time (a quarter is kept for reads).
    const bounded = await startTestApp({ poolSize: 2, limits });
    const holder = new Client({ connectionString: (bounded.dataSource.options as { url: string }).url });
    await holder.connect();
    try {
      const enterprise = await registerEnterprise(bounded);
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE idempotency_key IN ACCESS EXCLUSIVE MODE');
      const answers = Promise.all(
        Array.from({ length: writes }, (_, k) =>
          bounded.gql(operation('PostFinancingRequest'), posting(`bounded-${k}`), enterprise.id),
        ),
      );
      // Released only after the bound ran out for every write that waited on it.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await holder.query('ROLLBACK');
      const unavailable = (await answers).filter(expectResultOrRetryable);
      expect(unavailable.length).toBeGreaterThan(0);
    } finally {
      await holder.end();
      await bounded.close();
    }
  });

  it('a lock held past the lock timeout: writes get a retryable 503, an unrelated read answers meanwhile', async () => {
    const lockTimeoutMs = 500;
    const stalled = await startTestApp({ poolSize: 4, limits: { lockTimeoutMs, poolTimeoutMs: 5000 } });
    const holder = new Client({ connectionString: (stalled.dataSource.options as { url: string }).url });
    await holder.connect();
    try {
      const enterprise = await registerEnterprise(stalled);
      await createInstitution(stalled);
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE idempotency_key IN ACCESS EXCLUSIVE MODE');
      const writes = Array.from({ length: 12 }, (_, k) =>
        stalled.gql(operation('PostFinancingRequest'), posting(`stalled-${k}`), enterprise.id),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      const readStarted = Date.now();
      const read = await stalled.gql(INSTITUTIONS, {}, 'operator');
      const readMs = Date.now() - readStarted;
      const written = await Promise.all(writes);
      await holder.query('ROLLBACK');

      expect(read.errors).toBeUndefined();
      expect(read.data.institutions.totalCount).toBe(1);
      expect(readMs).toBeLessThan(lockTimeoutMs + 1000);
      expect(written.filter(expectResultOrRetryable).length).toBeGreaterThan(0);
      // Once the lock is gone, the same requests with their keys go through.
      const retried = await Promise.all(
        Array.from({ length: 12 }, (_, k) =>
          stalled.gql(operation('PostFinancingRequest'), posting(`stalled-${k}`), enterprise.id),
        ),
      );
      expectClean(retried);
    } finally {
      await holder.end();
      await stalled.close();
    }
  });

  it('terminated backends: every answer is a result or a retryable 503, no acknowledged write is lost', async () => {
    const outage = await startTestApp({ poolSize: 6, logger: outageLog.logger });
    const killer = new Client({ connectionString: (outage.dataSource.options as { url: string }).url });
    await killer.connect();
    try {
      const enterprise = await registerEnterprise(outage);
      const institution = await createInstitution(outage);
      const logs = captureLogs();
      let killing = true;
      const kills = (async () => {
        while (killing) {
          await killer.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = 'credit-easy-loan'`,
          );
          await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 60));
        }
      })();
      const keys = Array.from({ length: 30 }, (_, k) => `outage-${k}`);
      const post = (key: string) => outage.gql(operation('PostFinancingRequest'), posting(key), enterprise.id);
      const answers = await Promise.all(
        keys.map(async (key, k) => {
          await new Promise((resolve) => setTimeout(resolve, k * 25));
          const [write, read] = await Promise.all([post(key), outage.gql(NODE, { id: institution.id }, 'operator')]);
          return { key, write, read };
        }),
      );
      killing = false;
      await kills;
      logs.restore();
      expectOneLineOutages(logs.lines);
      let unavailable = 0;
      for (const { write, read } of answers) {
        if (expectResultOrRetryable(write)) unavailable++;
        if (expectResultOrRetryable(read)) unavailable++;
      }
      // Every acknowledged posting is there; a retry with its key has one effect, the others now succeed.
      const acknowledged = answers
        .filter(({ write }) => !write.errors)
        .map(({ write }) => write.data.postFinancingRequest.financingRequest.id);
      const retried = await Promise.all(keys.map(post));
      expectClean(retried);
      const ids = retried.map((response) => response.data.postFinancingRequest.financingRequest.id);
      expect(ids).toEqual(expect.arrayContaining(acknowledged));
      const [{ posted }] = await outage.dataSource.query(`SELECT count(*)::int AS posted FROM financing_request`);
      expect(posted).toBe(keys.length);
      expect(new Set(ids).size).toBe(keys.length);
      // Not an assertion on how many: the terminations must have hit something for the test to mean anything.
      expect(unavailable + transactionRetries.UNAVAILABLE).toBeGreaterThan(0);
    } finally {
      await killer.end();
      await outage.close();
    }
  });

  it('the database down: every request answers a retryable 503; once back, the same requests go through', async () => {
    const down = await startTestApp({ poolSize: 4, limits: { poolTimeoutMs: 2000 }, logger: outageLog.logger });
    const url = (down.dataSource.options as { url: string }).url;
    const pool = (down.dataSource.driver as PostgresDriver).master as Pool & { options: { connectionString: string } };
    const admin = new Client({ connectionString: url });
    await admin.connect();
    try {
      const enterprise = await registerEnterprise(down);
      const institution = await createInstitution(down);
      // New connections go to a port nobody listens on, and the open ones are ended by the server.
      const closed = await new Promise<number>((resolve) => {
        const probe = net.createServer().listen(0, '127.0.0.1', () => {
          const { port } = probe.address() as net.AddressInfo;
          probe.close(() => resolve(port));
        });
      });
      const unreachable = new URL(url);
      unreachable.port = String(closed);
      pool.options.connectionString = unreachable.toString();
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'credit-easy-loan'`,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      const asked = () =>
        Promise.all([
          down.gql(operation('PostFinancingRequest'), posting('while-down'), enterprise.id),
          down.gql(INSTITUTIONS, {}, 'operator'),
          down.gql(NODE, { id: institution.id }, enterprise.id),
        ]);
      const logs = captureLogs();
      const whileDown = await asked();
      logs.restore();
      expectOneLineOutages(logs.lines);
      expect(logs.lines.filter((line) => /database unavailable/.test(line.msg)).length).toBeGreaterThan(0);
      expect(whileDown.map(expectResultOrRetryable)).toEqual([true, true, true]);
      pool.options.connectionString = url;
      expectClean(await asked());
    } finally {
      pool.options.connectionString = url;
      await admin.end();
      await down.close();
    }
  });
});
