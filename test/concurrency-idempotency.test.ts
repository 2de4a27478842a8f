import { startTestApp, TestApp } from './support/app';
import { operation } from './support/operations';
import {
  acceptApplication,
  applyToProduct,
  createInstitution,
  createPublishedProduct,
  grantedApplication,
  inviteStaff,
  postRequest,
  registerEnterprise,
  productInput as productInputFor,
  requestInput,
} from './support/fixtures';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

describe('concurrency', () => {
  it('20 concurrent disbursements summing past the grant: total within it, every accepted one recorded', async () => {
    const { institution, application, creditGrant } = await grantedApplication(app, { amount: '1000000.00' });
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        app.gql(
          operation('RecordDisbursement'),
          { input: { applicationId: application.id, amount: '70000.00' } },
          institution.id,
        ),
      ),
    );
    const accepted = responses.filter((r) => r.data?.recordDisbursement.disbursement);
    const refused = responses.filter((r) => r.data?.recordDisbursement.userErrors.length);
    expect(responses.every((r) => r.errors === undefined)).toBe(true);
    expect(accepted).toHaveLength(14); // 14 × 70,000 = 980,000 ≤ 1,000,000 < 15 × 70,000
    expect(refused).toHaveLength(6);
    expect(new Set(refused.map((r) => r.data.recordDisbursement.userErrors[0].code))).toEqual(
      new Set(['DISBURSEMENT_EXCEEDS_GRANT']),
    );

    const [row] = await app.dataSource.query(
      `SELECT sum(d.amount)::text AS total, count(*)::int AS tranches FROM disbursement d JOIN credit_grant g
        ON g.id = d.credit_grant_id WHERE g.application_id = (SELECT application_id FROM credit_grant WHERE amount = $1
        ORDER BY id DESC LIMIT 1)`,
      [creditGrant.amount],
    );
    expect(row).toEqual({ total: '980000.00', tranches: 14 });
    const ids = new Set(accepted.map((r) => r.data.recordDisbursement.disbursement.id));
    expect(ids.size).toBe(14);
    const trail = await app.gql(operation('ApplicationTrail'), { id: application.id }, institution.id);
    expect(trail.data.node.creditGrant.disbursedAmount).toBe('980000.00');
    expect(trail.data.node.events.nodes.filter((e: any) => e.toStatus === 'DISBURSED')).toHaveLength(14);
  });

  it('two institutions granting at once on one request: the grants never exceed what it asked for', async () => {
    const enterprise = await registerEnterprise(app);
    const request = await postRequest(app, enterprise.id, { amount: '1000000.00' });
    const banks = await Promise.all([createInstitution(app), createInstitution(app), createInstitution(app)]);
    const applications = [];
    for (const bank of banks) {
      const product = await createPublishedProduct(app, bank.id);
      const application = await applyToProduct(app, enterprise.id, request.id, product.id);
      await acceptApplication(app, bank.id, application.id);
      applications.push({ bank, application });
    }
    const responses = await Promise.all(
      applications.map(({ bank, application }) =>
        app.gql(
          operation('GrantCredit'),
          { input: { applicationId: application.id, amount: '600000.00', annualRate: '4.10', termMonths: 12 } },
          bank.id,
        ),
      ),
    );
    expect(responses.filter((r) => r.data.grantCredit.creditGrant)).toHaveLength(1);
    expect(responses.filter((r) => r.data.grantCredit.userErrors[0]?.code === 'GRANTS_EXCEED_REQUEST')).toHaveLength(2);
  });
});

