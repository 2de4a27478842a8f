import { SignJWT } from 'jose';
import { startTestApp, TestApp } from './support/app';
import { operation } from './support/operations';
import { createInstitution, createPublishedProduct, enterpriseInput, makeUscc, requestInput } from './support/fixtures';
import { startProductionServer, ProductionServer } from './support/production';
import { systemActor } from '../src/common/actor';
import { AccountRole } from '../src/auth/user-account.entity';

/** Enterprise identity is verified (实名认证) before an account acts for a USCC (issue 17, item 2). */
const ASSERTION_KEY = 'provincial identity service shared key, 32+ characters';
let app: TestApp;
let api: ProductionServer;
let operatorToken: string;
beforeAll(async () => {
  app = await startTestApp();
  api = await startProductionServer(app, { identityAssertionKey: ASSERTION_KEY });
  await app.server.services.auth.createOperatorOrAnalyst(
    systemActor,
    { email: 'ops@identity.example', password: 'operator passphrase 1' },
    AccountRole.OPERATOR,
  );
  operatorToken = (await api.login('ops@identity.example', 'operator passphrase 1')).token;
});
afterAll(async () => {
  await api?.stop();
  await app?.close();
});

const ME = `{ viewer { enterprise {
  id uscc name verificationStatus verifiedAt creditProfile { score } creditRecords { totalCount }
  financingRequests { nodes { status } }
} } }`;
const VERIFY = `mutation($input: VerifyEnterpriseInput!) {
  verifyEnterprise(input: $input) { enterprise { id verificationStatus } userErrors { code field } }
}`;
const ASSERT = `mutation($a: String!) {
  submitIdentityAssertion(input: { assertion: $a }) { enterprise { verificationStatus } userErrors { code field } }
}`;
const REASSIGN = `mutation($input: ReassignEnterpriseIdentityInput!) {
  reassignEnterpriseIdentity(input: $input) { enterprise { id verificationStatus } userErrors { code field } }
}`;
const EVENTS = `query($id: ID!) {
  node(id: $id) { ... on Enterprise {
    verificationEvents(first: 100) {
      nodes { enterpriseId fromStatus toStatus method actor { kind role enterprise { id } } evidence }
    }
  } }
}`;
const IMPORT = `mutation($input: ImportCreditRecordsInput!) {
  importCreditRecords(input: $input) { imported rejected { line reason } }
}`;

let sequence = 0;
/** Registers a claim on `uscc` with its own account and signs that account in. */
async function claim(uscc: string) {
  const credentials = { email: `claimant${++sequence}@identity.example`, password: 'claimant passphrase 1' };
  const registered = await api.call(operation('RegisterEnterprise'), {
    input: enterpriseInput({ uscc, account: credentials }),
  });
  const session = await api.login(credentials.email, credentials.password);
  return {
    registered: registered.body.data.registerEnterprise,
    id: registered.body.data.registerEnterprise.enterprise.id as string,
    token: session.token as string,
  };
}
const codeOf = (response: { body: any }) => response.body.errors?.[0]?.extensions.code;
const verifyByOperator = (
  enterpriseId: string,
  evidence = '营业执照 original seen; legal representative called back',
) => api.call(VERIFY, { input: { enterpriseId, evidence } }, operatorToken);
const importRecord = (uscc: string, reference: string) =>
  api.call(
    IMPORT,
    {
      input: {
        records: [
          {
            uscc,
            source: 'TAX',
            sourceReference: reference,
            indicator: 'A级纳税人',
            polarity: 'POSITIVE',
            recordedOn: '2026-04-01',
          },
        ],
      },
    },
    operatorToken,
  );

async function assertion(claims: Record<string, unknown>, key = ASSERTION_KEY) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('provincial-identity-service')
    .setAudience('credit-easy-loan')
    .setJti(`assertion-${++sequence}`)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(key));
}

