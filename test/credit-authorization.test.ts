import { startTestApp, TestApp } from './support/app';
import {
  applyToProduct,
  createInstitution,
  createPublishedProduct,
  postRequest,
  registerEnterprise,
} from './support/fixtures';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const RECORDS =
  `query($id: ID!) { node(id: $id) { ... on Enterprise { ` +
  `creditRecords { totalCount nodes { indicator } } creditProfile { score } } } }`;
const AUTHORIZE = (verb: string) =>
  `mutation($input: InstitutionAuthorizationInput!) { ${verb}(input: $input)` +
  ` { creditAuthorization { revokedAt institution { name } } userErrors { code } } }`;

describe('credit-data authorisation (信用授权)', () => {
  it('applying authorises the institution; the enterprise can revoke and authorise again', async () => {
    const enterprise = await registerEnterprise(app);
    await app.gql(
      `mutation($input: ImportCreditRecordsInput!) { importCreditRecords(input: $input) { imported } }`,
      {
        input: {
          records: [
            {
              uscc: enterprise.uscc,
              source: 'TAX',
              sourceReference: `auth-${enterprise.uscc}`,
              indicator: 'A级纳税人',
              polarity: 'POSITIVE',
              recordedOn: '2026-05-01',
            },
          ],
        },
      },
      'operator',
    );
    const bank = await createInstitution(app);
    const other = await createInstitution(app);
    const product = await createPublishedProduct(app, bank.id);

    // Before applying: the bank sees no details (nor can it learn how many there are).
    expect((await app.gql(RECORDS, { id: enterprise.id }, bank.id)).data.node).toBeNull();
    const request = await postRequest(app, enterprise.id);
    await applyToProduct(app, enterprise.id, request.id, product.id);
    const seen = await app.gql(RECORDS, { id: enterprise.id }, bank.id);
    expect(seen.data.node.creditRecords).toEqual({ totalCount: 1, nodes: [{ indicator: 'A级纳税人' }] });

    const revoked = await app.gql(
      AUTHORIZE('revokeInstitutionAuthorization'),
      { input: { institutionId: bank.id } },
      enterprise.id,
    );
    expect(revoked.data.revokeInstitutionAuthorization.creditAuthorization.revokedAt).not.toBeNull();
    const hidden = await app.gql(RECORDS, { id: enterprise.id }, bank.id);
    expect(hidden.data.node.creditRecords).toEqual({ totalCount: 0, nodes: [] });
    // The score stays visible: it is what matching shows, not the record details.
    expect(hidden.data.node.creditProfile.score).toBeGreaterThan(600);

    expect(
      (await app.gql(AUTHORIZE('revokeInstitutionAuthorization'), { input: { institutionId: bank.id } }, enterprise.id))
        .data.revokeInstitutionAuthorization.userErrors,
    ).toEqual([{ code: 'NOT_AUTHORIZED' }]);
    const again = await app.gql(
      AUTHORIZE('authorizeInstitution'),
      { input: { institutionId: bank.id } },
      enterprise.id,
    );
    expect(again.data.authorizeInstitution.creditAuthorization.revokedAt).toBeNull();
    expect((await app.gql(RECORDS, { id: enterprise.id }, bank.id)).data.node.creditRecords.totalCount).toBe(1);

    // Another institution never was authorised, and cannot authorise itself.
    const byBank = await app.gql(AUTHORIZE('authorizeInstitution'), { input: { institutionId: other.id } }, other.id);
    expect(byBank.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const list = await app.gql(
      `query($id: ID!) { node(id: $id) { ... on Enterprise {
        creditAuthorizations { nodes { institution { name } revokedAt } } } } }`,
      { id: enterprise.id },
      enterprise.id,
    );
    expect(list.data.node.creditAuthorizations.nodes).toEqual([{ institution: { name: bank.name }, revokedAt: null }]);
  });
});