describe('idempotency', () => {
  it('a retried disbursement with the same key has one effect and returns the same answer', async () => {
    const { institution, application } = await grantedApplication(app, { amount: '500000.00' });
    const input = { applicationId: application.id, amount: '100000.00', idempotencyKey: 'disburse-1' };
    const first = await app.gql(operation('RecordDisbursement'), { input }, institution.id);
    const retry = await app.gql(operation('RecordDisbursement'), { input }, institution.id);
    expect(first.data.recordDisbursement.disbursement.id).toEqual(expect.any(String));
    expect(retry.data.recordDisbursement.disbursement.id).toBe(first.data.recordDisbursement.disbursement.id);
    expect(retry.data.recordDisbursement.disbursement.amount).toBe('100000.00');
    expect(retry.data.recordDisbursement.disbursement.creditGrant.disbursedAmount).toBe('100000.00');
  });

  it('concurrent retries with one key still have one effect', async () => {
    const { institution, application } = await grantedApplication(app, { amount: '500000.00' });
    const input = { applicationId: application.id, amount: '50000.00', idempotencyKey: 'disburse-concurrent' };
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => app.gql(operation('RecordDisbursement'), { input }, institution.id)),
    );
    const ids = new Set(responses.map((r) => r.data.recordDisbursement.disbursement.id));
    expect(ids.size).toBe(1);
    const trail = await app.gql(operation('ApplicationTrail'), { id: application.id }, institution.id);
    expect(trail.data.node.creditGrant.disbursedAmount).toBe('50000.00');
  });

  it('the same key with a different input is refused and changes nothing', async () => {
    const { institution, application } = await grantedApplication(app, { amount: '500000.00' });
    await app.gql(
      operation('RecordDisbursement'),
      { input: { applicationId: application.id, amount: '100000.00', idempotencyKey: 'k-1' } },
      institution.id,
    );
    const changed = await app.gql(
      operation('RecordDisbursement'),
      { input: { applicationId: application.id, amount: '200000.00', idempotencyKey: 'k-1' } },
      institution.id,
    );
    expect(changed.data.recordDisbursement).toEqual({
      disbursement: null,
      userErrors: [{ field: ['input', 'idempotencyKey'], message: expect.any(String), code: 'IDEMPOTENCY_KEY_REUSED' }],
    });
    const trail = await app.gql(operation('ApplicationTrail'), { id: application.id }, institution.id);
    expect(trail.data.node.creditGrant.disbursedAmount).toBe('100000.00');
  });

  it('a retried posting of a need creates it once; transitions replay too', async () => {
    const enterprise = await registerEnterprise(app);
    const input = { ...requestInput(), idempotencyKey: 'post-need-1' };
    const first = await app.gql(operation('PostFinancingRequest'), { input }, enterprise.id);
    const retry = await app.gql(operation('PostFinancingRequest'), { input }, enterprise.id);
    expect(retry.data.postFinancingRequest.financingRequest.id).toBe(
      first.data.postFinancingRequest.financingRequest.id,
    );
    const [{ count }] = await app.dataSource.query(
      `SELECT count(*)::int AS count FROM financing_request WHERE enterprise_id = (SELECT id FROM enterprise
        ORDER BY id DESC LIMIT 1)`,
    );
    expect(count).toBe(1);

    const bank = await createInstitution(app);
    const product = await createPublishedProduct(app, bank.id);
    const application = await applyToProduct(
      app,
      enterprise.id,
      first.data.postFinancingRequest.financingRequest.id,
      product.id,
    );
    const acceptInput = { applicationId: application.id, idempotencyKey: 'accept-1' };
    const accepted = await app.gql(operation('AcceptApplication'), { input: acceptInput }, bank.id);
    const acceptedAgain = await app.gql(operation('AcceptApplication'), { input: acceptInput }, bank.id);
    expect(accepted.data.acceptApplication.application.status).toBe('ACCEPTED');
    expect(acceptedAgain.data.acceptApplication).toEqual(accepted.data.acceptApplication);
    const trail = await app.gql(operation('ApplicationTrail'), { id: application.id }, bank.id);
    expect(trail.data.node.events.totalCount).toBe(2);
  });

  it('a replay answers what the first call answered, though the object has moved on since', async () => {
    const enterprise = await registerEnterprise(app);
    const POST = `mutation($input: PostFinancingRequestInput!) {
      postFinancingRequest(input: $input) {
        financingRequest { id status amount maxRate validUntil acceptableGuaranteeTypes postedAt updatedAt }
        userErrors { code }
      } }`;
    const input = { ...requestInput(), idempotencyKey: 'post-need-replay' };
    const first = await app.gql(POST, { input }, enterprise.id);
    expect(first.data.postFinancingRequest.financingRequest.status).toBe('OPEN');
    const request = first.data.postFinancingRequest.financingRequest;

    const bank = await createInstitution(app);
    const product = await createPublishedProduct(app, bank.id);
    const application = await applyToProduct(app, enterprise.id, request.id, product.id);
    const ACCEPT = `mutation($input: ApplicationActionInput!) {
      acceptApplication(input: $input) { application { id status acceptedAt } userErrors { code } } }`;
    const acceptInput = { applicationId: application.id, idempotencyKey: 'accept-replay' };
    const accepted = await app.gql(ACCEPT, { input: acceptInput }, bank.id);
    const grant = { applicationId: application.id, amount: '500000.00', annualRate: '4.10', termMonths: 12 };
    await app.gql(operation('GrantCredit'), { input: grant }, bank.id);
    const NEED = `query($id: ID!) { node(id: $id) { ... on FinancingRequest { status } } }`;
    const now = await app.gql(NEED, { id: request.id }, enterprise.id);
    expect(now.data.node.status).toBe('CREDIT_GRANTED');

    // Both replays answer as at the first call, verbatim, and change nothing.
    expect((await app.gql(POST, { input }, enterprise.id)).raw).toBe(first.raw);
    expect((await app.gql(ACCEPT, { input: acceptInput }, bank.id)).raw).toBe(accepted.raw);
    expect(accepted.data.acceptApplication.application.status).toBe('ACCEPTED');
    const trail = await app.gql(operation('ApplicationTrail'), { id: application.id }, bank.id);
    expect(trail.data.node.status).toBe('CREDIT_GRANTED');
    expect(trail.data.node.events.totalCount).toBe(3);
    // Another input under the key is still refused.
    const other = await app.gql(POST, { input: { ...input, amount: '1.00' } }, enterprise.id);
    expect(other.data.postFinancingRequest.userErrors).toEqual([{ code: 'IDEMPOTENCY_KEY_REUSED' }]);
  });

  it('keeps an answer for the actor who made it: another account using the same key is not answered it', async () => {
    const admin = { email: 'admin@replay.example', password: 'admin password 123' };
    const bank = { name: '重放银行', type: 'BANK', regionsServed: ['230000'], admin };
    await app.gql(operation('CreateInstitution'), { input: bank }, 'operator');
    const withToken = async (token: string, query: string, variables: Record<string, unknown>) => {
      const response = await fetch(app.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as any;
    };
    const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { token } }`;
    const signIn = async (credentials: { email: string; password: string }) =>
      (await app.gql(LOGIN, { input: credentials })).data.login.token as string;
    const adminToken = await signIn(admin);
    const staff = { email: 'staff@replay.example', password: 'staff password 123' };
    await inviteStaff(app, adminToken, staff.email, staff.password);
    const staffToken = await signIn(staff);

    const created = await withToken(adminToken, operation('CreateLoanProduct'), { input: productInputFor() });
    const product = created.data.createLoanProduct.loanProduct;
    await withToken(adminToken, operation('PublishLoanProduct'), { input: { loanProductId: product.id } });
    const enterprise = await registerEnterprise(app);
    const request = await postRequest(app, enterprise.id);
    const application = await applyToProduct(app, enterprise.id, request.id, product.id);
    const input = { applicationId: application.id, idempotencyKey: 'shared-key' };
    const ACCEPT = `mutation($input: ApplicationActionInput!) {
      acceptApplication(input: $input) { application { status } userErrors { code } } }`;
    const mine = await withToken(adminToken, ACCEPT, { input });
    expect(mine.data.acceptApplication).toEqual({ application: { status: 'ACCEPTED' }, userErrors: [] });
    // The colleague's call under the same key runs as its own: the application is no longer SUBMITTED.
    const theirs = await withToken(staffToken, ACCEPT, { input });
    expect(theirs.data.acceptApplication).toEqual({ application: null, userErrors: [{ code: 'INVALID_TRANSITION' }] });
    expect(await withToken(adminToken, ACCEPT, { input })).toEqual(mine);
  });
});