describe('an unverified registration', () => {
  it('sees only what it entered: no credit standing, postings, applications or authorisations', async () => {
    const uscc = makeUscc();
    const pending = await claim(uscc);
    expect(pending.registered.enterprise.verificationStatus).toBe('PENDING');
    expect((await importRecord(uscc, `pending-${uscc}`)).body.data.importCreditRecords).toEqual({
      imported: 0,
      rejected: [{ line: 1, reason: 'no verified enterprise has this USCC' }],
    });
    const me = (await api.call(ME, {}, pending.token)).body.data.viewer.enterprise;
    expect(me).toMatchObject({
      uscc,
      verificationStatus: 'PENDING',
      verifiedAt: null,
      creditProfile: null,
      creditRecords: { totalCount: 0 },
    });

    const institution = await createInstitution(app);
    const product = await createPublishedProduct(app, institution.id);
    const refusals = [
      await api.call(operation('PostFinancingRequest'), { input: requestInput() }, pending.token),
      await api.call(
        operation('ApplyToProduct'),
        { input: { financingRequestId: 'RmluYW5jaW5nUmVxdWVzdDox', loanProductId: product.id } },
        pending.token,
      ),
      await api.call(
        `mutation($id: ID!) { authorizeInstitution(input: { institutionId: $id }) { userErrors { code } } }`,
        { id: institution.id },
        pending.token,
      ),
    ];
    for (const refused of refusals) {
      expect(refused.status).toBe(200);
      expect(refused.body.errors).toEqual([
        expect.objectContaining({ extensions: { code: 'ENTERPRISE_NOT_VERIFIED' } }),
      ]);
    }
    expect((await api.call(ME, {}, pending.token)).body.data.viewer.enterprise.financingRequests.nodes).toEqual([]);
  });

  it('acting through the development header X-Actor is restricted alike until verified', async () => {
    const pending = await app.gql(operation('RegisterEnterprise'), { input: enterpriseInput() });
    const id = pending.data.registerEnterprise.enterprise.id;
    const refused = await app.gql(operation('PostFinancingRequest'), { input: requestInput() }, id);
    expect(refused.errors?.[0].extensions?.code).toBe('ENTERPRISE_NOT_VERIFIED');
    expect(
      (await app.gql(VERIFY, { input: { enterpriseId: id, evidence: 'licence checked' } }, 'operator')).data
        .verifyEnterprise.userErrors,
    ).toEqual([]);
    expect(
      (await app.gql(operation('PostFinancingRequest'), { input: requestInput() }, id)).data.postFinancingRequest
        .userErrors,
    ).toEqual([]);
  });
});

describe('several claims on one USCC', () => {
  it('wait side by side, telling no one the USCC is known; the verified one wins, the others are told', async () => {
    const uscc = makeUscc();
    const impostor = await claim(uscc);
    const company = await claim(uscc);
    const fresh = await claim(makeUscc());
    const shape = (r: any) => ({
      userErrors: r.userErrors,
      keys: Object.keys(r.enterprise),
      status: r.enterprise.verificationStatus,
    });
    expect(shape(company.registered)).toEqual(shape(fresh.registered));

    // Only operators verify.
    for (const token of [impostor.token, undefined]) {
      expect(['FORBIDDEN', 'UNAUTHENTICATED']).toContain(
        codeOf(await api.call(VERIFY, { input: { enterpriseId: company.id, evidence: 'trust me' } }, token)),
      );
    }
    expect((await verifyByOperator(company.id)).body.data.verifyEnterprise).toEqual({
      enterprise: { id: company.id, verificationStatus: 'VERIFIED' },
      userErrors: [],
    });
    expect((await api.call(ME, {}, impostor.token)).body.data.viewer.enterprise.verificationStatus).toBe('SUPERSEDED');
    expect(codeOf(await api.call(operation('PostFinancingRequest'), { input: requestInput() }, impostor.token))).toBe(
      'ENTERPRISE_NOT_VERIFIED',
    );
    expect(
      (await api.call(operation('PostFinancingRequest'), { input: requestInput() }, company.token)).body.data
        .postFinancingRequest.userErrors,
    ).toEqual([]);
    expect((await verifyByOperator(impostor.id)).body.data.verifyEnterprise.userErrors).toEqual([
      { code: 'USCC_ALREADY_VERIFIED', field: ['input', 'enterpriseId'] },
    ]);
    expect((await importRecord(uscc, `winner-${uscc}`)).body.data.importCreditRecords.imported).toBe(1);

    // The audit trail, for operators only, in the database's append-only table.
    const events = (await api.call(EVENTS, { id: company.id }, operatorToken)).body.data.node.verificationEvents.nodes;
    expect(events).toEqual([
      {
        enterpriseId: company.id,
        fromStatus: 'PENDING',
        toStatus: 'VERIFIED',
        method: 'OPERATOR_REVIEW',
        actor: { kind: 'OPERATOR', role: 'OPERATOR', enterprise: null },
        evidence: expect.stringContaining('营业执照'),
      },
      {
        enterpriseId: impostor.id,
        fromStatus: 'PENDING',
        toStatus: 'SUPERSEDED',
        method: 'OPERATOR_REVIEW',
        actor: expect.objectContaining({ kind: 'OPERATOR' }),
        evidence: expect.any(String),
      },
    ]);
    const hidden = await api.call(EVENTS, { id: company.id }, company.token);
    expect(hidden.body.data.node.verificationEvents.nodes).toEqual([]);
    await expect(
      app.dataSource.query(`UPDATE enterprise_verification_event SET evidence = 'rewritten'`),
    ).rejects.toThrow(/append-only/);
  });
});

