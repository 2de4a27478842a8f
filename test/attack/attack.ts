/**
 * An external attack run against a production-mode server over HTTP only: it signs in with an operator
 * account, builds two banks and three enterprises through the public API, and tries what issue 17 lists
 * (cross-tenant oracles, unverified identities, credit details after revocation, sign-in abuse, sessions that
 * do not end, limit bypasses, hygiene), and that no money goes to a registration whose identity was moved away.
 * It prints each finding; none means the server held.
 *
 *   npm run attack -- http://127.0.0.1:4000/graphql   (ATTACK_OPERATOR_EMAIL, ATTACK_OPERATOR_PASSWORD)
 *
 * It writes to the target (new institutions, accounts and needs with random names): point it at a server
 * meant for such tests, never at real data.
 */
import { randomBytes } from 'node:crypto';
import { usccCheckCharacter } from '../../src/common/reference/uscc';

export interface AttackOptions {
  url: string;
  operatorEmail: string;
  operatorPassword: string;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

const PASSWORD = 'attack run passphrase 7';
const STACK_OR_SQL = /\n\s+at |node_modules|\bSELECT\b|\bINSERT INTO\b|QueryFailedError|TypeORM/;

export async function runAttack(options: AttackOptions): Promise<string[]> {
  const findings: string[] = [];
  const run = randomBytes(4).toString('hex');
  const base = options.url.replace(/\/graphql\/?$/, '');
  const sent: Answer[] = [];

  async function post(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Answer> {
    const response = await fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const answer = { status: response.status, headers: response.headers, text, body };
    sent.push(answer);
    // A probe the schema refuses proves nothing: the run is broken (the schema moved), not the server safe.
    if (body?.errors?.[0]?.extensions?.code === 'GRAPHQL_VALIDATION_FAILED') {
      throw new Error(`attack probe no longer fits the schema: ${query.slice(0, 80)}… ${text.slice(0, 300)}`);
    }
    return answer;
  }
  /** The mutation's payload; throws (a broken run, not a finding) when the step the run needs fails. */
  async function must(query: string, variables: Record<string, unknown>, token?: string): Promise<any> {
    const answer = await post(query, variables, token);
    const payload = answer.body?.data ? (Object.values(answer.body.data)[0] as any) : undefined;
    if (!payload || answer.body.errors || payload.userErrors?.length) {
      throw new Error(`attack set-up step failed: ${query.slice(0, 60)}… answered ${answer.text.slice(0, 300)}`);
    }
    return payload;
  }
  const code = (answer: Answer): string | undefined =>
    answer.body?.errors?.[0]?.extensions?.code ??
    (answer.body?.data ? (Object.values(answer.body.data)[0] as any)?.userErrors?.[0]?.code : undefined);
  const finding = (text: string) => findings.push(text);

  const login = async (email: string, password = PASSWORD) =>
    (await must(`mutation($input: LoginInput!) { login(input: $input) { token refreshToken userErrors { code } } }`, {
      input: { email, password },
    })) as { token: string; refreshToken: string };

  // --- Set-up through the public API -------------------------------------------------------------------------
  const operator = (await login(options.operatorEmail, options.operatorPassword)).token;
  const institution = async (name: string) =>
    must(
      `mutation($input: CreateInstitutionInput!) {
        createInstitution(input: $input) { institution { id } userErrors { code } }
      }`,
      {
        input: {
          name,
          type: 'BANK',
          regionsServed: ['230000'],
          admin: { email: `${name}@attack.example`, password: PASSWORD },
        },
      },
      operator,
    );
  const bankX = (await institution(`attack-x-${run}`)).institution.id as string;
  await institution(`attack-y-${run}`);
  const adminX = (await login(`attack-x-${run}@attack.example`)).token;
  const adminY = (await login(`attack-y-${run}@attack.example`)).token;
  const product = async (token: string, publish: boolean) => {
    const created = await must(
      `mutation($input: CreateLoanProductInput!) {
        createLoanProduct(input: $input) { loanProduct { id } userErrors { code } }
      }`,
      {
        input: {
          name: `攻击测试贷${randomBytes(3).toString('hex')}`,
          guaranteeType: 'CREDIT',
          minAmount: '100000.00',
          maxAmount: '3000000.00',
          minTermMonths: 6,
          maxTermMonths: 36,
          minRate: '3.85',
          maxRate: '6.00',
          eligibleRegions: ['230000'],
          eligibleIndustries: ['A', 'C'],
          eligibleScales: ['MICRO', 'SMALL'],
        },
      },
      token,
    );
    const id = created.loanProduct.id as string;
    if (publish) {
      await must(
        `mutation($id: ID!) {
          publishLoanProduct(input: { loanProductId: $id }) { loanProduct { id } userErrors { code } }
        }`,
        { id },
        token,
      );
    }
    return id;
  };
  const productX = await product(adminX, true);
  const draftX = await product(adminX, false);
  await product(adminY, true);

  let sequence = 0;
  const uscc = (region: string) => {
    const body =
      `91${region}${randomBytes(4).readUInt32BE() % 1e6}`.padEnd(14, '0') + String(++sequence).padStart(3, '0');
    return body.slice(0, 17) + usccCheckCharacter(body.slice(0, 17));
  };
  const REGISTER = `mutation($input: RegisterEnterpriseInput!) {
    registerEnterprise(input: $input) { enterprise { id uscc } userErrors { code message } } }`;
  const enterpriseInput = (name: string, region: string, email: string, password = PASSWORD) => ({
    uscc: uscc(region),
    name,
    regionCode: region,
    industryCode: 'C13',
    scale: 'SMALL',
    establishedOn: '2012-05-18',
    registeredCapital: '5000000.00',
    annualRevenue: '28000000.00',
    employees: 46,
    account: { email, password },
  });
  const enterprise = async (name: string, region: string, verify: boolean) => {
    const email = `${name}@attack.example`;
    const registered = (await must(REGISTER, { input: enterpriseInput(name, region, email) })).enterprise;
    if (verify) {
      await must(
        `mutation($input: VerifyEnterpriseInput!) {
          verifyEnterprise(input: $input) { enterprise { id } userErrors { code } }
        }`,
        { input: { enterpriseId: registered.id, evidence: '营业执照 checked by the attack run' } },
        operator,
      );
    }
    return { id: registered.id as string, uscc: registered.uscc as string, token: (await login(email)).token };
  };
  const a = await enterprise(`attack-a-${run}`, '230123', true);
  const b = await enterprise(`attack-b-${run}`, '110101', true);
  const unverified = await enterprise(`attack-c-${run}`, '230123', false);
  await must(
    `mutation($input: ImportCreditRecordsInput!) { importCreditRecords(input: $input) { imported } }`,
    {
      input: {
        records: [
          {
            uscc: a.uscc,
            source: 'TAX',
            sourceReference: `attack-${run}`,
            indicator: 'A级纳税人',
            polarity: 'POSITIVE',
            recordedOn: '2026-05-01',
          },
        ],
      },
    },
    operator,
  );
  const NEED = `mutation($input: PostFinancingRequestInput!) {
    postFinancingRequest(input: $input) { financingRequest { id } userErrors { code } } }`;
  const needInput = {
    amount: '1130000.00',
    termMonths: 12,
    purpose: '流动资金 working capital',
    acceptableGuaranteeTypes: ['CREDIT'],
    maxRate: '6.50',
    validUntil: '2099-12-31',
  };
  const needA = (await must(NEED, { input: needInput }, a.token)).financingRequest.id as string;
  const needB = (await must(NEED, { input: needInput }, b.token)).financingRequest.id as string;
  const applicationA = (
    await must(
      `mutation($input: StartApplicationInput!) {
        applyToProduct(input: $input) { application { id } userErrors { code } }
      }`,
      { input: { financingRequestId: needA, loanProductId: productX } },
      a.token,
    )
  ).application.id as string;
  const missing = (typeName: string) => Buffer.from(`${typeName}:${900000000 + sequence++}`).toString('base64');

  // --- 1. No cross-tenant oracle: a hidden object answers byte for byte like a missing one ----------------------
  const oracles: Array<[string, string, string, (id: string) => Record<string, unknown>, string]> = [
    [
      'claimFinancingRequest (bank Y, a need it does not see)',
      adminY,
      `mutation($input: StartApplicationInput!) {
        claimFinancingRequest(input: $input) { application { id } userErrors { code message field } }
      }`,
      (id) => ({ input: { financingRequestId: id, loanProductId: productX } }),
      needB,
    ],
    [
      "applyToProduct (enterprise A, bank X's draft product)",
      a.token,
      `mutation($input: StartApplicationInput!) {
        applyToProduct(input: $input) { application { id } userErrors { code message field } }
      }`,
      (id) => ({ input: { financingRequestId: needA, loanProductId: id } }),
      draftX,
    ],
    [
      "acceptApplication (bank Y, bank X's application)",
      adminY,
      `mutation($id: ID!) {
        acceptApplication(input: { applicationId: $id }) { application { id } userErrors { code message } }
      }`,
      (id) => ({ id }),
      applicationA,
    ],
    [
      "grantCredit (bank Y, bank X's application)",
      adminY,
      `mutation($id: ID!) {
        grantCredit(input: { applicationId: $id, amount: "100000.00", annualRate: "4.10", termMonths: 12 })
        { userErrors { code message } } }`,
      (id) => ({ id }),
      applicationA,
    ],
    [
      "withdrawFinancingRequest (enterprise B, A's need)",
      b.token,
      `mutation($id: ID!) {
        withdrawFinancingRequest(input: { financingRequestId: $id }) { userErrors { code message } }
      }`,
      (id) => ({ id }),
      needA,
    ],
    [
      "publishLoanProduct (bank Y, bank X's draft)",
      adminY,
      `mutation($id: ID!) { publishLoanProduct(input: { loanProductId: $id }) { userErrors { code message } } }`,
      (id) => ({ id }),
      draftX,
    ],
    ["node (enterprise B, A's need)", b.token, `query($id: ID!) { node(id: $id) { id } }`, (id) => ({ id }), needA],
  ];
  for (const [label, token, query, variables, hidden] of oracles) {
    const typeName = Buffer.from(hidden, 'base64').toString('utf8').split(':')[0];
    const [seen, absent] = [
      await post(query, variables(hidden), token),
      await post(query, variables(missing(typeName)), token),
    ];
    if (seen.status !== absent.status || seen.text !== absent.text) {
      finding(`oracle: ${label} answers differently for a hidden and a missing object: ${seen.text} vs ${absent.text}`);
    }
  }

  // --- 2. An unverified claim acts for nothing -------------------------------------------------------------------
  const posted = await post(NEED, { input: needInput }, unverified.token);
  if (posted.body?.data?.postFinancingRequest?.financingRequest) finding('identity: an unverified claim posted a need');
  const records = await post(
    `query($id: ID!) { node(id: $id) { ... on Enterprise { creditRecords { totalCount } } } }`,
    { id: unverified.id },
    unverified.token,
  );
  if (records.body?.data?.node?.creditRecords?.totalCount > 0)
    finding('identity: an unverified claim reads credit records');
  const claim = await post(REGISTER, {
    input: enterpriseInput(`attack-d-${run}`, '230123', `attack-d-${run}@attack.example`),
  });
  const duplicate = await post(REGISTER, {
    input: { ...enterpriseInput(`attack-e-${run}`, '230123', `attack-e-${run}@attack.example`), uscc: a.uscc },
  });
  if (claim.status !== duplicate.status || code(claim) !== code(duplicate)) {
    finding(`identity: registering a USCC that has a verified owner answers differently: ${duplicate.text}`);
  }
  const takenEmail = await post(REGISTER, {
    input: enterpriseInput(`attack-f-${run}`, '230123', `attack-a-${run}@attack.example`),
  });
  if (code(takenEmail) !== undefined) finding(`identity: registration says an email is taken: ${takenEmail.text}`);
  // Inviting staff tells a bank's admin nothing about accounts outside the bank (docs/adr/0103).
  const INVITE = `mutation($input: InviteStaffMemberInput!) {
    inviteStaffMember(input: $input) {
      invitation { id email role status createdAt expiresAt invitedBy { kind } account { id } }
      userErrors { code message field }
    }
  }`;
  const invitationAnswer = async (email: string) => {
    const answer = await post(INVITE, { input: { email } }, adminX);
    return `${answer.status} ${answer.text}`
      .replaceAll(email, '<email>')
      .replace(/"id":"[^"]+"/g, '"id":"<id>"')
      .replace(/"\d{4}-\d\d-\d\dT[\d:.]+Z"/g, '"<time>"');
  };
  const freeInvitation = await invitationAnswer(`attack-free-${run}@attack.example`);
  if (!freeInvitation.includes('"status":"PENDING"'))
    throw new Error(`attack control failed: inviting a free email answered ${freeInvitation}`);
  for (const [whose, email] of [
    ["enterprise A's account", `attack-a-${run}@attack.example`],
    ["bank Y's admin", `attack-y-${run}@attack.example`],
  ]) {
    const taken = await invitationAnswer(email);
    if (taken !== freeInvitation)
      finding(`oracle: inviting the email of ${whose} answers unlike a free email: ${taken} vs ${freeInvitation}`);
  }

  // --- 3. Credit details follow the enterprise's authorisation; a bank's threshold is its own ---------------------
  const DETAILS = `query($id: ID!) { node(id: $id) { ... on Enterprise {
      creditRecords { totalCount } creditProfile { contributions { nodes { source polarity state } } } } } }`;
  // Control: while authorised (A applied to X's product), bank X does read the details.
  if (!((await post(DETAILS, { id: a.id }, adminX)).body?.data?.node?.creditRecords?.totalCount > 0)) {
    throw new Error("attack control failed: bank X cannot read an applicant's authorised credit records");
  }
  await must(
    `mutation($id: ID!) { revokeInstitutionAuthorization(input: { institutionId: $id }) { userErrors { code } } }`,
    { id: bankX },
    a.token,
  ).catch(() => undefined);
  const details = await post(DETAILS, { id: a.id }, adminX);
  const profile = details.body?.data?.node;
  if (profile?.creditRecords?.totalCount > 0 || profile?.creditProfile?.contributions?.nodes?.length > 0) {
    finding(`credit details: bank X still reads enterprise A's record details after the authorisation was revoked`);
  }
  await must(
    `mutation($input: SetFourEyesThresholdInput!) { setFourEyesThreshold(input: $input) { userErrors { code } } }`,
    { input: { threshold: '500000.00' } },
    adminX,
  ).catch(() => undefined);
  const THRESHOLD = `query($id: ID!) { node(id: $id) { ... on Institution { fourEyesThreshold } } }`;
  if (!(await post(THRESHOLD, { id: bankX }, adminX)).body?.data?.node?.fourEyesThreshold) {
    throw new Error("attack control failed: bank X's admin cannot read its own four-eyes threshold");
  }
  for (const [who, token] of [
    ['anonymous', undefined],
    ['bank Y', adminY],
    ['enterprise A', a.token],
  ] as const) {
    const threshold = await post(THRESHOLD, { id: bankX }, token);
    if (threshold.body?.data?.node?.fourEyesThreshold) finding(`privacy: ${who} reads bank X's four-eyes threshold`);
  }

  // --- 4. Sign-in resists abuse -------------------------------------------------------------------------------------
  const weak = await post(REGISTER, {
    input: enterpriseInput(`attack-g-${run}`, '230123', `attack-g-${run}@attack.example`, 'password1234'),
  });
  if (code(weak) !== 'WEAK_PASSWORD') finding(`sign-in: a common password is accepted at registration: ${weak.text}`);
  const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { token userErrors { code } } }`;
  const target = `attack-c-${run}@attack.example`;
  for (let attempt = 0; attempt < 8; attempt++) {
    await post(LOGIN, { input: { email: target, password: `wrong guess ${attempt} ${run}` } });
  }
  const afterGuesses = await post(LOGIN, { input: { email: target, password: PASSWORD } });
  if (afterGuesses.body?.data?.login?.token) finding('sign-in: eight wrong passwords in a row are not throttled');

  // --- 5. Sessions can end -------------------------------------------------------------------------------------------
  const session = await login(`attack-b-${run}@attack.example`);
  const VIEWER = `{ viewer { id } }`;
  if (!(await post(VIEWER, {}, session.token)).body?.data?.viewer)
    throw new Error('attack control failed: a fresh token');
  await must(`mutation { logout(input: {}) { userErrors { code } } }`, {}, session.token);
  const afterLogout = await post(VIEWER, {}, session.token);
  if (afterLogout.body?.data?.viewer) finding('sessions: a token still works after logout');
  const renewed = await post(`mutation { renewToken(input: {}) { token userErrors { code } } }`, {}, session.token);
  if (renewed.body?.data?.renewToken?.token) finding('sessions: renewToken extends a logged-out session');
  const REFRESH = `mutation($t: String!) {
    refreshSession(input: { refreshToken: $t }) { token refreshToken userErrors { code } }
  }`;
  const family = await login(`attack-b-${run}@attack.example`);
  const rotated = await post(REFRESH, { t: family.refreshToken });
  const reused = await post(REFRESH, { t: family.refreshToken });
  if (reused.body?.data?.refreshSession?.token) finding('sessions: a refresh token works twice');
  const rotatedToken = rotated.body?.data?.refreshSession?.token;
  if (rotatedToken && (await post(VIEWER, {}, rotatedToken)).body?.data?.viewer) {
    finding('sessions: reuse of a refresh token does not end the session it was rotated into');
  }
  // Staff come by invitation, answered from a mailbox this run does not hold: a third bank's admin is disabled.
  await institution(`attack-z-${run}`);
  const adminZ = (await login(`attack-z-${run}@attack.example`)).token;
  const adminZAccount = (await post(VIEWER, {}, adminZ)).body?.data?.viewer?.id;
  if (!adminZAccount) throw new Error("attack control failed: a bank admin's token");
  await must(
    `mutation($id: ID!) { disableAccount(input: { accountId: $id }) { userErrors { code } } }`,
    { id: adminZAccount },
    operator,
  );
  if ((await post(VIEWER, {}, adminZ)).body?.data?.viewer) finding("sessions: a disabled account's token still works");

  // --- 5b. No money to a registration whose identity was moved away (docs/adr/0111) -----------------------------
  const d = await enterprise(`attack-borrower-${run}`, '230123', true);
  const needD = (await must(NEED, { input: needInput }, d.token)).financingRequest.id as string;
  const applicationD = (
    await must(
      `mutation($input: StartApplicationInput!) {
        applyToProduct(input: $input) { application { id } userErrors { code } } }`,
      { input: { financingRequestId: needD, loanProductId: productX } },
      d.token,
    )
  ).application.id as string;
  await must(
    `mutation($input: ApplicationActionInput!) {
      acceptApplication(input: $input) { application { id } userErrors { code } } }`,
    { input: { applicationId: applicationD } },
    adminX,
  );
  await must(
    `mutation($input: GrantCreditInput!) { grantCredit(input: $input) { creditGrant { id } userErrors { code } } }`,
    { input: { applicationId: applicationD, amount: '500000.00', annualRate: '4.10', termMonths: 12 } },
    adminX,
  );
  const DISBURSE = `mutation($input: RecordDisbursementInput!) {
    recordDisbursement(input: $input) { disbursement { id } userErrors { code } } }`;
  // Control: while D is verified, the bank does disburse.
  await must(DISBURSE, { input: { applicationId: applicationD, amount: '100000.00' } }, adminX);
  const rightful = (
    await must(REGISTER, {
      input: {
        ...enterpriseInput(`attack-rightful-${run}`, '230123', `attack-rightful-${run}@attack.example`),
        uscc: d.uscc,
      },
    })
  ).enterprise.id as string;
  await must(
    `mutation($input: ReassignEnterpriseIdentityInput!) {
      reassignEnterpriseIdentity(input: $input) { enterprise { id } userErrors { code } } }`,
    { input: { fromEnterpriseId: d.id, toEnterpriseId: rightful, evidence: 'forged licence (attack run)' } },
    operator,
  );
  const afterMove = await post(DISBURSE, { input: { applicationId: applicationD, amount: '100000.00' } }, adminX);
  if (afterMove.body?.data?.recordDisbursement?.disbursement || code(afterMove) !== 'BORROWER_NOT_VERIFIED') {
    finding(`money: a bank disburses to a registration whose identity was moved away: ${afterMove.text.slice(0, 200)}`);
  }

  // --- 6. Limits cannot be bypassed
  // -----------------------------------------------------------------------------------
  const PAGES = (n: number) => `query($n: Int = ${n}) { financingRequests(first: $n) { edges { node {
      applications(first: $n) { edges { node { id } } } } } } }`;
  if (!(await post(PAGES(5), {}, operator)).body?.data) throw new Error('attack control failed: a small page query');
  const defaulted = await post(
    `query($n: Int = 1000) { financingRequests(first: $n) { edges { node {
      applications(first: $n) { edges { node { id } } } } } } }`,
    {},
    operator,
  );
  if (code(defaulted) !== 'QUERY_TOO_COSTLY') finding('limits: a page size given as a variable default is not costed');
  const ids = Array.from({ length: 100 }, () => missing('Enterprise'));
  const wide = await post(
    `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Enterprise {
      financingRequests(first: 100) { edges { node { applications(first: 100) { edges { node { id } } } } } } } } }`,
    { ids },
    operator,
  );
  if (code(wide) !== 'QUERY_TOO_COSTLY') finding('limits: nodes(ids:) is not costed by its length');

  // --- 7. Hygiene
  // -------------------------------------------------------------------------------------------------------
  const headers = afterLogout.headers;
  if (headers.get('x-content-type-options') !== 'nosniff') finding('hygiene: /graphql lacks X-Content-Type-Options');
  if (!/no-store/.test(headers.get('cache-control') ?? '')) finding('hygiene: /graphql answers are cacheable');
  if (headers.get('x-powered-by')) finding('hygiene: X-Powered-By is sent');
  const dashboard = await fetch(`${base}/dashboard/`);
  if (!/frame-ancestors 'none'/.test(dashboard.headers.get('content-security-policy') ?? '')) {
    finding('hygiene: /dashboard/ can be framed (no CSP frame-ancestors)');
  }
  const unknown = await fetch(`${base}/no-such-path-${run}`);
  if (!/application\/json/.test(unknown.headers.get('content-type') ?? ''))
    finding('hygiene: unknown paths answer non-JSON');
  for (const [label, name] of [
    ['bidi override', `银行\u202Egnp.exe`],
    ['invisible-only', '\u200B\u200B'],
  ]) {
    const refused = await post(REGISTER, {
      input: enterpriseInput(name, '230123', `attack-h-${sequence++}-${run}@attack.example`),
    });
    if (refused.body?.data?.registerEnterprise?.enterprise) finding(`hygiene: a name with ${label} is accepted`);
  }
  const farDate = await post(
    `query($to: Date) { platformStats(filter: { to: $to }) { institutions } }`,
    { to: '9999-12-31' },
    operator,
  );
  if (farDate.status >= 500 || code(farDate) === 'INTERNAL_SERVER_ERROR')
    finding('hygiene: a far date fails the server');
  const nul = await post(NEED, { input: { ...needInput, purpose: 'nul\u0000byte' } }, a.token);
  if (nul.body?.data?.postFinancingRequest?.financingRequest) finding('hygiene: a NUL byte is stored');
  for (const answer of sent) {
    if (answer.status >= 500 && answer.status !== 503)
      finding(`hygiene: HTTP ${answer.status}: ${answer.text.slice(0, 200)}`);
    if (STACK_OR_SQL.test(answer.text))
      finding(`hygiene: an answer shows a stack trace or SQL: ${answer.text.slice(0, 200)}`);
  }
  return findings;
}

if (require.main === module) {
  const url = process.argv[2] ?? 'http://127.0.0.1:4000/graphql';
  const operatorEmail = process.env.ATTACK_OPERATOR_EMAIL;
  const operatorPassword = process.env.ATTACK_OPERATOR_PASSWORD;
  if (!operatorEmail || !operatorPassword) {
    console.error('Set ATTACK_OPERATOR_EMAIL and ATTACK_OPERATOR_PASSWORD (npm run create:operator makes one).');
    process.exit(2);
  }
  runAttack({ url, operatorEmail, operatorPassword }).then(
    (findings) => {
      for (const text of findings) console.log(`FINDING ${text}`);
      console.log(findings.length ? `${findings.length} finding(s)` : 'No findings: the server held.');
      process.exit(findings.length ? 1 : 0);
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(2);
    },
  );
}
