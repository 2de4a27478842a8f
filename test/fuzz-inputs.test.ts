import fc from 'fast-check';
import { parse, validate } from 'graphql';
import { buildAppSchema } from '../src/schema';
import { startTestApp, TestApp } from './support/app';
import { operation } from './support/operations';
import { enterpriseInput, productInput, requestInput, submittedApplication } from './support/fixtures';

/** A well-formed UserAccount ID that names no account. */
const NO_ACCOUNT = Buffer.from('UserAccount:999999').toString('base64');

let app: TestApp;
let ids: Awaited<ReturnType<typeof submittedApplication>>;
beforeAll(async () => {
  app = await startTestApp();
  ids = await submittedApplication(app);
});
afterAll(async () => {
  await app?.close();
});

async function digest(): Promise<string> {
  const rows = await app.dataSource.query(`
    SELECT (SELECT count(*) FROM enterprise) e, (SELECT count(*) FROM institution) i, (SELECT count(*)
      FROM loan_product) p,
           (SELECT count(*) FROM financing_request) r, (SELECT string_agg(id || status::text, ',' ORDER BY id)
             FROM application) a,
           (SELECT count(*) FROM credit_grant) g, (SELECT count(*) FROM disbursement) d, (SELECT count(*)
             FROM credit_record) c,
           (SELECT count(*) FROM application_event) ev, (SELECT count(*) FROM user_account) u, (SELECT count(*)
             FROM idempotency_key) k`);
  return JSON.stringify(rows[0]);
}

type Kind =
  'money' | 'rate' | 'int' | 'id' | 'text' | 'optionalText' | 'uscc' | 'region' | 'industry' | 'enum' | 'date' | 'list';

/** Values that are wrong for a field of that kind, whatever else the input holds. */
const bad: Record<Kind, fc.Arbitrary<unknown>> = {
  money: fc.oneof(
    fc.double(),
    fc.integer(),
    fc.constantFrom('0.123', '-1.00', '1e6', '', 'abc', '9'.repeat(30), ' 1.00', '1,000.00', null),
    fc.object(),
  ),
  rate: fc.oneof(fc.double(), fc.constantFrom('4.12345', '-1', '101', '', 'NaN', null), fc.array(fc.string())),
  int: fc.oneof(
    fc.double({ noInteger: true }),
    fc.constantFrom(2 ** 40, -(2 ** 40), -5, 100000001, '12', true),
    fc.string(),
  ),
  id: fc.oneof(fc.string(), fc.integer(), fc.constantFrom('RW50ZXJwcmlzZTox', '', null, 'QXBwbGljYXRpb246LTE=')),
  text: fc.oneof(
    fc.constantFrom('a\u0000b', '\u0007bell', 'x'.repeat(5000), '', '   ', null),
    fc.integer(),
    fc.array(fc.string()),
  ),
  // An optional text field may be null: that is no bad input (withdrawing needs no reason).
  optionalText: fc.oneof(
    fc.constantFrom('a\u0000b', '\u0007bell', 'x'.repeat(5000), '', '   '),
    fc.integer(),
    fc.array(fc.string()),
  ),
  uscc: fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.constantFrom('91230123MA1C4D5E6X', '91230123MA1C4D5E6', 'I1230123MA1C4D5E6F', '', null),
    fc.integer(),
  ),
  region: fc.oneof(fc.constantFrom('239999', '000000', '23012', '2301234', 'abcdef', '', null), fc.integer()),
  industry: fc.oneof(fc.constantFrom('C01', 'Z99', 'c13', '13', '', null), fc.integer()),
  enum: fc.oneof(fc.constantFrom('NOT_A_VALUE', 'credit', '', null), fc.integer(), fc.string()),
  date: fc.oneof(fc.constantFrom('2026-02-30', '2026-13-01', 'tomorrow', '20260101', ''), fc.integer()),
  // (A single valid value would be coerced to a one-item list, as GraphQL specifies: not bad.)
  list: fc.oneof(fc.constantFrom(null, 42, 'NOPE'), fc.array(fc.constantFrom('NOPE', 1, null), { minLength: 1 })),
};

