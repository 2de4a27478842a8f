import { parseGlobalId } from '../src/common/global-id';
import { startTestApp, TestApp } from './support/app';
import {
  acceptApplication,
  applyToProduct,
  createInstitution,
  createPublishedProduct,
  grantCredit,
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
  it('gets no disbursement that raced the revocation: it waits for it and sees it', async () => {
    const impostor = await registerEnterprise(app, { uscc: makeUscc() });
    const bank = await createInstitution(app);
    const product = await createPublishedProduct(app, bank.id);
    const need = await postRequest(app, impostor.id);
    const application = await applyToProduct(app, impostor.id, need.id, product.id);
    await acceptApplication(app, bank.id, application.id);
    const grant = { applicationId: application.id, amount: '100000.00', annualRate: '4.10', termMonths: 12 };
    await grantCredit(app, bank.id, grant);
    const before = await snapshot(need.id);

    // A revocation in flight: it holds the enterprise row, as the identity service's transaction does.
    const revocation = app.dataSource.createQueryRunner();
    await revocation.connect();
    await revocation.startTransaction();
    try {
      await revocation.query(`SELECT id FROM enterprise WHERE id = $1 FOR UPDATE`, [raw(impostor.id)]);
      const disbursing = app.gql(
        operation('RecordDisbursement'),
        { input: { applicationId: application.id, amount: '50000.00' } },
        bank.id,
      );
      // The disbursement reaches the borrower's row and waits for the revocation.
      for (let waited = 0; ; waited += 20) {
        const [{ waiting }] = await app.dataSource.query(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity
            WHERE wait_event_type = 'Lock' AND query LIKE '%FROM enterprise WHERE id = $1 FOR SHARE%'`,
        );
        if (waiting > 0) break;
        if (waited > 10_000) throw new Error('the disbursement never waited for the enterprise row');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
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
    const impostor = await registerEnterprise(app, { uscc: makeUscc() });
    const bank = await createInstitution(app);
    const product = await createPublishedProduct(app, bank.id);
    const need = await postRequest(app, impostor.id);
    const application = await applyToProduct(app, impostor.id, need.id, product.id);
    await acceptApplication(app, bank.id, application.id);
    await grantCredit(app, bank.id, {
      applicationId: application.id,
      amount: '100000.00',
      annualRate: '4.10',
      termMonths: 12,
    });

    await reassignAway(impostor);
    const before = await snapshot(need.id);
    // The need gained credit before the revocation: the withdrawal leaves it alone.
    expect(before.applications).toEqual([{ id: Number(raw(application.id)), status: 'CREDIT_GRANTED' }]);

    const disbursed = await app.gql(
      operation('RecordDisbursement'),
      { input: { applicationId: application.id, amount: '50000.00', disbursedOn: '2026-12-01' } },
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
