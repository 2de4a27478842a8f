import { startTestApp, TestApp } from './support/app';
import { createInstitution, createPublishedProduct, postRequest, registerEnterprise } from './support/fixtures';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

describe('financing requests seen through their enterprise', () => {
  it('shows an institution only the needs it may see, as node(id) and the list do', async () => {
    const bank = await createInstitution(app);
    await createPublishedProduct(app, bank.id, { maxAmount: '3000000.00' });
    const enterprise = await registerEnterprise(app);
    const matched = await postRequest(app, enterprise.id, { amount: '1000000.00' });
    const unmatched = await postRequest(app, enterprise.id, { amount: '9000000.00' }); // above every product's maximum
    const query =
      `query($id: ID!) { node(id: $id) { ... on FinancingRequest { ` +
      `enterprise { financingRequests(first: 10) { totalCount nodes { id } } } } } }`;

    const asBank = await app.gql(query, { id: matched.id }, bank.id);
    expect(asBank.errors).toBeUndefined();
    expect(asBank.data.node.enterprise.financingRequests).toEqual({ totalCount: 1, nodes: [{ id: matched.id }] });
    expect(
      (await app.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: unmatched.id }, bank.id)).data.node,
    ).toBeNull();

    const asOwner = await app.gql(query, { id: matched.id }, enterprise.id);
    expect(asOwner.data.node.enterprise.financingRequests.totalCount).toBe(2);
  });
});
