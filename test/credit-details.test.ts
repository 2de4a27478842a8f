import { startTestApp, TestApp } from './support/app';
import { operation } from './support/operations';
import { enterpriseInput, inviteStaff, productInput, requestInput } from './support/fixtures';
import { systemActor } from '../src/common/actor';
import { AccountRole } from '../src/auth/user-account.entity';

/**
 * In production mode with real tokens: what derives from credit records (the records, the score's
 * contributions, the flags) reaches an institution only while the enterprise authorises it; others
 * that see the enterprise get the score and grade alone. An institution's four-eyes threshold is
 * its own staff's and the operators' business.
 */
let app: TestApp;
const tokens: Record<string, string> = {};
const PASSWORD = 'credit details password 1';

async function as(token: string | undefined, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as any;
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function signIn(email: string): Promise<string> {
  const data = await as(undefined, `mutation($input: LoginInput!) { login(input: $input) { token } }`, {
    input: { email, password: PASSWORD },
  });
  return data.login.token;
}

const ids: Record<string, string> = {};
beforeAll(async () => {
  app = await startTestApp({ production: true });
  await app.server.services.auth.createOperatorOrAnalyst(
    systemActor,
    { email: 'operator@details.example', password: PASSWORD },
    AccountRole.OPERATOR,
  );
  tokens.operator = await signIn('operator@details.example');
  for (const bank of ['X', 'Z']) {
    const created = await as(tokens.operator, operation('CreateInstitution'), {
      input: {
        name: `明细银行${bank}`,
        type: 'BANK',
        regionsServed: ['230000'],
        admin: { email: `admin${bank}@details.example`, password: PASSWORD },
      },
    });
    ids[`bank${bank}`] = created.createInstitution.institution.id;
    tokens[`admin${bank}`] = await signIn(`admin${bank}@details.example`);
    const product = await as(tokens[`admin${bank}`], operation('CreateLoanProduct'), { input: productInput() });
    ids[`product${bank}`] = product.createLoanProduct.loanProduct.id;
    await as(tokens[`admin${bank}`], operation('PublishLoanProduct'), {
      input: { loanProductId: ids[`product${bank}`] },
    });
  }
  await inviteStaff(app, tokens.adminX, 'staffX@details.example', PASSWORD);
  tokens.staffX = await signIn('staffX@details.example');
  const registered = await as(undefined, operation('RegisterEnterprise'), {
    input: enterpriseInput({ account: { email: 'mill@details.example', password: PASSWORD } }),
  });
  ids.enterprise = registered.registerEnterprise.enterprise.id;
  // 实名认证: only a verified enterprise gets credit records and posts needs.
  await as(tokens.operator, operation('VerifyEnterprise'), {
    input: { enterpriseId: ids.enterprise, evidence: 'business licence checked' },
  });
  tokens.enterprise = await signIn('mill@details.example');
  const uscc = registered.registerEnterprise.enterprise.uscc;
  await as(
    tokens.operator,
    `mutation($input: ImportCreditRecordsInput!) { importCreditRecords(input: $input) { imported } }`,
    {
      input: {
        records: [
          {
            uscc,
            source: 'TAX',
            sourceReference: 'details-1',
            indicator: 'A级纳税人',
            polarity: 'POSITIVE',
            recordedOn: '2026-05-01',
          },
          {
            uscc,
            source: 'MARKET_REGULATION',
            sourceReference: 'details-2',
            indicator: '经营异常名录',
            polarity: 'NEGATIVE',
            recordedOn: '2026-06-01',
          },
        ],
      },
    },
  );
  // The need matches both banks' products; applying to X's authorises X alone.
  ids.request = (
    await as(tokens.enterprise, operation('PostFinancingRequest'), { input: requestInput() })
  ).postFinancingRequest.financingRequest.id;
  await as(tokens.enterprise, operation('ApplyToProduct'), {
    input: { financingRequestId: ids.request, loanProductId: ids.productX },
  });
});
afterAll(async () => {
  await app?.close();
});

const PROFILE = `query($id: ID!) { node(id: $id) { ... on Enterprise {
  creditProfile { score grade flags contributions { nodes { source polarity state points } } }
  creditRecords { totalCount } } } }`;

async function profileAs(who: string) {
  const data = await as(tokens[who], PROFILE, { id: ids.enterprise });
  const { creditProfile, creditRecords } = data.node;
  return {
    who,
    flags: creditProfile.flags,
    contributions: creditProfile.contributions?.nodes.length ?? null,
    records: creditRecords.totalCount,
    score: creditProfile.score,
    grade: creditProfile.grade,
  };
}

describe('credit details follow the enterprise’s authorisation', () => {
  it('shows records, contributions and flags only to whom the enterprise authorises now', async () => {
    const own = await profileAs('enterprise');
    const { score, grade } = own;
    const details = { flags: ['ABNORMAL_OPERATIONS'], contributions: 2, records: 2, score, grade };
    const scoreOnly = { flags: null, contributions: null, records: 0, score, grade };
    expect(own).toEqual({ who: 'enterprise', ...details });
    expect(await profileAs('operator')).toEqual({ who: 'operator', ...details });
    expect(await profileAs('staffX')).toEqual({ who: 'staffX', ...details });
    // Z sees the enterprise through the match only: score and grade alone.
    expect(await profileAs('adminZ')).toEqual({ who: 'adminZ', ...scoreOnly });

    await as(
      tokens.enterprise,
      `mutation($id: ID!) { revokeInstitutionAuthorization(input: { institutionId: $id }) { userErrors { code } } }`,
      { id: ids.bankX },
    );
    expect(await profileAs('staffX')).toEqual({ who: 'staffX', ...scoreOnly });
    expect(await profileAs('adminX')).toEqual({ who: 'adminX', ...scoreOnly });
    // How the need fits products names failed criteria such as DISHONEST_DEBTOR: a credit detail too.
    const FITS = `query($id: ID!, $product: ID!) { node(id: $id) { ... on FinancingRequest {
      productFit(loanProductId: $product) { eligible } productFits { totalCount } } } }`;
    for (const [who, shown] of [
      ['enterprise', true],
      ['staffX', false],
      ['adminZ', false],
    ] as const) {
      const fits = (
        await as(tokens[who], FITS, { id: ids.request, product: ids[who === 'adminZ' ? 'productZ' : 'productX'] })
      ).node;
      expect({ who, fits }).toEqual({
        who,
        fits: shown
          ? { productFit: { eligible: true }, productFits: { totalCount: 2 } }
          : { productFit: null, productFits: { totalCount: 0 } },
      });
    }
    await as(
      tokens.enterprise,
      `mutation($id: ID!) { authorizeInstitution(input: { institutionId: $id }) { userErrors { code } } }`,
      { id: ids.bankX },
    );
    expect(await profileAs('staffX')).toEqual({ who: 'staffX', ...details });
  });

  it('shows an institution’s four-eyes threshold only to its own staff and operators', async () => {
    await as(
      tokens.adminX,
      `mutation { setFourEyesThreshold(input: { threshold: "500000.00" }) { userErrors { code } } }`,
    );
    const THRESHOLD = `query($id: ID!) { node(id: $id) { ... on Institution { fourEyesThreshold } } }`;
    const LIST = `{ institutions { nodes { fourEyesThreshold } } }`;
    const expected: Record<string, string | null> = {
      anonymous: null,
      enterprise: null,
      adminZ: null,
      staffX: '500000.00',
      adminX: '500000.00',
      operator: '500000.00',
    };
    for (const [who, threshold] of Object.entries(expected)) {
      expect({ who, threshold: (await as(tokens[who], THRESHOLD, { id: ids.bankX })).node.fourEyesThreshold }).toEqual({
        who,
        threshold,
      });
      const listed = (await as(tokens[who], LIST)).institutions.nodes.map((node: any) => node.fourEyesThreshold);
      expect({ who, listed: listed.filter((value: string | null) => value !== null) }).toEqual({
        who,
        listed: threshold ? [threshold] : [],
      });
    }
  });
});

describe('a claim refused as NOT_ELIGIBLE', () => {
  it('names record-derived criteria only to an institution the enterprise authorises', async () => {
    const CLAIM = `mutation($input: StartApplicationInput!) {
      claimFinancingRequest(input: $input) { userErrors { field message code } } }`;
    const claim = async (who: string, product: string) =>
      (await as(tokens[who], CLAIM, { input: { financingRequestId: ids.request, loanProductId: ids[product] } }))
        .claimFinancingRequest.userErrors;
    // Z claims the need while it matches (claiming authorises nothing), so Z keeps seeing it.
    expect(await claim('adminZ', 'productZ')).toEqual([]);
    const created = await as(tokens.adminZ, operation('CreateLoanProduct'), { input: productInput() });
    ids.productZ2 = created.createLoanProduct.loanProduct.id;
    await as(tokens.adminZ, operation('PublishLoanProduct'), { input: { loanProductId: ids.productZ2 } });
    const uscc = (await as(tokens.enterprise, `{ viewer { enterprise { uscc } } }`)).viewer.enterprise.uscc;
    const record = { source: 'COURT', sourceReference: 'details-3', indicator: '失信被执行人', polarity: 'NEGATIVE' };
    const IMPORT = `mutation($input: ImportCreditRecordsInput!) { importCreditRecords(input: $input) { imported } }`;
    await as(tokens.operator, IMPORT, { input: { records: [{ uscc, ...record, recordedOn: '2026-07-01' }] } });
    await app.server.services.matching.workQueuedJobs();

    const fromZ = await claim('adminZ', 'productZ2');
    expect(fromZ.map((error: any) => error.code)).toEqual(['NOT_ELIGIBLE']);
    expect(fromZ[0].message).not.toMatch(/dishonest|失信/);
    // X is authorised again (above): the same refusal tells X why.
    const fromX = await claim('staffX', 'productX');
    expect(fromX.map((error: any) => error.code)).toEqual(['NOT_ELIGIBLE']);
    expect(fromX[0].message).toMatch(/失信被执行人/);
  });
});