interface Target {
  /** An operation in graphql/, or an inline document taking `$input`. */
  name: string;
  actor: () => string | undefined;
  valid: () => Record<string, unknown>;
  fields: Record<string, Kind>;
}

const targets: Target[] = [
  {
    name: 'RegisterEnterprise',
    actor: () => undefined,
    valid: () => enterpriseInput(),
    fields: {
      uscc: 'uscc',
      name: 'text',
      regionCode: 'region',
      industryCode: 'industry',
      scale: 'enum',
      establishedOn: 'date',
      registeredCapital: 'money',
      annualRevenue: 'money',
      employees: 'int',
    },
  },
  {
    name: 'CreateInstitution',
    actor: () => 'operator',
    valid: () => ({ name: `银行${Math.random()}`, type: 'BANK', regionsServed: ['230000'] }),
    fields: { name: 'text', type: 'enum', regionsServed: 'list', responseDeadlineDays: 'int' },
  },
  {
    name: 'CreateLoanProduct',
    actor: () => ids.institution.id,
    valid: () => productInput(),
    fields: {
      name: 'text',
      guaranteeType: 'enum',
      minAmount: 'money',
      maxAmount: 'money',
      minTermMonths: 'int',
      maxTermMonths: 'int',
      minRate: 'rate',
      maxRate: 'rate',
      eligibleScales: 'list',
    },
  },
  {
    name: 'PostFinancingRequest',
    actor: () => ids.enterprise.id,
    valid: () => requestInput(),
    fields: {
      amount: 'money',
      termMonths: 'int',
      purpose: 'text',
      acceptableGuaranteeTypes: 'list',
      maxRate: 'rate',
      validUntil: 'date',
    },
  },
  {
    name: 'ApplyToProduct',
    actor: () => ids.enterprise.id,
    valid: () => ({ financingRequestId: ids.request.id, loanProductId: ids.product.id }),
    fields: { financingRequestId: 'id', loanProductId: 'id' },
  },
  {
    name: 'AcceptApplication',
    actor: () => ids.institution.id,
    valid: () => ({ applicationId: ids.application.id }),
    fields: { applicationId: 'id' },
  },
  {
    name: 'GrantCredit',
    actor: () => ids.institution.id,
    valid: () => ({ applicationId: ids.application.id, amount: '100000.00', annualRate: '4.10', termMonths: 12 }),
    fields: { applicationId: 'id', amount: 'money', annualRate: 'rate', termMonths: 'int' },
  },
  {
    name: 'RecordDisbursement',
    actor: () => ids.institution.id,
    valid: () => ({ applicationId: ids.application.id, amount: '1.00' }),
    fields: { applicationId: 'id', amount: 'money', disbursedOn: 'date' },
  },
  ...(
    [
      [
        'ApplicationActionInput',
        'declineApplication',
        () => ids.institution.id,
        () => ({ applicationId: ids.application.id, reason: '材料不全' }),
        { applicationId: 'id', reason: 'text' },
      ],
      [
        'ApplicationActionInput',
        'withdrawApplication',
        () => ids.enterprise.id,
        () => ({ applicationId: ids.application.id, reason: '另有渠道' }),
        { applicationId: 'id', reason: 'optionalText' },
      ],
      [
        'StartApplicationInput',
        'claimFinancingRequest',
        () => ids.institution.id,
        () => ({ financingRequestId: ids.request.id, loanProductId: ids.product.id }),
        { financingRequestId: 'id', loanProductId: 'id' },
      ],
      [
        'WithdrawFinancingRequestInput',
        'withdrawFinancingRequest',
        () => ids.enterprise.id,
        () => ({ financingRequestId: ids.request.id, reason: '不再需要' }),
        { financingRequestId: 'id', reason: 'optionalText' },
      ],
      [
        'UpdateLoanProductInput',
        'updateLoanProduct',
        () => ids.institution.id,
        () => ({ loanProductId: ids.product.id, ...productInput() }),
        { loanProductId: 'id', minAmount: 'money', maxRate: 'rate', maxTermMonths: 'int', eligibleRegions: 'list' },
      ],
      [
        'ChangeLoanProductStatusInput',
        'suspendLoanProduct',
        () => ids.institution.id,
        () => ({ loanProductId: ids.product.id }),
        { loanProductId: 'id' },
      ],
      [
        'ImportCreditRecordsInput',
        'importCreditRecords',
        () => 'operator',
        () => ({
          records: [
            {
              uscc: ids.enterprise.uscc,
              source: 'TAX',
              sourceReference: 'fuzz',
              indicator: 'A级纳税人',
              polarity: 'POSITIVE',
              recordedOn: '2026-01-01',
            },
          ],
        }),
        { records: 'list' },
      ],
      [
        'LoginInput',
        'login',
        () => undefined,
        () => ({ email: 'nobody@fuzz.example', password: 'x' }),
        { email: 'text', password: 'text' },
      ],
      [
        'CreateInstitutionInput',
        'createInstitution',
        () => 'operator',
        () => ({
          name: `银行${Math.random()}`,
          type: 'BANK',
          regionsServed: ['230000'],
          admin: { email: 'bad', password: 'short' },
        }),
        { name: 'text' },
      ],
      [
        'ApproveCreditGrantInput',
        'approveCreditGrant',
        () => ids.institution.id,
        () => ({ creditGrantId: 'Q3JlZGl0R3JhbnQ6OTk5OTk5' }),
        { creditGrantId: 'id' },
      ],
      [
        'InstitutionAuthorizationInput',
        'authorizeInstitution',
        () => ids.enterprise.id,
        () => ({ institutionId: ids.institution.id }),
        { institutionId: 'id' },
      ],
      [
        'InstitutionAuthorizationInput',
        'revokeInstitutionAuthorization',
        () => ids.enterprise.id,
        () => ({ institutionId: ids.institution.id }),
        { institutionId: 'id' },
      ],
      [
        'SetFourEyesThresholdInput',
        'setFourEyesThreshold',
        () => ids.institution.id,
        () => ({ threshold: '1000.00' }),
        { threshold: 'money' },
      ],
      [
        'InviteStaffMemberInput',
        'inviteStaffMember',
        () => ids.institution.id,
        () => ({ email: 'staff@fuzz.example' }),
        { email: 'text', admin: 'enum' },
      ],
      [
        'AcceptStaffInvitationInput',
        'acceptStaffInvitation',
        () => undefined,
        () => ({ token: 'x', password: 'long enough password' }),
        { token: 'text', password: 'text' },
      ],
      [
        'StaffInvitationIdInput',
        'revokeStaffInvitation',
        () => 'operator',
        () => ({ invitationId: 'U3RhZmZJbnZpdGF0aW9uOjk5OTk5OQ==' }),
        { invitationId: 'id' },
      ],
      [
        'AccountCredentialsInput',
        'createAnalystAccount',
        () => 'operator',
        () => ({ email: 'analyst@fuzz.example', password: 'short' }),
        { email: 'text', password: 'text' },
      ],
      [
        'RefreshSessionInput',
        'refreshSession',
        () => undefined,
        () => ({ refreshToken: 'x' }),
        { refreshToken: 'text' },
      ],
      ['EndSessionsInput', 'logout', () => undefined, () => ({}), { clientMutationId: 'text' }],
      ['EndSessionsInput', 'signOutEverywhere', () => undefined, () => ({}), { clientMutationId: 'text' }],
      ['AccountIdInput', 'disableAccount', () => 'operator', () => ({ accountId: NO_ACCOUNT }), { accountId: 'id' }],
      ['AccountIdInput', 'enableAccount', () => 'operator', () => ({ accountId: NO_ACCOUNT }), { accountId: 'id' }],
      [
        'VerifyEnterpriseInput',
        'verifyEnterprise',
        () => 'operator',
        () => ({ enterpriseId: ids.enterprise.id, evidence: '营业执照 reviewed' }),
        { enterpriseId: 'id', evidence: 'text' },
      ],
      [
        'ReassignEnterpriseIdentityInput',
        'reassignEnterpriseIdentity',
        () => 'operator',
        () => ({ fromEnterpriseId: ids.enterprise.id, toEnterpriseId: ids.enterprise.id, evidence: 'mistake' }),
        { fromEnterpriseId: 'id', toEnterpriseId: 'id', evidence: 'text' },
      ],
      [
        'SubmitIdentityAssertionInput',
        'submitIdentityAssertion',
        () => ids.enterprise.id,
        () => ({ assertion: 'a.b.c' }),
        { assertion: 'text' },
      ],
    ] as Array<[string, string, () => string | undefined, () => Record<string, unknown>, Record<string, Kind>]>
  ).map(([inputType, field, actor, valid, fields]) => ({
    name:
      `mutation($input: ${inputType}!) { ${field}(input: $input)` +
      ` { ${field === 'importCreditRecords' ? 'imported' : 'userErrors { code }'} } }`,
    actor,
    valid,
    fields,
  })),
];

