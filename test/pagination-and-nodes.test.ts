import { startTestApp, TestApp } from './support/app';
import { createInstitution, submittedApplication } from './support/fixtures';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const INSTITUTIONS = `query($first: Int, $after: String) {
  institutions(first: $first, after: $after) { totalCount edges { cursor node { id name } }
    pageInfo { hasNextPage endCursor } }
}`;

describe('Relay connections', () => {
  it('pages by keyset with cursors and counts the whole set', async () => {
    for (let i = 0; i < 7; i++) await createInstitution(app);
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const response = await app.gql(INSTITUTIONS, { first: 3, after });
      const connection: any = response.data.institutions;
      expect(connection.totalCount).toBe(7);
      seen.push(...connection.edges.map((edge: any) => edge.node.id));
      after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(7);
  });

  it('caps first at 100 and rejects a forged cursor', async () => {
    const tooMany = await app.gql(INSTITUTIONS, { first: 101 });
    expect(tooMany.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'first' });
    const forged = await app.gql(INSTITUTIONS, { first: 1, after: 'bm90LWEtY3Vyc29y' });
    expect(forged.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('answers a query variable of the wrong type like graphql-js, though queries run compiled', async () => {
    for (const variables of [{ first: 'ten-ish' }, { first: 2.5 }, { first: 3, after: 7 }]) {
      const response = await app.gql(INSTITUTIONS, variables);
      expect(response.status).toBe(400);
      expect(response.data).toBeUndefined();
      expect(response.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(response.errors?.[0].message).toMatch(/^Variable "\$(first|after)" has an invalid value/);
      expect(response.raw).not.toContain('ten-ish');
    }
    // The same document, valid variables: compiled once, answered in full each time.
    for (const first of [1, 2])
      expect((await app.gql(INSTITUTIONS, { first })).data.institutions.edges.length).toBeGreaterThanOrEqual(first);
  });
});

describe('node(id:)', () => {
  const NODE =
    `query($id: ID!) { node(id: $id) { __typename id` +
    ` ... on Application { status } ... on FinancingRequest { amount } } }`;

  it('fetches each object by its global ID for those who may see it', async () => {
    const { enterprise, institution, product, request, application } = await submittedApplication(app);
    for (const [id, typename] of [
      [enterprise.id, 'Enterprise'],
      [institution.id, 'Institution'],
      [product.id, 'LoanProduct'],
      [request.id, 'FinancingRequest'],
      [application.id, 'Application'],
    ]) {
      const response = await app.gql(NODE, { id }, enterprise.id);
      expect(response.data.node).toMatchObject({ __typename: typename, id });
      // A global ID, never the database key (fields read properties directly; this one is computed).
      expect(Buffer.from(response.data.node.id, 'base64').toString()).toMatch(new RegExp(`^${typename}:[1-9][0-9]*$`));
    }
  });

  it('answers an existing but hidden object exactly like a missing one', async () => {
    const { request, application } = await submittedApplication(app);
    const other = await submittedApplication(app);
    for (const id of [request.id, application.id]) {
      const hidden = await app.gql(NODE, { id }, other.enterprise.id);
      expect(hidden.data).toEqual({ node: null });
      expect(hidden.errors).toBeUndefined();
    }
    const missing = await app.gql(NODE, { id: 'QXBwbGljYXRpb246OTk5OTk5OQ==' }, other.enterprise.id);
    expect(missing.data).toEqual({ node: null });
    const garbage = await app.gql(NODE, { id: 'not an id' }, other.enterprise.id);
    expect(garbage.data).toEqual({ node: null });
  });
});
