import { parseGlobalId } from '../src/common/global-id';
import { importCreditBatch } from '../src/credit/credit-import';
import { CreditPolarity, CreditSource } from '../src/credit/credit-record.entity';
import { startTestApp, TestApp } from './support/app';
import {
  acceptApplication,
  applyToProduct,
  createInstitution,
  createPublishedProduct,
  grantCredit,
  grantedApplication,
  makeUscc,
  postRequest,
  registerEnterprise,
  registerEnterpriseClaim,
} from './support/fixtures';
import { operation } from './support/operations';

/**
 * A bank commits nothing more to a registration that lost its verification (实名认证): whatever the
 * withdrawal of its needs did or did not do after the revocation, starting, accepting, granting,
 * approving and disbursing are refused, and the refusal changes nothing.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const raw = (id: string) => parseGlobalId(id)!.id;
const REASSIGN = `mutation($input: ReassignEnterpriseIdentityInput!) {
  reassignEnterpriseIdentity(input: $input) { userErrors { code } } }`;
const CLAIM = `mutation($input: StartApplicationInput!) {
  claimFinancingRequest(input: $input) { application { id } userErrors { code } } }`;
const APPROVE = `mutation($input: ApproveCreditGrantInput!) {
  approveCreditGrant(input: $input) { creditGrant { status } userErrors { code } } }`;

/** The operator moves the USCC of `impostor` to a new claim of the real company. */
async function reassignAway(impostor: { id: string; uscc: string }) {
  const company = await registerEnterpriseClaim(app, { uscc: impostor.uscc });
  const input = { fromEnterpriseId: impostor.id, toEnterpriseId: company.id, evidence: 'the licence was forged' };
  const moved = await app.gql(REASSIGN, { input }, 'operator');
  expect(moved.data.reassignEnterpriseIdentity.userErrors).toEqual([]);
}