describe('the operators’ review queue', () => {
  it('lists registrations by status, audit trails batched (statements do not grow with the page)', async () => {
    for (let i = 0; i < 6; i++) await claim(makeUscc());
    const QUEUE = `query($n: Int!) {
      enterprises(verificationStatus: PENDING, first: $n) {
        nodes { verificationStatus verificationEvents { nodes { method } } }
      }
    }`;
    const statementsFor = async (n: number) => {
      app.statements.count = 0;
      const nodes = (await api.call(QUEUE, { n }, operatorToken)).body.data.enterprises.nodes;
      expect(nodes).toHaveLength(n);
      expect(nodes.every((node: any) => node.verificationStatus === 'PENDING')).toBe(true);
      return app.statements.count;
    };
    expect(await statementsFor(6)).toBe(await statementsFor(2));
  });
});

describe('verification by a signed assertion of the provincial identity service', () => {
  it('verifies the registration the assertion names, and refuses forged, foreign or replayed ones', async () => {
    const uscc = makeUscc();
    const other = await claim(uscc);
    const mine = await claim(uscc);
    const refusals = [
      await assertion({ sub: uscc, claim: mine.id }, 'some other key that is long enough to sign'),
      await assertion({ sub: makeUscc(), claim: mine.id }),
      await assertion({ sub: uscc, claim: other.id }),
      'not-a-jws',
    ];
    for (const forged of refusals) {
      const refused = (await api.call(ASSERT, { a: forged }, mine.token)).body.data.submitIdentityAssertion;
      expect(refused).toEqual({
        enterprise: null,
        userErrors: [{ code: 'IDENTITY_ASSERTION_REJECTED', field: ['input', 'assertion'] }],
      });
    }
    const good = await assertion({ sub: uscc, claim: mine.id, legalRepresentative: '王建国' });
    expect((await api.call(ASSERT, { a: good }, mine.token)).body.data.submitIdentityAssertion).toEqual({
      enterprise: { verificationStatus: 'VERIFIED' },
      userErrors: [],
    });
    // Replayed by the other claimant of the USCC: it names another registration.
    expect(
      (await api.call(ASSERT, { a: good }, other.token)).body.data.submitIdentityAssertion.userErrors[0].code,
    ).toBe('IDENTITY_ASSERTION_REJECTED');
    const events = (await api.call(EVENTS, { id: mine.id }, operatorToken)).body.data.node.verificationEvents.nodes;
    expect(events[0]).toMatchObject({
      toStatus: 'VERIFIED',
      method: 'IDENTITY_ASSERTION',
      actor: { kind: 'ENTERPRISE', role: 'ENTERPRISE', enterprise: { id: mine.id } },
      evidence: expect.stringContaining('王建国'),
    });
    expect(events[1]).toMatchObject({ enterpriseId: other.id, toStatus: 'SUPERSEDED' });
  });

  it('is refused where no assertion key is configured', async () => {
    const plain = await startProductionServer(app);
    try {
      const credentials = { email: 'nokey@identity.example', password: 'claimant passphrase 1' };
      await plain.call(operation('RegisterEnterprise'), { input: enterpriseInput({ account: credentials }) });
      const { token } = await plain.login(credentials.email, credentials.password);
      const answer = (await plain.call(ASSERT, { a: 'x.y.z' }, token)).body.data.submitIdentityAssertion;
      expect(answer.userErrors[0].code).toBe('IDENTITY_VERIFIER_NOT_CONFIGURED');
    } finally {
      await plain.stop();
    }
  });
});

