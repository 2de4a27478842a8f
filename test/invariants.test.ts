import { startTestApp, TestApp } from './support/app';
import { operation } from './support/operations';
import {
  acceptApplication,
  applyToProduct,
  createInstitution,
  createPublishedProduct,
  enterpriseInput,
  grantCredit,
  grantedApplication,
  postRequest,
  registerEnterprise,
  requestInput,
  submittedApplication,
} from './support/fixtures';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

/** Everything a refused operation must leave as it was. */
async function digest(): Promise<string> {
  const [row] = await app.dataSource.query(`
    SELECT (SELECT count(*) FROM enterprise) AS enterprises,
           (SELECT count(*) FROM financing_request) AS requests,
           (SELECT string_agg(id || ':' || status, ',' ORDER BY id) FROM application) AS applications,
           (SELECT coalesce(sum(amount), 0)::text FROM credit_grant) AS granted,
           (SELECT coalesce(sum(amount), 0)::text FROM disbursement) AS disbursed,
           (SELECT count(*) FROM application_event) AS events`);
  return JSON.stringify(row);
}

function userErrorCode(response: { data?: any; errors?: unknown }): string | undefined {
  expect(response.errors).toBeUndefined();
  const payload = Object.values(response.data)[0] as any;
  return payload.userErrors[0]?.code;
}

