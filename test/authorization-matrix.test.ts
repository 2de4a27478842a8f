import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, getNamedType, GraphQLInputObjectType, isInputObjectType } from 'graphql';
import { startTestApp, TestApp } from './support/app';
import { operation } from './support/operations';
import { enterpriseInput, inviteStaff, productInput, requestInput } from './support/fixtures';
import { systemActor } from '../src/common/actor';
import { AccountRole } from '../src/auth/user-account.entity';

/**
 * Every role, and no token, against the queries and mutations: who sees what, who may do what.
 * Refusals change nothing, and a hidden object answers exactly like a missing one.
 */
let app: TestApp;
const tokens: Record<string, string | undefined> = {};
const ids: Record<string, string> = {};
type Role = 'anonymous' | 'enterpriseA' | 'enterpriseB' | 'staffX' | 'adminY' | 'analyst' | 'operator';
const ROLES: Role[] = ['anonymous', 'enterpriseA', 'enterpriseB', 'staffX', 'adminY', 'analyst', 'operator'];

async function as(role: Role, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(app.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(tokens[role] ? { authorization: `Bearer ${tokens[role]}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as any };
}

async function signIn(email: string, password = 'matrix password 1'): Promise<string> {
  const response = await app.gql(`mutation($input: LoginInput!) { login(input: $input) { token } }`, {
    input: { email, password },
  });
  return response.data.login.token;
}

beforeAll(async () => {
  app = await startTestApp({ production: true });
  const auth = app.server.services.auth;
  await auth.createOperatorOrAnalyst(
    systemActor,
    { email: 'operator@matrix.example', password: 'matrix password 1' },
    AccountRole.OPERATOR,
  );
  await auth.createOperatorOrAnalyst(
    systemActor,
    { email: 'analyst@matrix.example', password: 'matrix password 1' },
    AccountRole.ANALYST,
  );
  tokens.operator = await signIn('operator@matrix.example');
  tokens.analyst = await signIn('analyst@matrix.example');
  for (const [name, admin] of [
    ['X', 'adminX'],
    ['Y', 'adminY'],
  ]) {
    const created = await as('operator', operation('CreateInstitution'), {
      input: {
        name: `矩阵银行${name}`,
        type: 'BANK',
        regionsServed: ['230000'],
        admin: { email: `${admin}@matrix.example`, password: 'matrix password 1' },
      },
    });
    ids[`institution${name}`] = created.body.data.createInstitution.institution.id;
  }
  tokens.adminY = await signIn('adminY@matrix.example');
  const adminX = await signIn('adminX@matrix.example');
  ids.invitationX = (await inviteStaff(app, adminX, 'staffX@matrix.example', 'matrix password 1')).invitationId;
  tokens.staffX = await signIn('staffX@matrix.example');
  const hook = await fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminX}` },
    body: JSON.stringify({
      query: `mutation {
        registerWebhookEndpoint(input: { url: "https://bank-x.example.com/hooks", eventTypes: [REQUEST_MATCHED] }) {
          webhookEndpoint { id }
        }
      }`,
    }),
  });
  ids.webhookX = ((await hook.json()) as any).data.registerWebhookEndpoint.webhookEndpoint.id;
  ids.accountStaffX = (await as('staffX', `{ viewer { id } }`)).body.data.viewer.id;
  const published = await as('staffX', operation('CreateLoanProduct'), { input: productInput() });
  ids.productX = published.body.data.createLoanProduct.loanProduct.id;
  await as('staffX', operation('PublishLoanProduct'), { input: { loanProductId: ids.productX } });
  ids.draftX = (
    await as('staffX', operation('CreateLoanProduct'), { input: productInput() })
  ).body.data.createLoanProduct.loanProduct.id;

  const a = await app.gql(operation('RegisterEnterprise'), {
    input: enterpriseInput({ account: { email: 'a@matrix.example', password: 'matrix password 1' } }),
  });
  ids.enterpriseA = a.data.registerEnterprise.enterprise.id;
  const b = await app.gql(operation('RegisterEnterprise'), {
    input: enterpriseInput({
      regionCode: '110101',
      account: { email: 'b@matrix.example', password: 'matrix password 1' },
    }),
  });
  ids.enterpriseB = b.data.registerEnterprise.enterprise.id;
  for (const enterpriseId of [ids.enterpriseA, ids.enterpriseB]) {
    const verified = await as('operator', operation('VerifyEnterprise'), {
      input: { enterpriseId, evidence: 'business licence checked' },
    });
    if (verified.body.data?.verifyEnterprise?.enterprise?.id !== enterpriseId)
      throw new Error(JSON.stringify(verified.body));
  }
  tokens.enterpriseA = await signIn('a@matrix.example');
  tokens.enterpriseB = await signIn('b@matrix.example');
  await as(
    'operator',
    `mutation($input: ImportCreditRecordsInput!) { importCreditRecords(input: $input) { imported } }`,
    {
      input: {
        records: [
          {
            uscc: a.data.registerEnterprise.enterprise.uscc,
            source: 'TAX',
            sourceReference: 'matrix-1',
            indicator: 'A级纳税人',
            polarity: 'POSITIVE',
            recordedOn: '2026-05-01',
          },
        ],
      },
    },
  );
  ids.requestA = (
    await as('enterpriseA', operation('PostFinancingRequest'), { input: requestInput() })
  ).body.data.postFinancingRequest.financingRequest.id;
  ids.requestB = (
    await as('enterpriseB', operation('PostFinancingRequest'), { input: requestInput() })
  ).body.data.postFinancingRequest.financingRequest.id;
  ids.applicationA = (
    await as('enterpriseA', operation('ApplyToProduct'), {
      input: { financingRequestId: ids.requestA, loanProductId: ids.productX },
    })
  ).body.data.applyToProduct.application.id;
});
afterAll(async () => {
  await app?.close();
});