describe('an operator moves a wrongly verified USCC', () => {
  it('revokes the wrong registration (needs withdrawn), verifies the right one with the credit records', async () => {
    const uscc = makeUscc();
    const impostor = await claim(uscc);
    await verifyByOperator(impostor.id, 'licence scan looked right');
    const need = (await api.call(operation('PostFinancingRequest'), { input: requestInput() }, impostor.token)).body
      .data.postFinancingRequest.financingRequest;
    expect(need.status).toBe('OPEN');
    expect((await importRecord(uscc, `moved-${uscc}`)).body.data.importCreditRecords.imported).toBe(1);
    const company = await claim(uscc);
    expect(company.registered.enterprise.verificationStatus).toBe('PENDING');

    const evidence = 'the licence scan was forged; the legal representative confirmed in person';
    expect(
      codeOf(
        await api.call(
          REASSIGN,
          { input: { fromEnterpriseId: impostor.id, toEnterpriseId: company.id, evidence } },
          company.token,
        ),
      ),
    ).toBe('FORBIDDEN');
    const moved = (
      await api.call(
        REASSIGN,
        { input: { fromEnterpriseId: impostor.id, toEnterpriseId: company.id, evidence } },
        operatorToken,
      )
    ).body.data;
    expect(moved.reassignEnterpriseIdentity).toEqual({
      enterprise: { id: company.id, verificationStatus: 'VERIFIED' },
      userErrors: [],
    });

    const impostorNow = (await api.call(ME, {}, impostor.token)).body.data.viewer.enterprise;
    expect(impostorNow).toMatchObject({
      verificationStatus: 'REVOKED',
      creditProfile: null,
      creditRecords: { totalCount: 0 },
      financingRequests: { nodes: [{ status: 'WITHDRAWN' }] },
    });
    expect(codeOf(await api.call(operation('PostFinancingRequest'), { input: requestInput() }, impostor.token))).toBe(
      'ENTERPRISE_NOT_VERIFIED',
    );
    const companyNow = (await api.call(ME, {}, company.token)).body.data.viewer.enterprise;
    expect(companyNow).toMatchObject({
      verificationStatus: 'VERIFIED',
      creditRecords: { totalCount: 1 },
      creditProfile: { score: expect.any(Number) },
    });

    const events = (await api.call(EVENTS, { id: company.id }, operatorToken)).body.data.node.verificationEvents.nodes;
    expect(events.slice(-2)).toEqual([
      expect.objectContaining({
        enterpriseId: impostor.id,
        fromStatus: 'VERIFIED',
        toStatus: 'REVOKED',
        method: 'REASSIGNMENT',
        evidence,
      }),
      expect.objectContaining({
        enterpriseId: company.id,
        fromStatus: 'PENDING',
        toStatus: 'VERIFIED',
        method: 'REASSIGNMENT',
        evidence,
      }),
    ]);
    // Moving it again from a registration that is no longer verified is refused.
    const again = await api.call(
      REASSIGN,
      { input: { fromEnterpriseId: impostor.id, toEnterpriseId: company.id, evidence } },
      operatorToken,
    );
    expect(again.body.data.reassignEnterpriseIdentity.userErrors).toEqual([
      { code: 'NOT_VERIFIED', field: ['input', 'fromEnterpriseId'] },
    ]);
  });
});