/** Whether a backend of this database comes to wait on `pid` within 10 s (false early once `settled`). */
async function someoneWaitsOn(pid: number, settled: () => boolean = () => false): Promise<boolean> {
  for (let waited = 0; waited <= 10_000 && !settled(); waited += 20) {
    const [{ waiting }] = await app.dataSource.query(
      `SELECT count(*)::int AS waiting FROM pg_stat_activity
        WHERE datname = current_database() AND pg_blocking_pids(pid) @> ARRAY[$1::int]`,
      [pid],
    );
    if (waiting > 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

async function snapshot(requestId: string) {
  const [row] = await app.dataSource.query(
    `SELECT (SELECT json_agg(json_build_object('id', a.id, 'status', a.status) ORDER BY a.id)
               FROM application a WHERE a.financing_request_id = r.id) AS applications,
            (SELECT count(*)::int FROM credit_grant g WHERE g.financing_request_id = r.id) AS grants,
            (SELECT count(*)::int FROM disbursement d JOIN credit_grant g ON g.id = d.credit_grant_id
              WHERE g.financing_request_id = r.id) AS disbursements,
            r.status
       FROM financing_request r WHERE r.id = $1`,
    [raw(requestId)],
  );
  return row;
}

describe('a borrower whose verification was revoked', () => {
  it('keeps its needs once verified again: the withdrawal re-reads the registration', async () => {
    const enterprise = await registerEnterprise(app, { uscc: makeUscc() });
    const need = await postRequest(app, enterprise.id);
    const before = await snapshot(need.id);
    // As a sweep would, with the need listed while revoked and the USCC moved back since.
    const withdrawn = await app.server.services.lending.withdrawRevokedRequest(
      { kind: 'SYSTEM' },
      raw(need.id),
      'listed while revoked',
    );
    expect(withdrawn).toBe(false);
    expect(await snapshot(need.id)).toEqual(before);
  });

  it('gets no disbursement that raced the revocation: it waits for it and sees it', async () => {
    const granted = await grantedApplication(app, { amount: '100000.00' });
    const { enterprise: impostor, institution: bank, request: need, application } = granted;
    const before = await snapshot(need.id);

    // A revocation in flight: it holds the enterprise row, as the identity service's transaction does.
    const revocation = app.dataSource.createQueryRunner();
    await revocation.connect();
    await revocation.startTransaction();
    try {
      await revocation.query(`SELECT id FROM enterprise WHERE id = $1 FOR UPDATE`, [raw(impostor.id)]);
      const [{ pid: revocationPid }] = await revocation.query(`SELECT pg_backend_pid() AS pid`);
      const disbursing = app.gql(
        operation('RecordDisbursement'),
        { input: { applicationId: application.id, amount: '50000.00' } },
        bank.id,
      );
      // The disbursement reaches the borrower's row and waits for the revocation.
      if (!(await someoneWaitsOn(revocationPid)))
        throw new Error('the disbursement never waited for the enterprise row');
      await revocation.query(`UPDATE enterprise SET verification_status = 'REVOKED' WHERE id = $1`, [raw(impostor.id)]);
      await revocation.commitTransaction();
      const answer = await disbursing;
      expect(answer.data.recordDisbursement.userErrors).toMatchObject([{ code: 'BORROWER_NOT_VERIFIED' }]);
    } finally {
      if (revocation.isTransactionActive) await revocation.rollbackTransaction();
      await revocation.release();
    }
    expect(await snapshot(need.id)).toEqual(before);
  });

  it('gets no disbursement on credit granted before the revocation (that need is not withdrawn)', async () => {
    const granted = await grantedApplication(app, { amount: '100000.00' });
    const { enterprise: impostor, institution: bank, request: need, application } = granted;

    await reassignAway(impostor);
    const before = await snapshot(need.id);
    // The need gained credit before the revocation: the withdrawal leaves it alone.
    expect(before.applications).toEqual([{ id: Number(raw(application.id)), status: 'CREDIT_GRANTED' }]);

    const disbursed = await app.gql(
      operation('RecordDisbursement'),
      { input: { applicationId: application.id, amount: '50000.00' } },
      bank.id,
    );
    expect(disbursed.data.recordDisbursement.disbursement).toBeNull();
    expect(disbursed.data.recordDisbursement.userErrors).toMatchObject([{ code: 'BORROWER_NOT_VERIFIED' }]);
    expect(await snapshot(need.id)).toEqual(before);
  });

  it('gets nothing started, accepted, granted or approved where the withdrawal never ran', async () => {
    const impostor = await registerEnterprise(app, { uscc: makeUscc() });
    const bank = await createInstitution(app);
    const product = await createPublishedProduct(app, bank.id);
    const need = await postRequest(app, impostor.id);
    const accepted = await applyToProduct(app, impostor.id, need.id, product.id);
    await acceptApplication(app, bank.id, accepted.id);
    const otherProduct = await createPublishedProduct(app, bank.id);
    const submitted = await applyToProduct(app, impostor.id, need.id, otherProduct.id);
    const thirdProduct = await createPublishedProduct(app, bank.id);
    // A grant above the bank's four-eyes threshold waits for a second staff member.
    await app.dataSource.query(`UPDATE institution SET four_eyes_threshold = 1000 WHERE id = $1`, [raw(bank.id)]);
    const otherNeed = await postRequest(app, impostor.id);
    const pendingApplication = await applyToProduct(app, impostor.id, otherNeed.id, product.id);
    await acceptApplication(app, bank.id, pendingApplication.id);
    const pending = await grantCredit(app, bank.id, {
      applicationId: pendingApplication.id,
      amount: '100000.00',
      annualRate: '4.10',
      termMonths: 12,
    });
    // Made by another staff member of the bank, so that the X-Actor bank may approve it.
    await app.dataSource.query(
      `UPDATE credit_grant SET proposed_by = 'INSTITUTION:another-staff-member' WHERE id = $1`,
      [raw(pending.id)],
    );

    // As if the process stopped between the revocation's commit and the withdrawal of the needs.
    const identity = app.server.services.identity;
    const withdraw = identity.onRevoked;
    identity.onRevoked = async () => undefined;
    try {
      await reassignAway(impostor);
    } finally {
      identity.onRevoked = withdraw;
    }
    const before = [await snapshot(need.id), await snapshot(otherNeed.id)];
    expect(before[0].status).not.toBe('WITHDRAWN');

    const refusals = [
      await app.gql(CLAIM, { input: { financingRequestId: need.id, loanProductId: thirdProduct.id } }, bank.id),
      await app.gql(operation('AcceptApplication'), { input: { applicationId: submitted.id } }, bank.id),
      await app.gql(
        operation('GrantCredit'),
        { input: { applicationId: accepted.id, amount: '100000.00', annualRate: '4.10', termMonths: 12 } },
        bank.id,
      ),
      await app.gql(APPROVE, { input: { creditGrantId: pending.id } }, bank.id),
    ];
    for (const refusal of refusals) {
      const payload = Object.values(refusal.data ?? {})[0] as { userErrors: Array<{ code: string }> };
      expect(payload.userErrors.map((error) => error.code)).toEqual(['BORROWER_NOT_VERIFIED']);
    }
    expect([await snapshot(need.id), await snapshot(otherNeed.id)]).toEqual(before);

    // The calendar sweep finishes what the revocation's withdrawal left, as the platform's step.
    const sweep = await app.server.services.calendarSweep();
    expect(sweep.revokedRequestsWithdrawn).toBe(2);
    for (const id of [need.id, otherNeed.id]) expect((await snapshot(id)).status).toBe('WITHDRAWN');
    const withdrawals = await app.dataSource.query(
      `SELECT DISTINCT e.actor, e.to_status::text FROM application_event e JOIN application a ON a.id = e.application_id
        WHERE a.financing_request_id = ANY($1::bigint[]) AND e.type = 'WITHDRAWN'`,
      [[raw(need.id), raw(otherNeed.id)]],
    );
    expect(withdrawals).toEqual([{ actor: 'SYSTEM', to_status: 'WITHDRAWN' }]);
    // The grant that waited for its second approval lapsed with its application.
    expect((await snapshot(otherNeed.id)).grants).toBe(0);
    expect((await app.server.services.calendarSweep()).revokedRequestsWithdrawn).toBe(0);
  });
});

describe('credit records imported while an operator moves their USCC', () => {
  it('follow the USCC: the move waits for an import in flight and takes its records along', async () => {
    const uscc = makeUscc();
    const impostor = await registerEnterprise(app, { uscc });
    const company = await registerEnterpriseClaim(app, { uscc });
    const record = {
      uscc,
      source: CreditSource.TAX,
      sourceReference: `race-${uscc}`,
      indicator: 'TAX_PAID_ON_TIME',
      polarity: CreditPolarity.POSITIVE,
      recordedOn: '2026-11-01',
    };
    // An import in flight: its batch is filed under the registration verified when it ran, not committed yet.
    const importer = app.dataSource.createQueryRunner();
    await importer.connect();
    await importer.startTransaction();
    try {
      expect(await importCreditBatch(importer.manager, [{ line: 1, record }])).toMatchObject({ imported: 1 });
      const [{ pid: importerPid }] = await importer.query(`SELECT pg_backend_pid() AS pid`);
      const input = { fromEnterpriseId: impostor.id, toEnterpriseId: company.id, evidence: 'the licence was forged' };
      let moved = false;
      const moving = app.gql(REASSIGN, { input }, 'operator').finally(() => (moved = true));
      // The move waits for the import (or, were it not to, finishes first: then the record stays behind).
      if (!(await someoneWaitsOn(importerPid, () => moved)) && !moved)
        throw new Error('the move neither waited nor finished');
      await importer.commitTransaction();
      expect((await moving).data.reassignEnterpriseIdentity.userErrors).toEqual([]);
    } finally {
      if (importer.isTransactionActive) await importer.rollbackTransaction();
      await importer.release();
    }
    const filed = await app.dataSource.query(
      `SELECT enterprise_id::text AS id FROM credit_record WHERE source_reference = $1`,
      [`race-${uscc}`],
    );
    expect(filed).toEqual([{ id: raw(company.id) }]);
  });
});