async function digest(): Promise<string> {
  const [row] = await app.dataSource.query(`
    SELECT (SELECT count(*) FROM enterprise) e, (SELECT count(*) FROM institution) i,
      (SELECT string_agg(id || status::text, ',' ORDER BY id) FROM loan_product) p,
           (SELECT string_agg(id || status::text, ',' ORDER BY id) FROM financing_request) r,
             (SELECT string_agg(id || status::text, ',' ORDER BY id) FROM application) a,
           (SELECT count(*) FROM credit_grant) g, (SELECT count(*) FROM credit_record) c, (SELECT count(*)
             FROM user_account) u,
           (SELECT count(*) FROM credit_authorization) ca,
           (SELECT string_agg(id || state::text, ',' ORDER BY id) FROM staff_invitation) si, (SELECT
             string_agg(coalesce(four_eyes_threshold::text, '-'), ',') FROM institution) t`);
  return JSON.stringify(row);
}

const V = 'visible';
const H = 'hidden';
const NODE = `query($id: ID!) { node(id: $id) { id } }`;

describe('authorisation matrix', () => {
  it('node(id:) shows each object exactly to those who may see it', async () => {
    const expected: Record<string, Record<Role, string>> = {
      enterpriseA: { anonymous: H, enterpriseA: V, enterpriseB: H, staffX: V, adminY: H, analyst: H, operator: V },
      requestA: { anonymous: H, enterpriseA: V, enterpriseB: H, staffX: V, adminY: H, analyst: H, operator: V },
      requestB: { anonymous: H, enterpriseA: H, enterpriseB: V, staffX: H, adminY: H, analyst: H, operator: V },
      applicationA: { anonymous: H, enterpriseA: V, enterpriseB: H, staffX: V, adminY: H, analyst: H, operator: V },
      draftX: { anonymous: H, enterpriseA: H, enterpriseB: H, staffX: V, adminY: H, analyst: H, operator: V },
      productX: { anonymous: V, enterpriseA: V, enterpriseB: V, staffX: V, adminY: V, analyst: V, operator: V },
      // Bank X's admins see it too (no role here): not its staff, not another bank.
      invitationX: { anonymous: H, enterpriseA: H, enterpriseB: H, staffX: H, adminY: H, analyst: H, operator: V },
    };
    for (const [object, byRole] of Object.entries(expected)) {
      for (const role of ROLES) {
        const { body } = await as(role, NODE, { id: ids[object] });
        expect({ object, role, seen: body.data.node ? V : H }).toEqual({ object, role, seen: byRole[role] });
      }
    }
  });

  it('lists and their totalCount leak nothing', async () => {
    const LISTS = `{ enterprises { totalCount } financingRequests { totalCount } applications { totalCount } }`;
    const expected: Record<Role, unknown> = {
      anonymous: 'UNAUTHENTICATED',
      analyst: 'FORBIDDEN',
      enterpriseA: { enterprises: 1, financingRequests: 1, applications: 1 },
      enterpriseB: { enterprises: 1, financingRequests: 1, applications: 0 },
      staffX: { enterprises: 1, financingRequests: 1, applications: 1 },
      adminY: { enterprises: 0, financingRequests: 0, applications: 0 },
      operator: { enterprises: 2, financingRequests: 2, applications: 1 },
    };
    for (const role of ROLES) {
      const { body } = await as(role, LISTS);
      const seen = body.errors
        ? body.errors[0].extensions.code
        : Object.fromEntries(Object.entries(body.data).map(([key, value]: [string, any]) => [key, value.totalCount]));
      expect({ role, seen }).toEqual({ role, seen: expected[role] });
    }
  });

  it('nested fields follow the same rules: drafts, credit details, reverse matching', async () => {
    const PRODUCTS = `query($id: ID!) {
      node(id: $id) { ... on LoanProduct { institution { loanProducts { totalCount } } } }
    }`;
    expect(
      (await as('staffX', PRODUCTS, { id: ids.productX })).body.data.node.institution.loanProducts.totalCount,
    ).toBe(2);
    for (const role of ['anonymous', 'enterpriseA', 'adminY', 'analyst'] as Role[]) {
      expect((await as(role, PRODUCTS, { id: ids.productX })).body.data.node.institution.loanProducts.totalCount).toBe(
        1,
      );
    }
    const RECORDS = `query($id: ID!) { node(id: $id) { ... on Enterprise { creditRecords { totalCount } } } }`;
    for (const role of ['enterpriseA', 'staffX', 'operator'] as Role[]) {
      expect((await as(role, RECORDS, { id: ids.enterpriseA })).body.data.node.creditRecords.totalCount).toBe(1);
    }
    const REVERSE = `query($id: ID!) { node(id: $id) { ... on LoanProduct { matchingRequests { totalCount } } } }`;
    expect((await as('staffX', REVERSE, { id: ids.productX })).body.data.node.matchingRequests.totalCount).toBe(1);
    for (const role of ['enterpriseA', 'adminY', 'analyst'] as Role[]) {
      expect((await as(role, REVERSE, { id: ids.productX })).body.errors[0].extensions.code).toBe('FORBIDDEN');
    }
  });

  it('every mutation refuses whoever may not run it, and the refusals change nothing', async () => {
    const before = await digest();
    const MISSING_APPLICATION = 'QXBwbGljYXRpb246OTk5OTk5OQ==';
    const cases: Array<[string, string, Record<string, unknown>, Partial<Record<Role, string>>]> = [
      [
        'CreateInstitution',
        'createInstitution',
        { name: '越权银行', type: 'BANK', regionsServed: ['230000'] },
        {
          anonymous: 'UNAUTHENTICATED',
          enterpriseA: 'FORBIDDEN',
          staffX: 'FORBIDDEN',
          adminY: 'FORBIDDEN',
          analyst: 'FORBIDDEN',
        },
      ],
      [
        'CreateLoanProduct',
        'createLoanProduct',
        productInput(),
        { anonymous: 'UNAUTHENTICATED', enterpriseA: 'FORBIDDEN', analyst: 'FORBIDDEN', operator: 'FORBIDDEN' },
      ],
      [
        'PublishLoanProduct',
        'publishLoanProduct',
        { loanProductId: 'DRAFT' },
        { anonymous: 'UNAUTHENTICATED', enterpriseA: 'FORBIDDEN', adminY: 'NOT_FOUND', analyst: 'FORBIDDEN' },
      ],
      [
        'PostFinancingRequest',
        'postFinancingRequest',
        requestInput(),
        { anonymous: 'UNAUTHENTICATED', staffX: 'FORBIDDEN', analyst: 'FORBIDDEN', operator: 'FORBIDDEN' },
      ],
      [
        'ApplyToProduct',
        'applyToProduct',
        { financingRequestId: 'REQUEST_A', loanProductId: 'PRODUCT_X' },
        { anonymous: 'UNAUTHENTICATED', enterpriseB: 'NOT_FOUND', staffX: 'FORBIDDEN', analyst: 'FORBIDDEN' },
      ],
      [
        'AcceptApplication',
        'acceptApplication',
        { applicationId: 'APPLICATION_A' },
        {
          anonymous: 'UNAUTHENTICATED',
          enterpriseA: 'FORBIDDEN',
          enterpriseB: 'FORBIDDEN',
          adminY: 'NOT_FOUND',
          analyst: 'FORBIDDEN',
          operator: 'FORBIDDEN',
        },
      ],
      ['AcceptApplication', 'acceptApplication', { applicationId: MISSING_APPLICATION }, { adminY: 'NOT_FOUND' }],
      [
        'GrantCredit',
        'grantCredit',
        { applicationId: 'APPLICATION_A', amount: '100000.00', annualRate: '4.10', termMonths: 12 },
        { enterpriseA: 'FORBIDDEN', adminY: 'NOT_FOUND', analyst: 'FORBIDDEN' },
      ],
      [
        'RecordDisbursement',
        'recordDisbursement',
        { applicationId: 'APPLICATION_A', amount: '1.00' },
        { enterpriseB: 'FORBIDDEN', adminY: 'NOT_FOUND' },
      ],
    ];
    const productVerbs = ['suspendLoanProduct', 'retireLoanProduct'];
    for (const verb of productVerbs) {
      for (const [role, code] of [
        ['adminY', 'NOT_FOUND'],
        ['enterpriseA', 'FORBIDDEN'],
        ['anonymous', 'UNAUTHENTICATED'],
      ] as Array<[Role, string]>) {
        const { body } = await as(
          role,
          `mutation($id: ID!) { ${verb}(input: { loanProductId: $id }) { userErrors { code } } }`,
          { id: ids.productX },
        );
        expect({ verb, role, code: body.errors?.[0]?.extensions?.code }).toEqual({ verb, role, code });
      }
    }
    const CLAIM = `mutation($input: StartApplicationInput!) {
      claimFinancingRequest(input: $input) { userErrors { code } }
    }`;
    for (const [role, code] of [
      ['adminY', 'NOT_FOUND'],
      ['enterpriseB', 'FORBIDDEN'],
    ] as Array<[Role, string]>) {
      const { body } = await as(role, CLAIM, {
        input: { financingRequestId: ids.requestB, loanProductId: ids.productX },
      });
      expect({ role, code: body.errors?.[0]?.extensions?.code }).toEqual({ role, code });
    }
    const WITHDRAW_REQUEST = `mutation($id: ID!) {
      withdrawFinancingRequest(input: { financingRequestId: $id }) { userErrors { code } }
    }`;
    for (const [role, code] of [
      ['enterpriseB', 'NOT_FOUND'],
      ['staffX', 'FORBIDDEN'],
    ] as Array<[Role, string]>) {
      const { body } = await as(role, WITHDRAW_REQUEST, { id: ids.requestA });
      expect({ role, code: body.errors?.[0]?.extensions?.code }).toEqual({ role, code });
    }
    const fill = (input: Record<string, unknown>) =>
      JSON.parse(
        JSON.stringify(input)
          .replace('"DRAFT"', JSON.stringify(ids.draftX))
          .replace('"REQUEST_A"', JSON.stringify(ids.requestA))
          .replace('"PRODUCT_X"', JSON.stringify(ids.productX))
          .replace('"APPLICATION_A"', JSON.stringify(ids.applicationA)),
      );
    const notFoundMessages = new Set<string>();
    for (const [name, field, input, refusals] of cases) {
      for (const [role, code] of Object.entries(refusals) as Array<[Role, string]>) {
        const { body } = await as(role, operation(name), { input: fill(input) });
        expect({ name, role, code: body.errors?.[0]?.extensions?.code, result: body.data?.[field] ?? null }).toEqual({
          name,
          role,
          code,
          result: null,
        });
        if (code === 'NOT_FOUND' && field === 'acceptApplication') notFoundMessages.add(JSON.stringify(body.errors[0]));
      }
    }
    // A hidden application and a missing one answer with the very same error.
    expect(notFoundMessages.size).toBe(1);

    const more: Array<[Role, string, string]> = [
      [
        'enterpriseA',
        `mutation { setFourEyesThreshold(input: { threshold: "1.00" }) { userErrors { code } } }`,
        'FORBIDDEN',
      ],
      [
        'staffX',
        `mutation { setFourEyesThreshold(input: { threshold: "1.00" }) { userErrors { code } } }`,
        'FORBIDDEN',
      ],
      [
        'staffX',
        `mutation { inviteStaffMember(input: { email: "z@matrix.example" }) { userErrors { code } } }`,
        'FORBIDDEN',
      ],
      [
        'anonymous',
        `mutation { inviteStaffMember(input: { email: "z@matrix.example" }) { userErrors { code } } }`,
        'UNAUTHENTICATED',
      ],
      [
        'staffX',
        `mutation { revokeStaffInvitation(input: { invitationId: "${ids.invitationX}" }) { userErrors { code } } }`,
        'FORBIDDEN',
      ],
      [
        'enterpriseA',
        `mutation {
          createAnalystAccount(input: { email: "z@matrix.example", password: "matrix password 1" }) {
            userErrors { code }
          }
        }`,
        'FORBIDDEN',
      ],
      [
        'anonymous',
        `mutation {
          createAnalystAccount(input: { email: "z@matrix.example", password: "matrix password 1" }) {
            userErrors { code }
          }
        }`,
        'UNAUTHENTICATED',
      ],
      [
        'staffX',
        `mutation($id: ID!) { authorizeInstitution(input: { institutionId: $id }) { userErrors { code } } }`,
        'FORBIDDEN',
      ],
      [
        'analyst',
        `mutation {
          importCreditRecords(input: { records: [{
            uscc: "91350100M000100Y43", source: TAX, sourceReference: "x", indicator: "x", polarity: POSITIVE,
            recordedOn: "2026-01-01"
          }] }) { imported }
        }`,
        'FORBIDDEN',
      ],
      [
        'enterpriseB',
        `mutation($id: ID!) { withdrawApplication(input: { applicationId: $id }) { userErrors { code } } }`,
        'NOT_FOUND',
      ],
      [
        'staffX',
        `mutation($id: ID!) { withdrawApplication(input: { applicationId: $id }) { userErrors { code } } }`,
        'FORBIDDEN',
      ],
      [
        'adminY',
        `mutation($id: ID!) {
          declineApplication(input: { applicationId: $id, reason: "越权" }) { userErrors { code } }
        }`,
        'NOT_FOUND',
      ],
      [
        'enterpriseA',
        `mutation($id: ID!) {
          declineApplication(input: { applicationId: $id, reason: "越权" }) { userErrors { code } }
        }`,
        'FORBIDDEN',
      ],
      [
        'staffX',
        `mutation { approveCreditGrant(input: { creditGrantId: "Q3JlZGl0R3JhbnQ6OTk5OTk5" }) { userErrors { code } } }`,
        'NOT_FOUND',
      ],
      [
        'enterpriseA',
        `mutation { approveCreditGrant(input: { creditGrantId: "Q3JlZGl0R3JhbnQ6OTk5OTk5" }) { userErrors { code } } }`,
        'FORBIDDEN',
      ],
      ['staffX', `mutation { renewToken(input: {}) { userErrors { code } } }`, 'NONE'],
      ['anonymous', `mutation { renewToken(input: {}) { userErrors { code } } }`, 'UNAUTHENTICATED'],
      [
        'enterpriseA',
        `mutation($id: ID!) { revokeInstitutionAuthorization(input: { institutionId: $id }) { userErrors { code } } }`,
        'NONE_WITH_USER_ERROR',
      ],
      [
        'staffX',
        `mutation($id: ID!) { revokeInstitutionAuthorization(input: { institutionId: $id }) { userErrors { code } } }`,
        'FORBIDDEN',
      ],
    ];
    for (const [role, query, code] of more) {
      const variables = /[aA]uthorizeInstitution|revokeInstitutionAuthorization/.test(query)
        ? { id: ids.institutionY }
        : query.includes('$id')
          ? { id: ids.applicationA }
          : {};
      const { body } = await as(role, query, variables);
      const userErrors = body.data ? ((Object.values(body.data)[0] as any)?.userErrors ?? []) : [];
      const seen = body.errors ? body.errors[0].extensions.code : userErrors.length ? 'NONE_WITH_USER_ERROR' : 'NONE';
      expect({ role, query, code: seen }).toEqual({ role, query, code });
    }
    expect(await digest()).toBe(before);
  });

  /*
   * Every mutation × every ID argument × a foreign object: the whole HTTP answer for an object the
   * caller may not see is byte-identical to the answer for a missing ID of the same type. The
   * missing ID is a well-formed global ID of that type whose row does not exist; no error message
   * repeats the input (a rule of the API), so the two bodies are compared as they are, without
   * normalising the ID: an error that echoed it would fail here, as it should.
   */
  it('answers a foreign ID in any mutation exactly as a missing one', async () => {
    const missing = (type: string) => Buffer.from(`${type}:987654321`).toString('base64');
    const raw = async (role: Role, query: string, variables: Record<string, unknown>) => {
      const response = await fetch(app.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[role]}` },
        body: JSON.stringify({ query, variables }),
      });
      return `${response.status} ${await response.text()}`;
    };
    // A draft of Y's (hidden from X's staff) and a credit grant of X's (hidden from Y).
    const created = async (role: Role, name: string, field: string, input: Record<string, unknown>) => {
      const { body } = await as(role, operation(name), { input });
      return (Object.values(body.data)[0] as any)[field].id;
    };
    ids.draftY = await created('adminY', 'CreateLoanProduct', 'loanProduct', productInput());
    const needInput = requestInput({ amount: '200000.00' });
    const need = await created('enterpriseA', 'PostFinancingRequest', 'financingRequest', needInput);
    const applyInput = { financingRequestId: need, loanProductId: ids.productX };
    const applied = await created('enterpriseA', 'ApplyToProduct', 'application', applyInput);
    await as('staffX', operation('AcceptApplication'), { input: { applicationId: applied } });
    const terms = { amount: '200000.00', annualRate: '4.10', termMonths: 12 };
    ids.grantX = await created('staffX', 'GrantCredit', 'creditGrant', { applicationId: applied, ...terms });
    const before = await digest();

    type Case = {
      role: Role;
      mutation: string;
      inputType: string;
      argument: string;
      type: string;
      foreign: string;
      input: Record<string, unknown>;
      visible: boolean;
    };
    /** `role` calls `mutation` with `foreign` (or a missing ID of `type`) as `argument`, the rest valid. */
    const c = (
      role: Role,
      mutation: string,
      inputType: string,
      [argument, type, foreign]: [string, string, string],
      input: Record<string, unknown> = {},
      visible = false,
    ): Case => ({ role, mutation, inputType, argument, type, foreign, input, visible });
    const product = (foreign: string): [string, string, string] => ['loanProductId', 'LoanProduct', foreign];
    const request = (foreign: string): [string, string, string] => ['financingRequestId', 'FinancingRequest', foreign];
    const application: [string, string, string] = ['applicationId', 'Application', 'applicationA'];
    const institution: [string, string, string] = ['institutionId', 'Institution', 'institutionX'];
    const webhook: [string, string, string] = ['webhookEndpointId', 'WebhookEndpoint', 'webhookX'];
    const START = 'StartApplicationInput';
    const ACTION = 'ApplicationActionInput';
    const cases: Case[] = [
      ...['updateLoanProduct', 'publishLoanProduct', 'suspendLoanProduct', 'retireLoanProduct'].flatMap((mutation) => {
        const update = mutation === 'updateLoanProduct';
        const inputType = update ? 'UpdateLoanProductInput' : 'ChangeLoanProductStatusInput';
        const input = update ? productInput() : {};
        // Another bank's draft is hidden; its published product is seen but not theirs to change.
        return [
          c('adminY', mutation, inputType, product('draftX'), input),
          c('adminY', mutation, inputType, product('productX'), input, true),
        ];
      }),
      c('enterpriseA', 'applyToProduct', START, request('requestB'), { loanProductId: ids.productX }),
      c('enterpriseA', 'applyToProduct', START, product('draftX'), { financingRequestId: ids.requestA }),
      c('enterpriseB', 'applyToProduct', START, product('draftX'), { financingRequestId: ids.requestB }),
      c('staffX', 'claimFinancingRequest', START, request('requestB'), { loanProductId: ids.productX }),
      c('staffX', 'claimFinancingRequest', START, product('draftY'), { financingRequestId: ids.requestA }),
      c('adminY', 'acceptApplication', ACTION, application),
      c('adminY', 'declineApplication', ACTION, application, { reason: '越权' }),
      c('enterpriseB', 'withdrawApplication', ACTION, application),
      c('adminY', 'grantCredit', 'GrantCreditInput', application, { ...terms, amount: '100000.00' }),
      c('adminY', 'recordDisbursement', 'RecordDisbursementInput', application, { amount: '1.00' }),
      c('adminY', 'approveCreditGrant', 'ApproveCreditGrantInput', ['creditGrantId', 'CreditGrant', 'grantX']),
      c('enterpriseB', 'withdrawFinancingRequest', 'WithdrawFinancingRequestInput', request('requestA')),
      // Institutions are public (node(id:) shows them to all): revoking one never authorised
      // answers as a missing one does.
      c('enterpriseB', 'revokeInstitutionAuthorization', 'InstitutionAuthorizationInput', institution, {}, true),
      // Another bank's staff account: its admin may not disable or enable it, nor learn that it exists.
      c('adminY', 'disableAccount', 'AccountIdInput', ['accountId', 'UserAccount', 'accountStaffX']),
      c('adminY', 'enableAccount', 'AccountIdInput', ['accountId', 'UserAccount', 'accountStaffX']),
      // Another bank's staff invitation: never revoked, never admitted to exist.
      c('adminY', 'revokeStaffInvitation', 'StaffInvitationIdInput', [
        'invitationId',
        'StaffInvitation',
        'invitationX',
      ]),
      // Another bank's webhook endpoint: never rotated or reactivated, never admitted to exist.
      c('adminY', 'rotateWebhookSecret', 'RotateWebhookSecretInput', webhook),
      c('adminY', 'reactivateWebhookEndpoint', 'ReactivateWebhookEndpointInput', webhook),
    ];
    // authorizeInstitution takes an institution's ID, and institutions are public: none is hidden.
    // Verifying an enterprise and moving a USCC are operators' alone, and operators see every object.
    const noHiddenObject = new Set([
      'authorizeInstitution.institutionId',
      'verifyEnterprise.enterpriseId',
      'reassignEnterpriseIdentity.fromEnterpriseId',
      'reassignEnterpriseIdentity.toEnterpriseId',
    ]);
    for (const role of ROLES) expect((await as(role, NODE, { id: ids.institutionX })).body.data.node).not.toBeNull();

    for (const testCase of cases) {
      const { role, mutation, inputType, input, argument, type, foreign } = testCase;
      const hidden = !(await as(role, NODE, { id: ids[foreign] })).body.data.node;
      const premise = { mutation, argument, foreign };
      expect({ ...premise, hidden }).toEqual({ ...premise, hidden: !testCase.visible });
      const query = `mutation($input: ${inputType}!) {
        ${mutation}(input: $input) { __typename userErrors { field message code } }
      }`;
      const answerForeign = await raw(role, query, { input: { ...input, [argument]: ids[foreign] } });
      const answerMissing = await raw(role, query, { input: { ...input, [argument]: missing(type) } });
      expect({ mutation, argument, answer: answerForeign }).toEqual({ mutation, argument, answer: answerMissing });
    }
    expect(await digest()).toBe(before);

    // Every ID in every mutation's input is covered (a new one fails here until it is added above).
    const schema = buildSchema(fs.readFileSync(path.join(__dirname, '..', 'graphql', 'schema.graphql'), 'utf8'));
    const idFields = (type: GraphQLInputObjectType, prefix: string): string[] =>
      Object.values(type.getFields()).flatMap((field) => {
        const named = getNamedType(field.type);
        if (named.name === 'ID') return [`${prefix}${field.name}`];
        return isInputObjectType(named) ? idFields(named, `${prefix}${field.name}.`) : [];
      });
    const inSchema = Object.values(schema.getMutationType()!.getFields()).flatMap((field) =>
      field.args.flatMap((arg) => {
        const named = getNamedType(arg.type);
        return isInputObjectType(named) ? idFields(named, '').map((name) => `${field.name}.${name}`) : [];
      }),
    );
    const covered = new Set([...cases.map((c) => `${c.mutation}.${c.argument}`), ...noHiddenObject]);
    expect(inSchema.filter((name) => !covered.has(name))).toEqual([]);
  });

  it('refuses a foreign ID before locking its row: no wait on another tenant’s transaction', async () => {
    const databaseId = (id: string) => Buffer.from(id, 'base64').toString('utf8').split(':')[1];
    const grant = await app.dataSource.query(`SELECT application_id::text AS id FROM credit_grant WHERE id = $1`, [
      databaseId(ids.grantX),
    ]);
    const owner = app.dataSource.createQueryRunner();
    await owner.connect();
    await owner.startTransaction();
    try {
      // The owners hold their rows, as a long transaction of theirs would.
      await owner.query(`SELECT 1 FROM application WHERE id = ANY($1::bigint[]) FOR UPDATE`, [
        [databaseId(ids.applicationA), grant[0].id],
      ]);
      await owner.query(`SELECT 1 FROM financing_request WHERE id = ANY($1::bigint[]) FOR UPDATE`, [
        [databaseId(ids.requestA), databaseId(ids.requestB)],
      ]);
      await owner.query(`SELECT 1 FROM loan_product WHERE id = ANY($1::bigint[]) FOR UPDATE`, [
        [databaseId(ids.productX), databaseId(ids.draftX)],
      ]);
      await owner.query(`SELECT 1 FROM staff_invitation WHERE id = $1 FOR UPDATE`, [databaseId(ids.invitationX)]);
      const ACTION = 'ApplicationActionInput';
      const START = 'StartApplicationInput';
      const WITHDRAW = 'WithdrawFinancingRequestInput';
      const application = { applicationId: ids.applicationA };
      const attempts: Array<[Role, string, string, Record<string, unknown>]> = [
        ['adminY', 'acceptApplication', ACTION, application],
        ['adminY', 'declineApplication', ACTION, { ...application, reason: '越权' }],
        ['enterpriseB', 'withdrawApplication', ACTION, application],
        [
          'adminY',
          'grantCredit',
          'GrantCreditInput',
          { ...application, amount: '1.00', annualRate: '4.10', termMonths: 12 },
        ],
        ['adminY', 'recordDisbursement', 'RecordDisbursementInput', { ...application, amount: '1.00' }],
        ['adminY', 'approveCreditGrant', 'ApproveCreditGrantInput', { creditGrantId: ids.grantX }],
        ['enterpriseB', 'withdrawFinancingRequest', WITHDRAW, { financingRequestId: ids.requestA }],
        ['staffX', 'claimFinancingRequest', START, { financingRequestId: ids.requestB, loanProductId: ids.productX }],
        ['enterpriseB', 'applyToProduct', START, { financingRequestId: ids.requestA, loanProductId: ids.productX }],
        ['adminY', 'suspendLoanProduct', 'ChangeLoanProductStatusInput', { loanProductId: ids.productX }],
        ['adminY', 'publishLoanProduct', 'ChangeLoanProductStatusInput', { loanProductId: ids.draftX }],
        ['adminY', 'updateLoanProduct', 'UpdateLoanProductInput', { ...productInput(), loanProductId: ids.productX }],
        ['adminY', 'revokeStaffInvitation', 'StaffInvitationIdInput', { invitationId: ids.invitationX }],
      ];
      for (const [role, mutation, inputType, input] of attempts) {
        const query = `mutation($input: ${inputType}!) { ${mutation}(input: $input) { userErrors { code } } }`;
        const answer = as(role, query, { input }).then(({ body }) => body.errors?.[0]?.extensions?.code);
        const waited = new Promise((resolve) => setTimeout(() => resolve('waited for the lock'), 3000).unref());
        const outcome = await Promise.race([answer, waited]);
        expect({ role, mutation, outcome }).toEqual({ role, mutation, outcome: 'NOT_FOUND' });
      }
    } finally {
      await owner.rollbackTransaction();
      await owner.release();
    }
  });
});
