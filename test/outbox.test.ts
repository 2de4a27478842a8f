import { startTestApp, TestApp } from './support/app';
import {
  acceptApplication,
  applyToProduct,
  createInstitution,
  createPublishedProduct,
  grantCredit,
  postRequest,
  productInput,
  registerEnterprise,
  requestInput,
  submittedApplication,
} from './support/fixtures';
import { operation } from './support/operations';
import { parseGlobalId } from '../src/common/global-id';
import { readOutbox } from '../src/notifications/outbox';

/**
 * The transactional outbox: each business change writes its event in its own transaction, once,
 * scoped to the tenants it concerns; a change rolled back leaves none.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

interface Row {
  id: string;
  type: string;
  institution_id: string | null;
  enterprise_id: string | null;
  platform: boolean;
  payload: Record<string, string>;
}

const dbId = (globalId: string) => parseGlobalId(globalId)!.id;
const lastId = async () =>
  String((await app.dataSource.query(`SELECT coalesce(max(id), 0) AS id FROM outbox_event`))[0].id);
const eventsAfter = (mark: string): Promise<Row[]> =>
  app.dataSource.query(
    `SELECT id::text, type, institution_id::text, enterprise_id::text, platform, payload FROM outbox_event
     WHERE id > $1 ORDER BY id`,
    [mark],
  );

async function mutate(query: string, input: Record<string, unknown>, actor: string) {
  const response = await app.gql(query, { input }, actor);
  const root = response.data && (Object.values(response.data)[0] as any);
  if (response.errors || root.userErrors.length) throw new Error(response.raw);
  return root;
}

const PAYLOAD = `(input: $input) { application { id } userErrors { code } }`;
const CLAIM = `mutation($input: StartApplicationInput!) { claimFinancingRequest${PAYLOAD} }`;
const DECLINE = `mutation($input: ApplicationActionInput!) { declineApplication${PAYLOAD} }`;
const WITHDRAW = `mutation($input: ApplicationActionInput!) { withdrawApplication${PAYLOAD} }`;
const WITHDRAW_REQUEST = `mutation($input: WithdrawFinancingRequestInput!) {
  withdrawFinancingRequest(input: $input) { financingRequest { id } userErrors { code } } }`;

describe('the transactional outbox', () => {
  it('writes each lifecycle event once, scoped to the institution and the enterprise', async () => {
    const enterpriseMark = await lastId();
    const enterprise = await registerEnterprise(app);
    expect(await eventsAfter(enterpriseMark)).toEqual([
      expect.objectContaining({
        type: 'ENTERPRISE_VERIFIED',
        enterprise_id: dbId(enterprise.id),
        institution_id: null,
        platform: true,
        payload: { enterpriseId: enterprise.id },
      }),
    ]);
    const bank = await createInstitution(app);
    const product = await createPublishedProduct(app, bank.id);

    const mark = await lastId();
    const request = await postRequest(app, enterprise.id);
    const application = await applyToProduct(app, enterprise.id, request.id, product.id);
    await acceptApplication(app, bank.id, application.id);
    const applicationId = application.id;
    const terms = { amount: '1000000.00', annualRate: '4.10', termMonths: 12 };
    const grant = await grantCredit(app, bank.id, { applicationId, ...terms });
    const paid = { input: { applicationId, amount: '400000.00' } };
    const tranche = await app.gql(operation('RecordDisbursement'), paid, bank.id);
    const disbursementId = tranche.data.recordDisbursement.disbursement.id;

    const events = await eventsAfter(mark);
    expect(events.map((event) => event.type)).toEqual([
      'REQUEST_POSTED',
      'REQUEST_MATCHED',
      'APPLICATION_SUBMITTED',
      'APPLICATION_ACCEPTED',
      'CREDIT_GRANT_MADE',
      'TRANCHE_DISBURSED',
    ]);
    const [posted, matched, ...about] = events;
    expect(posted).toMatchObject({ enterprise_id: dbId(enterprise.id), institution_id: null, platform: true });
    expect(posted.payload).toEqual({ financingRequestId: request.id });
    // A need fitting a product is news for the institution only, and not for the platform's counts.
    expect(matched).toMatchObject({ institution_id: dbId(bank.id), enterprise_id: null, platform: false });
    expect(matched.payload).toEqual({ financingRequestId: request.id, loanProductId: product.id });
    for (const event of about) {
      expect(event).toMatchObject({ institution_id: dbId(bank.id), enterprise_id: dbId(enterprise.id) });
      expect(event.platform).toBe(true);
      expect(event.payload).toMatchObject({ applicationId, financingRequestId: request.id, loanProductId: product.id });
    }
    expect(about[2].payload.creditGrantId).toBe(grant.id);
    expect(about[3].payload).toMatchObject({ creditGrantId: grant.id, disbursementId });
  });

  it('writes claims, declines, withdrawals (one and all of a need) and the expiry sweep', async () => {
    // Institutions see the needs that fit their products: products first, then the needs.
    const institution = await createInstitution(app);
    const product = await createPublishedProduct(app, institution.id);
    const other = await createInstitution(app);
    const otherProduct = await createPublishedProduct(app, other.id);
    const third = await createInstitution(app);
    const thirdProduct = await createPublishedProduct(app, third.id);
    const enterprise = await registerEnterprise(app);
    const request = await postRequest(app, enterprise.id);
    const application = await applyToProduct(app, enterprise.id, request.id, product.id);

    let mark = await lastId();
    const claimInput = { financingRequestId: request.id, loanProductId: otherProduct.id };
    const claimed = (await mutate(CLAIM, claimInput, other.id)).application;
    await mutate(DECLINE, { applicationId: application.id, reason: '额度已满' }, institution.id);
    await mutate(WITHDRAW, { applicationId: claimed.id }, enterprise.id);
    const written = await eventsAfter(mark);
    expect(written.map((event) => [event.type, event.institution_id, event.payload.applicationId])).toEqual([
      ['APPLICATION_CLAIMED', dbId(other.id), claimed.id],
      ['APPLICATION_DECLINED', dbId(institution.id), application.id],
      ['APPLICATION_WITHDRAWN', dbId(other.id), claimed.id],
    ]);

    // Withdrawing the need withdraws its open applications in one statement, each with its event.
    const second = await postRequest(app, enterprise.id);
    const first = await applyToProduct(app, enterprise.id, second.id, product.id);
    const thirdClaim = { financingRequestId: second.id, loanProductId: thirdProduct.id };
    const claim = (await mutate(CLAIM, thirdClaim, third.id)).application;
    mark = await lastId();
    await mutate(WITHDRAW_REQUEST, { financingRequestId: second.id }, enterprise.id);
    const withdrawn = await eventsAfter(mark);
    expect(withdrawn.map((event) => [event.type, event.payload.applicationId]).sort()).toEqual(
      [
        ['APPLICATION_WITHDRAWN', first.id],
        ['APPLICATION_WITHDRAWN', claim.id],
      ].sort(),
    );
    const tenants = withdrawn.map((event) => event.institution_id).sort();
    expect(tenants).toEqual([dbId(institution.id), dbId(third.id)].sort());

    const third2 = await postRequest(app, enterprise.id);
    const late = await applyToProduct(app, enterprise.id, third2.id, product.id);
    mark = await lastId();
    await app.server.services.lending.expireOverdueApplications(new Date(Date.now() + 30 * 86_400_000));
    const expired = (await eventsAfter(mark)).filter((event) => event.payload.applicationId === late.id);
    expect(expired).toEqual([
      expect.objectContaining({
        type: 'APPLICATION_EXPIRED',
        institution_id: dbId(institution.id),
        enterprise_id: dbId(enterprise.id),
      }),
    ]);
  });

  it('writes a grant waiting for its second approval and its approval', async () => {
    const { institution, application } = await submittedApplication(app);
    await acceptApplication(app, institution.id, application.id);
    const institutionId = dbId(institution.id);
    // As its admin would set it (setFourEyesThreshold needs a signed-in admin).
    await app.dataSource.query(`UPDATE institution SET four_eyes_threshold = 100000 WHERE id = $1`, [institutionId]);
    const lending = app.server.services.lending;
    const mark = await lastId();
    const grant = await lending.grantCredit(
      { kind: 'INSTITUTION', institutionId, accountId: '9001' },
      { applicationId: dbId(application.id), amount: '500000.00', annualRate: '4.10', termMonths: 12 },
    );
    const checker = { kind: 'INSTITUTION' as const, institutionId, accountId: '9002' };
    await lending.approveCreditGrant(checker, { creditGrantId: grant.id });
    const events = await eventsAfter(mark);
    expect(events.map((event) => [event.type, event.payload.creditGrantId])).toEqual([
      ['CREDIT_GRANT_PENDING_APPROVAL', expect.any(String)],
      ['CREDIT_GRANT_APPROVED', expect.any(String)],
    ]);
    expect(dbId(events[0].payload.creditGrantId)).toBe(grant.id);
  });

  it("writes a need newly fitting a product published later, once, for that product's institution", async () => {
    const enterprise = await registerEnterprise(app);
    const request = await postRequest(app, enterprise.id);
    const bank = await createInstitution(app);
    const product = await createPublishedProduct(app, bank.id, productInput());
    const mark = await lastId();
    await app.server.services.matching.refreshProductMatches(dbId(product.id));
    // Refreshing again finds the same match: no news.
    await app.server.services.matching.refreshProductMatches(dbId(product.id));
    const matched = (await eventsAfter(mark)).filter((event) => event.payload.financingRequestId === request.id);
    expect(matched).toEqual([
      expect.objectContaining({
        type: 'REQUEST_MATCHED',
        institution_id: dbId(bank.id),
        payload: {
          financingRequestId: request.id,
          loanProductId: product.id,
        },
      }),
    ]);
  });

  it('writes nothing for a mutation that is rolled back after its event was written', async () => {
    const enterprise = await registerEnterprise(app);
    const bank = await createInstitution(app);
    await createPublishedProduct(app, bank.id);
    // Matching runs after the posting's event in the same transaction: make it fail there.
    await app.dataSource.query(`
      CREATE FUNCTION fail_matching() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'matching failed (test)'; END $$;
      CREATE TRIGGER fail_matching BEFORE INSERT ON product_match FOR EACH ROW EXECUTE FUNCTION fail_matching();`);
    const mark = await lastId();
    try {
      const response = await app.gql(operation('PostFinancingRequest'), { input: requestInput() }, enterprise.id);
      expect(response.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      await app.dataSource.query(`DROP TRIGGER fail_matching ON product_match; DROP FUNCTION fail_matching();`);
    }
    expect(await eventsAfter(mark)).toEqual([]);
    const posted = await app.dataSource.query(`SELECT 1 FROM financing_request WHERE enterprise_id = $1`, [
      dbId(enterprise.id),
    ]);
    expect(posted).toEqual([]);
  });

  it('delivers in commit-safe order (retention: test/retention.test.ts)', async () => {
    const all = await readOutbox(app.dataSource, null, 10_000);
    const keys = all.map((event) => [BigInt(event.tx), BigInt(event.id)] as const);
    const sorted = [...keys].sort(([t1, i1], [t2, i2]) => (t1 === t2 ? Number(i1 - i2) : Number(t1 - t2)));
    expect(keys).toEqual(sorted);
    expect(all.length).toBeGreaterThan(10);
  });
});
