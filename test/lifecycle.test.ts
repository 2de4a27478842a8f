import { parseGlobalId } from '../src/common/global-id';
import { startTestApp, TestApp } from './support/app';
import { operation } from './support/operations';
import { createInstitution, createPublishedProduct, postRequest, registerEnterprise } from './support/fixtures';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

describe('the whole path of a financing need', () => {
  it('registers, publishes, posts, applies, accepts, grants, disburses in two tranches; audits each step', async () => {
    const enterprise = await registerEnterprise(app, { name: '依兰县兴盛米业有限公司' });
    expect(enterprise.regionName).toBe('依兰县');
    expect(enterprise.industrySection).toBe('C');

    const bank = await createInstitution(app, { name: '哈尔滨银行依兰支行' });
    expect(bank.responseDeadlineDays).toBe(3);
    const product = await createPublishedProduct(app, bank.id);
    expect(product.status).toBe('PUBLISHED');

    const request = await postRequest(app, enterprise.id, { amount: '1130000.00' });
    expect(request).toMatchObject({ amount: '1130000.00', status: 'OPEN' });

    const applied = await app.gql(
      operation('ApplyToProduct'),
      { input: { financingRequestId: request.id, loanProductId: product.id } },
      enterprise.id,
    );
    const application = applied.data.applyToProduct.application;
    expect(applied.data.applyToProduct.userErrors).toEqual([]);
    expect(application.status).toBe('SUBMITTED');
    expect(application.financingRequest.status).toBe('APPLIED');
    expect(new Date(application.responseDeadline).getTime()).toBeGreaterThan(Date.now());

    const accepted = await app.gql(
      operation('AcceptApplication'),
      { input: { applicationId: application.id } },
      bank.id,
    );
    expect(accepted.data.acceptApplication.application.status).toBe('ACCEPTED');

    const granted = await app.gql(
      operation('GrantCredit'),
      { input: { applicationId: application.id, amount: '1130000.00', annualRate: '4.10', termMonths: 12 } },
      bank.id,
    );
    expect(granted.data.grantCredit).toEqual({
      creditGrant: { id: expect.any(String), amount: '1130000.00', annualRate: '4.10', termMonths: 12 },
      userErrors: [],
    });

    const first = await app.gql(
      operation('RecordDisbursement'),
      { input: { applicationId: application.id, amount: '600000.00' } },
      bank.id,
    );
    expect(first.data.recordDisbursement.disbursement.creditGrant).toEqual({
      amount: '1130000.00',
      disbursedAmount: '600000.00',
      remainingAmount: '530000.00',
    });
    const second = await app.gql(
      operation('RecordDisbursement'),
      { input: { applicationId: application.id, amount: '530000.00' } },
      bank.id,
    );
    expect(second.data.recordDisbursement.disbursement.creditGrant).toEqual({
      amount: '1130000.00',
      disbursedAmount: '1130000.00',
      remainingAmount: '0.00',
    });

    const trail = await app.gql(operation('ApplicationTrail'), { id: application.id }, enterprise.id);
    expect(trail.errors).toBeUndefined();
    const node = trail.data.node;
    expect(node.status).toBe('DISBURSED');
    expect(node.financingRequest).toEqual({
      status: 'DISBURSED',
      amount: '1130000.00',
      enterprise: { name: '依兰县兴盛米业有限公司' },
    });
    expect(node.loanProduct.institution.name).toBe('哈尔滨银行依兰支行');
    expect(node.creditGrant.disbursements.totalCount).toBe(2);
    expect(node.creditGrant.disbursements.nodes.map((d: any) => d.amount)).toEqual(['600000.00', '530000.00']);
    const steps = node.events.nodes.map((e: any) => [e.actor.kind, e.type, e.fromStatus, e.toStatus]);
    expect(steps).toEqual([
      ['ENTERPRISE', 'SUBMITTED', null, 'SUBMITTED'],
      ['INSTITUTION', 'ACCEPTED', 'SUBMITTED', 'ACCEPTED'],
      ['INSTITUTION', 'CREDIT_GRANTED', 'ACCEPTED', 'CREDIT_GRANTED'],
      ['INSTITUTION', 'DISBURSED', 'CREDIT_GRANTED', 'DISBURSED'],
      ['INSTITUTION', 'DISBURSED', 'DISBURSED', 'DISBURSED'],
    ]);
    expect(node.events.totalCount).toBe(5);
    expect(node.events.nodes[2].reason).toContain('1130000.00');
    expect(node.events.nodes[4].reason).toContain('tranche 2');
  });

  it('keeps the audit trail append-only in the database itself', async () => {
    await expect(app.dataSource.query(`UPDATE application_event SET reason = 'rewritten'`)).rejects.toThrow(
      /append-only/,
    );
    await expect(app.dataSource.query(`DELETE FROM application_event`)).rejects.toThrow(/append-only/);
  });

  it('lets an institution claim (抢单) an open request and the enterprise withdraw it', async () => {
    const enterprise = await registerEnterprise(app);
    const bank = await createInstitution(app);
    const product = await createPublishedProduct(app, bank.id);
    const request = await postRequest(app, enterprise.id);
    const claimed = await app.gql(
      `mutation($input: StartApplicationInput!) { claimFinancingRequest(input: $input)` +
        ` { application { id status origin } userErrors { code } } }`,
      { input: { financingRequestId: request.id, loanProductId: product.id } },
      bank.id,
    );
    expect(claimed.data.claimFinancingRequest.application).toMatchObject({
      status: 'SUBMITTED',
      origin: 'INSTITUTION_CLAIMED',
    });
    const withdrawn = await app.gql(
      `mutation($input: WithdrawFinancingRequestInput!) { withdrawFinancingRequest(input: $input)` +
        ` { financingRequest { status applications { nodes { status } } }` +
        ` userErrors { code } } }`,
      { input: { financingRequestId: request.id, reason: '已从其他渠道获得资金' } },
      enterprise.id,
    );
    expect(withdrawn.data.withdrawFinancingRequest.financingRequest).toEqual({
      status: 'WITHDRAWN',
      applications: { nodes: [{ status: 'WITHDRAWN' }] },
    });
    // The bulk path leaves the same trail as one step: the claim, its withdrawal, and the need's own.
    const applicationId = claimed.data.claimFinancingRequest.application.id;
    const trail = await app.gql(operation('ApplicationTrail'), { id: applicationId }, enterprise.id);
    expect(trail.data.node.events.nodes.map((e: any) => [e.type, e.actor.kind, e.toStatus, e.reason])).toEqual([
      ['CLAIMED', 'INSTITUTION', 'SUBMITTED', '抢单 claimed by the institution'],
      ['WITHDRAWN', 'ENTERPRISE', 'WITHDRAWN', '已从其他渠道获得资金'],
    ]);
    const needTrail = await app.dataSource.query(
      `SELECT actor, from_status::text, to_status::text, reason FROM financing_request_event
       WHERE financing_request_id = $1`,
      [parseGlobalId(request.id)!.id],
    );
    expect(needTrail).toEqual([
      {
        actor: expect.stringMatching(/^ENTERPRISE:\d+$/),
        from_status: 'APPLIED',
        to_status: 'WITHDRAWN',
        reason: '已从其他渠道获得资金',
      },
    ]);
  });

  it('expires applications not accepted before their response deadline, and refuses a late acceptance', async () => {
    const enterprise = await registerEnterprise(app);
    const bank = await createInstitution(app);
    const product = await createPublishedProduct(app, bank.id);
    const request = await postRequest(app, enterprise.id);
    const applied = await app.gql(
      operation('ApplyToProduct'),
      { input: { financingRequestId: request.id, loanProductId: product.id } },
      enterprise.id,
    );
    const applicationId = applied.data.applyToProduct.application.id;
    // The deadline is computed from the official calendar; move it into the past to simulate time passing.
    await app.dataSource.query(
      `UPDATE application SET response_deadline = now() - interval '1 minute' WHERE status = 'SUBMITTED'`,
    );

    const late = await app.gql(operation('AcceptApplication'), { input: { applicationId } }, bank.id);
    expect(late.data.acceptApplication).toEqual({
      application: null,
      userErrors: [expect.objectContaining({ code: 'RESPONSE_DEADLINE_PASSED' })],
    });

    const trail = await app.gql(operation('ApplicationTrail'), { id: applicationId }, enterprise.id);
    expect(trail.data.node.status).toBe('EXPIRED');
    expect(trail.data.node.financingRequest.status).toBe('OPEN');
    expect(trail.data.node.events.nodes.at(-1)).toMatchObject({
      type: 'EXPIRED',
      actor: { kind: 'SYSTEM', role: null, institution: null, enterprise: null },
      fromStatus: 'SUBMITTED',
      toStatus: 'EXPIRED',
    });
  });
});