describe('lifecycle invariants', () => {
  it('refuses to disburse more than was granted', async () => {
    const { institution, application } = await grantedApplication(app, { amount: '500000.00' });
    await app.gql(
      operation('RecordDisbursement'),
      { input: { applicationId: application.id, amount: '300000.00' } },
      institution.id,
    );
    const before = await digest();
    const over = await app.gql(
      operation('RecordDisbursement'),
      { input: { applicationId: application.id, amount: '200000.01' } },
      institution.id,
    );
    expect(userErrorCode(over)).toBe('DISBURSEMENT_EXCEEDS_GRANT');
    expect(over.data.recordDisbursement.userErrors[0].field).toEqual(['input', 'amount']);
    expect(await digest()).toBe(before);
    const exact = await app.gql(
      operation('RecordDisbursement'),
      { input: { applicationId: application.id, amount: '200000.00' } },
      institution.id,
    );
    expect(exact.data.recordDisbursement.disbursement.creditGrant.remainingAmount).toBe('0.00');
  });

  it('refuses a grant above the product maximum or outside its rate range or term', async () => {
    const { institution, application } = await submittedApplication(app, {
      product: { maxAmount: '1000000.00', minRate: '3.85', maxRate: '6.00' },
      request: { amount: '1000000.00' },
    });
    await acceptApplication(app, institution.id, application.id);
    const before = await digest();
    const attempts: Array<[Record<string, unknown>, string]> = [
      [{ amount: '1000000.01', annualRate: '4.10', termMonths: 12 }, 'AMOUNT_OUTSIDE_PRODUCT_LIMITS'],
      [{ amount: '1000000.00', annualRate: '3.8499', termMonths: 12 }, 'RATE_OUTSIDE_PRODUCT_RANGE'],
      [{ amount: '1000000.00', annualRate: '6.0001', termMonths: 12 }, 'RATE_OUTSIDE_PRODUCT_RANGE'],
      [{ amount: '1000000.00', annualRate: '4.10', termMonths: 37 }, 'TERM_OUTSIDE_PRODUCT_RANGE'],
    ];
    for (const [input, code] of attempts) {
      const response = await app.gql(
        operation('GrantCredit'),
        { input: { applicationId: application.id, ...input } },
        institution.id,
      );
      expect(userErrorCode(response)).toBe(code);
    }
    expect(await digest()).toBe(before);
    // The inclusive ends are allowed.
    const edge = await app.gql(
      operation('GrantCredit'),
      { input: { applicationId: application.id, amount: '1000000.00', annualRate: '6.00', termMonths: 36 } },
      institution.id,
    );
    expect(edge.data.grantCredit.userErrors).toEqual([]);
  });

  it('never lets the grants on one request exceed what it asked for', async () => {
    const enterprise = await registerEnterprise(app);
    const request = await postRequest(app, enterprise.id, { amount: '1130000.00' });
    const bankA = await createInstitution(app);
    const bankB = await createInstitution(app);
    const productA = await createPublishedProduct(app, bankA.id);
    const productB = await createPublishedProduct(app, bankB.id);
    const applicationA = await applyToProduct(app, enterprise.id, request.id, productA.id);
    const applicationB = await applyToProduct(app, enterprise.id, request.id, productB.id);
    await acceptApplication(app, bankA.id, applicationA.id);
    await acceptApplication(app, bankB.id, applicationB.id);
    await grantCredit(app, bankA.id, {
      applicationId: applicationA.id,
      amount: '1000000.00',
      annualRate: '4.10',
      termMonths: 12,
    });
    const before = await digest();
    const tooMuch = await app.gql(
      operation('GrantCredit'),
      { input: { applicationId: applicationB.id, amount: '130000.01', annualRate: '4.35', termMonths: 12 } },
      bankB.id,
    );
    expect(userErrorCode(tooMuch)).toBe('GRANTS_EXCEED_REQUEST');
    // Bank A's grant is A's business: B, who may not see it, is not told its amount.
    expect(tooMuch.data.grantCredit.userErrors[0].message).not.toMatch(/1,?000,?000/);
    expect(await digest()).toBe(before);
    const rest = await app.gql(
      operation('GrantCredit'),
      { input: { applicationId: applicationB.id, amount: '130000.00', annualRate: '4.35', termMonths: 12 } },
      bankB.id,
    );
    expect(rest.data.grantCredit.userErrors).toEqual([]);
  });

  it("answers another institution's attempt to act on an application as if it did not exist", async () => {
    const { application } = await submittedApplication(app);
    const stranger = await createInstitution(app);
    const before = await digest();
    const accept = await app.gql(
      operation('AcceptApplication'),
      { input: { applicationId: application.id } },
      stranger.id,
    );
    expect(accept.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(accept.errors?.[0].message).toBe('Application not found');
    const grant = await app.gql(
      operation('GrantCredit'),
      { input: { applicationId: application.id, amount: '100000.00', annualRate: '4.10', termMonths: 12 } },
      stranger.id,
    );
    expect(grant.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const missing = await app.gql(
      operation('AcceptApplication'),
      { input: { applicationId: 'QXBwbGljYXRpb246OTk5OTk5' } },
      stranger.id,
    );
    // An existing application of someone else and a missing one answer alike.
    expect(missing.errors?.[0].message).toBe(accept.errors?.[0].message);
    expect(missing.errors?.[0].extensions).toEqual(accept.errors?.[0].extensions);
    expect(await digest()).toBe(before);
  });

  it("refuses to let an enterprise withdraw another enterprise's request or application", async () => {
    const { request, application } = await submittedApplication(app);
    const other = await registerEnterprise(app);
    const before = await digest();
    const withdrawRequest = await app.gql(
      `mutation($input: WithdrawFinancingRequestInput!) {
        withdrawFinancingRequest(input: $input) { financingRequest { status } userErrors { code } }
      }`,
      { input: { financingRequestId: request.id } },
      other.id,
    );
    expect(withdrawRequest.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const withdrawApplication = await app.gql(
      `mutation($input: ApplicationActionInput!) {
        withdrawApplication(input: $input) { application { status } userErrors { code } }
      }`,
      { input: { applicationId: application.id } },
      other.id,
    );
    expect(withdrawApplication.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(await digest()).toBe(before);
    // An institution is not an enterprise: it may not withdraw at all.
    const { institution } = await submittedApplication(app);
    const byBank = await app.gql(
      `mutation($input: ApplicationActionInput!) { withdrawApplication(input: $input) { application { status } } }`,
      { input: { applicationId: application.id } },
      institution.id,
    );
    expect(byBank.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(await digest()).not.toBe('');
  });

  it('refuses transitions out of order', async () => {
    const { institution, application } = await submittedApplication(app);
    const before = await digest();
    const grantEarly = await app.gql(
      operation('GrantCredit'),
      { input: { applicationId: application.id, amount: '500000.00', annualRate: '4.10', termMonths: 12 } },
      institution.id,
    );
    expect(userErrorCode(grantEarly)).toBe('INVALID_TRANSITION');
    // The refusal says what to do instead, not only which states are involved.
    expect(grantEarly.data.grantCredit.userErrors[0].message).toMatch(
      /accept it \(acceptApplication\) before granting/,
    );
    const disburseEarly = await app.gql(
      operation('RecordDisbursement'),
      { input: { applicationId: application.id, amount: '1.00' } },
      institution.id,
    );
    expect(userErrorCode(disburseEarly)).toBe('INVALID_TRANSITION');
    expect(disburseEarly.data.recordDisbursement.userErrors[0].message).toMatch(/grant credit \(grantCredit\) before/);
    expect(await digest()).toBe(before);

    const declined = await app.gql(
      `mutation($input: ApplicationActionInput!) {
        declineApplication(input: $input) { application { status declineReason } userErrors { code } }
      }`,
      { input: { applicationId: application.id, reason: '经营流水不足' } },
      institution.id,
    );
    expect(declined.data.declineApplication.application).toEqual({ status: 'DECLINED', declineReason: '经营流水不足' });
    const acceptAfterDecline = await app.gql(
      operation('AcceptApplication'),
      { input: { applicationId: application.id } },
      institution.id,
    );
    expect(userErrorCode(acceptAfterDecline)).toBe('INVALID_TRANSITION');
    expect(acceptAfterDecline.data.acceptApplication.userErrors[0].message).toMatch(/was declined: it is closed/);
  });

  it('requires a reason to decline', async () => {
    const { institution, application } = await submittedApplication(app);
    const response = await app.gql(
      `mutation($input: ApplicationActionInput!) {
        declineApplication(input: $input) { application { status } userErrors { code field } }
      }`,
      { input: { applicationId: application.id } },
      institution.id,
    );
    expect(response.data.declineApplication.userErrors).toEqual([
      { code: 'REASON_REQUIRED', field: ['input', 'reason'] },
    ]);
  });
});

describe('malformed input', () => {
  const register = operation('RegisterEnterprise');

  it('rejects a USCC whose check character is wrong, and one with a forbidden letter', async () => {
    const before = await digest();
    const valid = enterpriseInput().uscc as string;
    const wrongCheck = valid.slice(0, 17) + (valid[17] === '0' ? '1' : '0');
    for (const uscc of [wrongCheck, `${valid.slice(0, 10)}I${valid.slice(11)}`, valid.slice(0, 17)]) {
      const response = await app.gql(register, { input: enterpriseInput({ uscc }) });
      expect(response.status).toBe(200);
      expect(response.errors?.[0].extensions).toEqual({
        code: 'BAD_USER_INPUT',
        validationErrors: [{ field: 'input.uscc', messages: [expect.stringContaining('统一社会信用代码')] }],
      });
      expect(response.raw).not.toContain(uscc);
    }
    expect(await digest()).toBe(before);
  });

  it('rejects a region code that GB/T 2260 does not know, and an industry outside GB/T 4754', async () => {
    const before = await digest();
    const region = await app.gql(register, { input: enterpriseInput({ regionCode: '239999' }) });
    expect(region.errors?.[0].extensions?.validationErrors).toEqual([
      { field: 'input.regionCode', messages: [expect.any(String)] },
    ]);
    const industry = await app.gql(register, { input: enterpriseInput({ industryCode: 'C01' }) });
    expect(industry.errors?.[0].extensions?.validationErrors).toEqual([
      { field: 'input.industryCode', messages: [expect.any(String)] },
    ]);
    expect(await digest()).toBe(before);
  });

  it('rejects money with three decimals or sent as a number, without echoing it', async () => {
    const enterprise = await registerEnterprise(app);
    const before = await digest();
    for (const amount of ['0.123', 0.1, 1130000, '-5.00', '1e6', '']) {
      const response = await app.gql(
        operation('PostFinancingRequest'),
        { input: requestInput({ amount }) },
        enterprise.id,
      );
      // Apollo answers variables that fail coercion with 400 before executing anything.
      expect(response.status).toBe(400);
      expect(response.data).toBeUndefined();
      expect(response.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(response.errors?.[0].message).toContain('Money must be a string');
      expect(response.errors?.[0].message).toContain('input.amount');
      if (amount !== '') expect(response.raw).not.toContain(String(amount));
    }
    // Inline literals are checked the same way.
    const literal = await app.gql(
      `mutation {
        postFinancingRequest(input: {
          amount: 0.1, termMonths: 12, purpose: "x y", acceptableGuaranteeTypes: [CREDIT], maxRate: "5",
          validUntil: "2099-01-01"
        }) { userErrors { code } }
      }`,
      {},
      enterprise.id,
    );
    expect(literal.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(literal.errors?.[0].message).not.toContain('0.1');
    expect(await digest()).toBe(before);
  });

  it('answers a malformed body with a typed JSON error, not a stack trace', async () => {
    const response = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as any;
    expect(body.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(JSON.stringify(body)).not.toMatch(/at .*\.js|node_modules/);
  });

  it('masks internal errors and never leaks SQL', async () => {
    const response = await app.gql(`{ node(id: "RW50ZXJwcmlzZTox") { id } }`, {}, 'not-an-actor');
    expect(response.status).toBe(401);
    expect(response.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(response.raw).not.toMatch(/SELECT|stack/i);
  });
});
