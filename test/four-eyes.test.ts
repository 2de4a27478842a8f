import { startTestApp, TestApp } from './support/app';
import { parseGlobalId } from '../src/common/global-id';
import { operation } from './support/operations';
import { inviteStaff, productInput, registerEnterprise, requestInput } from './support/fixtures';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

async function as(token: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as any;
}

async function signIn(email: string, password: string): Promise<string> {
  const response = await app.gql(
    `mutation($input: LoginInput!) { login(input: $input) { token userErrors { code } } }`,
    { input: { email, password } },
  );
  return response.data.login.token;
}

const APPROVE = `mutation($input: ApproveCreditGrantInput!) {
  approveCreditGrant(input: $input) { creditGrant { status approvedAt } userErrors { code } }
}`;
const STATE = `query($id: ID!) { node(id: $id) { ... on Application {
  status creditGrant { status amount } events { nodes { toStatus reason } }
} } }`;
const TRAIL = `query($id: ID!) { node(id: $id) { ... on Application { events { nodes {
  id type fromStatus toStatus reason actor { kind role account { id email } institution { name } enterprise { name } }
} } } } }`;
const trail = async (token: string, id: string) => (await as(token, TRAIL, { id })).data.node.events.nodes;

describe('maker-checker (双人复核) for large grants', () => {
  it('holds a grant above the threshold for a second staff member; the maker cannot check it', async () => {
    const created = await app.gql(
      operation('CreateInstitution'),
      {
        input: {
          name: '复核银行',
          type: 'BANK',
          regionsServed: ['230000'],
          admin: { email: 'admin@four.example', password: 'admin password 123' },
        },
      },
      'operator',
    );
    // The admin account created with the institution comes back in the payload.
    const { admin: createdAdmin } = created.data.createInstitution;
    expect(createdAdmin).toMatchObject({ email: 'admin@four.example', role: 'INSTITUTION_ADMIN' });
    const admin = await signIn('admin@four.example', 'admin password 123');
    const threshold = await as(
      admin,
      `mutation { setFourEyesThreshold(input: { threshold: "1000000.00" }) {
        __typename institution { fourEyesThreshold } userErrors { code } } }`,
    );
    expect(threshold.data.setFourEyesThreshold.__typename).toBe('SetFourEyesThresholdPayload');
    expect(threshold.data.setFourEyesThreshold.institution.fourEyesThreshold).toBe('1000000.00');
    for (const email of ['maker@four.example', 'checker@four.example']) {
      await inviteStaff(app, admin, email, 'staff password 123');
    }
    const maker = await signIn('maker@four.example', 'staff password 123');
    const checker = await signIn('checker@four.example', 'staff password 123');

    const product = (await as(maker, operation('CreateLoanProduct'), { input: productInput() })).data.createLoanProduct
      .loanProduct;
    await as(maker, operation('PublishLoanProduct'), { input: { loanProductId: product.id } });
    await registerEnterprise(app, { account: { email: 'mill@four.example', password: 'mill password 1234' } });
    const mill = await signIn('mill@four.example', 'mill password 1234');
    const request = (await as(mill, operation('PostFinancingRequest'), { input: requestInput() })).data
      .postFinancingRequest.financingRequest;
    const application = (
      await as(mill, operation('ApplyToProduct'), {
        input: { financingRequestId: request.id, loanProductId: product.id },
      })
    ).data.applyToProduct.application;
    await as(maker, operation('AcceptApplication'), { input: { applicationId: application.id } });

    const proposed = await as(
      maker,
      `mutation($input: GrantCreditInput!) {
        grantCredit(input: $input) { creditGrant { id status approvedAt } userErrors { code } }
      }`,
      {
        input: { applicationId: application.id, amount: '1130000.00', annualRate: '4.10', termMonths: 12 },
      },
    );
    const grant = proposed.data.grantCredit.creditGrant;
    expect(grant).toMatchObject({ status: 'PENDING_APPROVAL', approvedAt: null });
    let state = (await as(mill, STATE, { id: application.id })).data.node;
    expect(state).toMatchObject({ status: 'ACCEPTED', creditGrant: { status: 'PENDING_APPROVAL' } });
    // Waiting for the second approval is an event of its own, and the status stays.
    const waiting = (await trail(maker, application.id)).at(-1);
    expect(waiting).toMatchObject({ type: 'CREDIT_GRANT_PROPOSED', fromStatus: 'ACCEPTED', toStatus: 'ACCEPTED' });
    expect(waiting.reason).toMatch(/1130000\.00 yuan.*second staff member/);
    // The bank sees which of its staff proposed it; the enterprise sees the bank, not the account.
    expect(waiting.actor).toMatchObject({
      kind: 'INSTITUTION',
      role: 'INSTITUTION_STAFF',
      account: { email: 'maker@four.example' },
      institution: { name: '复核银行' },
    });
    const seenByMill = (await trail(mill, application.id)).at(-1);
    const theBank = {
      kind: 'INSTITUTION',
      role: null,
      account: null,
      institution: { name: '复核银行' },
      enterprise: null,
    };
    expect(seenByMill.actor).toEqual(theBank);
    const ACCOUNT = `query($id: ID!) { node(id: $id) { ... on UserAccount { email } } }`;
    expect((await as(mill, ACCOUNT, { id: waiting.actor.account.id })).data.node).toBeNull();
    const colleague = await as(checker, ACCOUNT, { id: waiting.actor.account.id });
    expect(colleague.data.node).toEqual({ email: 'maker@four.example' });
    // …and the bank sees the enterprise acted, not which of its users.
    const submitted = (await trail(maker, application.id))[0];
    const theMill = {
      kind: 'ENTERPRISE',
      role: null,
      account: null,
      institution: null,
      enterprise: { name: expect.any(String) },
    };
    expect(submitted.actor).toEqual(theMill);
    expect((await trail(mill, application.id))[0].actor).toMatchObject({
      kind: 'ENTERPRISE',
      role: 'ENTERPRISE',
      account: { email: 'mill@four.example' },
    });

    // Disbursing before the second approval says so, not that ACCEPTED cannot become DISBURSED.
    const early = await as(maker, operation('RecordDisbursement'), {
      input: { applicationId: application.id, amount: '1.00' },
    });
    expect(early.data.recordDisbursement.userErrors).toEqual([
      expect.objectContaining({
        code: 'GRANT_AWAITS_APPROVAL',
        message: expect.stringMatching(/awaits its second approval/),
      }),
    ]);
    const again = await as(maker, operation('GrantCredit'), {
      input: { applicationId: application.id, amount: '500000.00', annualRate: '4.10', termMonths: 12 },
    });
    expect(again.data.grantCredit.userErrors[0].code).toBe('GRANT_PENDING');

    const grantRow = `SELECT status, approved_by, approved_at FROM credit_grant WHERE id = $1`;
    const before = await app.dataSource.query(grantRow, [parseGlobalId(grant.id)!.id]);
    expect(
      (await as(maker, APPROVE, { input: { creditGrantId: grant.id } })).data.approveCreditGrant.userErrors,
    ).toEqual([{ code: 'MAKER_CANNOT_CHECK' }]);
    // The refusal changes nothing but leaves a trace the bank (and operators) read; the enterprise does not see it.
    const after = await app.dataSource.query(grantRow, [parseGlobalId(grant.id)!.id]);
    expect(after).toEqual(before);
    const unchanged = (await as(mill, STATE, { id: application.id })).data.node;
    expect(unchanged).toMatchObject({ status: 'ACCEPTED', creditGrant: { status: 'PENDING_APPROVAL' } });
    const refusal = (await trail(checker, application.id)).at(-1);
    expect(refusal).toMatchObject({
      type: 'CREDIT_GRANT_SELF_APPROVAL_REFUSED',
      fromStatus: 'ACCEPTED',
      toStatus: 'ACCEPTED',
      actor: { account: { email: 'maker@four.example' } },
    });
    const millSees = (await trail(mill, application.id)).map((event: any) => event.type);
    expect(millSees).not.toContain('CREDIT_GRANT_SELF_APPROVAL_REFUSED');
    expect((await as(mill, `query($id: ID!) { node(id: $id) { id } }`, { id: refusal.id })).data.node).toBeNull();
    const outsider = await as(mill, APPROVE, { input: { creditGrantId: grant.id } });
    expect(outsider.errors[0].extensions.code).toBe('FORBIDDEN');

    const approved = await as(checker, APPROVE, { input: { creditGrantId: grant.id } });
    expect(approved.data.approveCreditGrant.creditGrant.status).toBe('APPROVED');
    state = (await as(mill, STATE, { id: application.id })).data.node;
    expect(state.status).toBe('CREDIT_GRANTED');
    const events = await trail(mill, application.id);
    const types = events.map((event: any) => event.type);
    expect(types).toEqual(['SUBMITTED', 'ACCEPTED', 'CREDIT_GRANT_PROPOSED', 'CREDIT_GRANTED']);
    expect(events.at(-1).reason).toMatch(/approved by a second staff member/);
    expect(events.at(-1).reason).not.toMatch(/INSTITUTION:/);
    expect((await trail(maker, application.id)).at(-1).actor.account.email).toBe('checker@four.example');
    expect(
      (await as(checker, APPROVE, { input: { creditGrantId: grant.id } })).data.approveCreditGrant.userErrors,
    ).toEqual([{ code: 'GRANT_NOT_PENDING' }]);

    // At or below the threshold a grant takes effect at once.
    const request2 = (
      await as(mill, operation('PostFinancingRequest'), { input: requestInput({ amount: '1000000.00' }) })
    ).data.postFinancingRequest.financingRequest;
    const application2 = (
      await as(mill, operation('ApplyToProduct'), {
        input: { financingRequestId: request2.id, loanProductId: product.id },
      })
    ).data.applyToProduct.application;
    await as(maker, operation('AcceptApplication'), { input: { applicationId: application2.id } });
    const direct = await as(
      maker,
      `mutation($input: GrantCreditInput!) {
        grantCredit(input: $input) { creditGrant { status } userErrors { code } }
      }`,
      {
        input: { applicationId: application2.id, amount: '1000000.00', annualRate: '4.10', termMonths: 12 },
      },
    );
    expect(direct.data.grantCredit.creditGrant.status).toBe('APPROVED');
  });

  it('lets a pending grant lapse when the application is withdrawn, releasing its amount', async () => {
    await app.gql(
      operation('CreateInstitution'),
      {
        input: {
          name: '复核银行二',
          type: 'BANK',
          regionsServed: ['230000'],
          admin: { email: 'admin2@four.example', password: 'admin password 123' },
        },
      },
      'operator',
    );
    const admin = await signIn('admin2@four.example', 'admin password 123');
    await as(admin, `mutation { setFourEyesThreshold(input: { threshold: "100000.00" }) { userErrors { code } } }`);
    await inviteStaff(app, admin, 'checker2@four.example', 'staff password 123');
    const checker = await signIn('checker2@four.example', 'staff password 123');
    const product = (await as(admin, operation('CreateLoanProduct'), { input: productInput() })).data.createLoanProduct
      .loanProduct;
    await as(admin, operation('PublishLoanProduct'), { input: { loanProductId: product.id } });
    await registerEnterprise(app, { account: { email: 'mill2@four.example', password: 'mill password 1234' } });
    const mill = await signIn('mill2@four.example', 'mill password 1234');
    const request = (await as(mill, operation('PostFinancingRequest'), { input: requestInput() })).data
      .postFinancingRequest.financingRequest;
    const application = (
      await as(mill, operation('ApplyToProduct'), {
        input: { financingRequestId: request.id, loanProductId: product.id },
      })
    ).data.applyToProduct.application;
    await as(admin, operation('AcceptApplication'), { input: { applicationId: application.id } });
    const proposed = await as(admin, operation('GrantCredit'), {
      input: { applicationId: application.id, amount: '500000.00', annualRate: '4.10', termMonths: 12 },
    });
    const grantId = proposed.data.grantCredit.creditGrant.id;
    await as(
      mill,
      `mutation($id: ID!) { withdrawApplication(input: { applicationId: $id }) { userErrors { code } } }`,
      { id: application.id },
    );
    const late = await as(checker, APPROVE, { input: { creditGrantId: grantId } });
    expect(late.errors[0].extensions.code).toBe('NOT_FOUND');
    const [{ pending }] = await app.dataSource.query(
      `SELECT count(*)::int AS pending FROM credit_grant WHERE status = 'PENDING_APPROVAL'`,
    );
    expect(pending).toBe(0);
    // A grant never approved leaves its trace: proposed, then lapsed with the application.
    const events = await trail(mill, application.id);
    expect(events.map((event: any) => [event.type, event.toStatus])).toEqual([
      ['SUBMITTED', 'SUBMITTED'],
      ['ACCEPTED', 'ACCEPTED'],
      ['CREDIT_GRANT_PROPOSED', 'ACCEPTED'],
      ['WITHDRAWN', 'WITHDRAWN'],
      ['CREDIT_GRANT_LAPSED', 'WITHDRAWN'],
    ]);
    expect(events.at(-1).reason).toMatch(/500000\.00 yuan never had its second approval/);
  });

  it('lets only an institution admin set the threshold', async () => {
    const response = await app.gql(
      `mutation { setFourEyesThreshold(input: { threshold: "1.00" }) { userErrors { code } } }`,
      {},
      'operator',
    );
    expect(response.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});