function assertSafe(status: number, raw: string) {
  expect(status).not.toBeGreaterThanOrEqual(500);
  expect(raw).not.toMatch(/\bat .*\.(js|ts):\d+|node_modules|stacktrace/);
  expect(raw).not.toMatch(/\b(SELECT|INSERT INTO|UPDATE \w+ SET|violates|relation ")/);
  const body = JSON.parse(raw);
  for (const error of body.errors ?? []) expect(typeof error.extensions?.code).toBe('string');
  return body;
}

describe('property: bad input gets a typed error and changes nothing', () => {
  it('targets documents the schema accepts (so refusals are about the input, not the query)', () => {
    const schema = buildAppSchema();
    for (const target of targets) {
      const document = target.name.startsWith('mutation') ? target.name : operation(target.name);
      expect({ target: target.name, errors: validate(schema, parse(document)).map((e) => e.message) }).toEqual({
        target: target.name,
        errors: [],
      });
    }
  });

  it('every public mutation, thousands of generated bad inputs', async () => {
    const before = await digest();
    let sent = 0;
    for (const target of targets) {
      const fieldNames = Object.keys(target.fields);
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...fieldNames).chain((field) => fc.tuple(fc.constant(field), bad[target.fields[field]])),
          async ([field, value]) => {
            const input = { ...target.valid(), [field]: value };
            const document = target.name.startsWith('mutation') ? target.name : operation(target.name);
            const response = await app.gql(document, { input }, target.actor());
            sent++;
            const body = assertSafe(response.status, response.raw);
            // Either refused as a GraphQL error, or refused as a business rule: never done.
            const payload = body.data ? (Object.values(body.data)[0] as any) : null;
            if (!body.errors) expect(payload?.userErrors?.length).toBeGreaterThan(0);
            if (typeof value === 'string' && value.length > 3 && !['null', 'true'].includes(value))
              expect(response.raw).not.toContain(JSON.stringify(value).slice(1, -1).slice(0, 50));
          },
        ),
        { numRuns: 300, seed: 20261128 },
      );
    }
    expect(sent).toBeGreaterThanOrEqual(2000);
    expect(await digest()).toBe(before);
  });

  it('deeply nested and malformed documents', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 13, max: 3000 }), fc.constantFrom('{', '['), async (depth, opener) => {
        const query =
          opener === '{'
            ? `{ institutions ${'{ nodes '.repeat(depth)}{ id }${' }'.repeat(depth)} }`
            : `{ institutions(first: ${'['.repeat(depth)}1${']'.repeat(depth)}) { totalCount } }`;
        const response = await app.gql(query);
        const body = assertSafe(response.status, response.raw);
        expect(body.errors?.length).toBeGreaterThan(0);
      }),
      { numRuns: 100, seed: 7 },
    );
  });
});
