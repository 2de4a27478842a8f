import { startTestApp, TestApp } from './support/app';
import { startServer, RunningServer } from '../src/server';
import { applyToProduct, createInstitution, createPublishedProduct, postRequest, registerEnterprise } from './support/fixtures';

// Plain queries are answered by the direct path (src/common/direct-queries.ts); everything else,
// and every error, by Express and Apollo. These tests hold the two to the same answers.

let app: TestApp;
let enterpriseId: string;
let requestId: string;
beforeAll(async () => {
  app = await startTestApp();
  const bank = await createInstitution(app);
  const product = await createPublishedProduct(app, bank.id);
  enterpriseId = (await registerEnterprise(app)).id;
  requestId = (await postRequest(app, enterpriseId)).id;
  await applyToProduct(app, enterpriseId, requestId, product.id);
  await postRequest(app, enterpriseId, { amount: '900000.00' }); // still OPEN, with its matches
});
afterAll(async () => {
  await app?.close();
});

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text), text };
}

/** Apollo answers this Accept itself (the direct path only takes requests that mean application/json). */
const viaApollo = { accept: 'application/graphql-response+json' };

async function withServer(options: Partial<Parameters<typeof startServer>[0]>, run: (server: RunningServer, url: string) => Promise<void>) {
  const server = await startServer({ dataSource: app.dataSource, production: false, ...options }, 0, '127.0.0.1');
  try {
    await run(server, server.url.replace('localhost', '127.0.0.1'));
  } finally {
    await server.stop();
  }
}

describe('the direct path for plain queries', () => {
  it('answers plain queries itself, with the same data Apollo answers', async () => {
    const queries: Array<{ body: Record<string, unknown>; actor: string }> = [
      { body: { query: `{ node(id: "${requestId}") { id ... on FinancingRequest { amount termMonths status postedAt enterprise { name } } } }` }, actor: enterpriseId },
      {
        body: {
          query: `query Mine($first: Int!, $status: FinancingRequestStatus) { financingRequests(first: $first, status: $status) { totalCount edges { cursor node { ...Need } } pageInfo { hasNextPage endCursor } } }
                  fragment Need on FinancingRequest { id amount applications(first: 5) { nodes { id status loanProduct { name institution { name } } } } matches(first: 3) { nodes { rank quotedRate reasons { creditGrade } } } }
                  query Other { platformStats { institutions } }`,
          operationName: 'Mine',
          variables: { first: 10, status: 'OPEN' },
        },
        actor: 'operator',
      },
      { body: { query: `{ platformStats { enterprisesRegistered requested { count amount } weightedAverageGrantedRate } }`, variables: null }, actor: 'analyst' },
      { body: { query: `{ institutions(first: 5) { nodes { id name } } }` }, actor: '' },
    ];
    for (const { body, actor } of queries) {
      const headers: Record<string, string> = actor ? { 'x-actor': actor } : {};
      const before = { ...app.server.directQueries.counts };
      const direct = await post(app.url, body, headers);
      expect(app.server.directQueries.counts).toEqual({ answered: before.answered + 1, handedOver: before.handedOver });
      const apollo = await post(app.url, body, { ...headers, ...viaApollo });
      expect(app.server.directQueries.counts.answered).toBe(before.answered + 1);
      expect(direct.status).toBe(200);
      expect(direct.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(direct.body.errors).toBeUndefined();
      expect(direct.body).toEqual(apollo.body);
      expect(direct.text).toBe(apollo.text);
    }
    // The reasons are read only when asked for, here through a fragment (src/common/selection.ts).
    const needs = (await post(app.url, queries[1].body, { 'x-actor': 'operator' })).body.data.financingRequests.edges;
    const matched = needs.flatMap((edge: any) => edge.node.matches.nodes);
    expect(matched.length).toBeGreaterThan(0);
    for (const match of matched) expect(match.reasons.creditGrade).toMatch(/^[A-E]/);
  });

  it('hands mutations, errors, bad variables, persisted queries and over-limit queries to Apollo, which answers as before', async () => {
    const counts = app.server.directQueries.counts;
    const cases: Array<{ body: Record<string, unknown>; actor?: string; status: number; code?: string }> = [
      { body: { query: `{ institutions(first: 1, after: "zzz") { totalCount } }` }, actor: 'operator', status: 200, code: 'BAD_USER_INPUT' },
      { body: { query: `{ platformStats { institutions } }` }, status: 200, code: 'UNAUTHENTICATED' },
      { body: { query: `query($first: Int!) { institutions(first: $first) { totalCount } }`, variables: { first: 'many' } }, actor: 'operator', status: 400, code: 'BAD_USER_INPUT' },
      { body: { query: `{ institutions { totalCont } }` }, actor: 'operator', status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
      { body: { query: `{ institutions(first: 100) { nodes { loanProducts(first: 100) { nodes { id } } } } }` }, actor: 'operator', status: 400, code: 'QUERY_TOO_COSTLY' },
      { body: { extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }, status: 200, code: 'PERSISTED_QUERY_NOT_FOUND' },
      { body: { query: `mutation { login(input: { email: "nobody@example.com", password: "wrong password" }) { token } }` }, status: 200 },
    ];
    for (const { body, actor, status, code } of cases) {
      const before = { ...counts };
      const response = await post(app.url, body, actor ? { 'x-actor': actor } : {});
      expect({ status: response.status, code: response.body.errors?.[0]?.extensions?.code }).toEqual({ status, code });
      expect(response.text).not.toMatch(/at .*\.js|SELECT/);
      expect(counts).toEqual({ answered: before.answered, handedOver: before.handedOver + 1 });
    }
    // Long texts are not kept compiled here (Apollo's document store has its own bound).
    const before = { ...counts };
    const long = await post(app.url, { query: `{ institutions { totalCount } } # ${'x'.repeat(20_000)}` }, { 'x-actor': 'operator' });
    expect(long.status).toBe(200);
    expect(long.body.data.institutions.totalCount).toBeGreaterThan(0);
    expect(counts).toEqual({ answered: before.answered, handedOver: before.handedOver + 1 });
    // A byte order mark is dropped as Express's parser drops it; an operation name that is not a Name is Apollo's to refuse.
    const withBom = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-actor': 'operator' }, body: `\uFEFF${JSON.stringify({ query: '{ institutions { totalCount } }' })}` });
    expect(withBom.status).toBe(200);
    expect(((await withBom.json()) as any).data.institutions.totalCount).toBeGreaterThan(0);
    const oddName = await post(app.url, { query: 'query Foo { institutions { totalCount } }', operationName: 'Foo\u0000query' }, { 'x-actor': 'operator' });
    expect({ status: oddName.status, code: oddName.body.errors[0].extensions.code }).toEqual({ status: 400, code: 'OPERATION_RESOLUTION_FAILURE' });
    const unknownName = await post(app.url, { query: 'query Foo { institutions { totalCount } }', operationName: 'Bar' }, { 'x-actor': 'operator' });
    expect({ status: unknownName.status, code: unknownName.body.errors[0].extensions.code }).toEqual({ status: 400, code: 'OPERATION_RESOLUTION_FAILURE' });
    expect(unknownName.body.errors[0].message).toBe('No operation in the document has the given operationName.');
    const badToken = await post(app.url, { query: '{ institutions { totalCount } }' }, { authorization: 'Bearer nonsense' });
    expect(badToken.status).toBe(401);
    expect(badToken.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const malformed = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as any).errors[0]).toEqual({ message: 'Malformed JSON body', extensions: { code: 'BAD_REQUEST' } });
  });

  it('describes the public schema to introspection, though queries run on one with a scalar per Node ID', async () => {
    const idType = `fields(includeDeprecated: false) { name type { kind ofType { name } } }`;
    for (const query of [
      `{ __type(name: "LoanProduct") { ${idType} } }`,
      `query { ...Described } fragment Described on Query { __type(name: "LoanProduct") { ${idType} } }`,
    ]) {
      const response = await post(app.url, { query }, { 'x-actor': 'operator' });
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data.__type.fields.find((field: any) => field.name === 'id').type).toEqual({ kind: 'NON_NULL', ofType: { name: 'ID' } });
    }
    const types = await post(app.url, { query: `{ __schema { types { name } } }` }, { 'x-actor': 'operator' });
    expect(types.body.data.__schema.types.map((type: any) => type.name)).toContain('Node');
    expect(JSON.stringify(types.body)).not.toMatch(/GlobalId/);
  });

  it('runs a query that fails during execution once: Apollo formats the errors of the result it is handed', async () => {
    const good = `{ institutions(first: 3) { totalCount nodes { name } } }`;
    const statementsOf = async (query: string) => {
      app.statements.count = 0;
      const response = await post(app.url, { query }, { 'x-actor': 'operator' });
      return { statements: app.statements.count, response };
    };
    const alone = await statementsOf(good);
    expect(alone.response.body.errors).toBeUndefined();
    const handedOver = app.server.directQueries.counts.handedOver;
    // The page and its count are read while a malformed cursor fails the sibling field.
    const failing = await statementsOf(`{ institutions(first: 3) { totalCount nodes { name } } bad: institutions(first: 1, after: "zzz") { totalCount } }`);
    expect(failing.response.status).toBe(200);
    expect(failing.response.body.errors.map((e: any) => ({ code: e.extensions.code, path: e.path }))).toEqual([{ code: 'BAD_USER_INPUT', path: ['bad'] }]);
    // Both root fields are non-null, so the error nulls the whole answer, as graphql-js would.
    expect(failing.response.body.data).toBeNull();
    expect(app.server.directQueries.counts.handedOver).toBe(handedOver + 1);
    expect(alone.statements).toBeGreaterThan(0);
    expect(failing.statements).toBe(alone.statements);
  });

  it('counts a request once against the rate limits when it hands it to Apollo', async () => {
    // Each of these fails during execution: the direct path runs it and hands its result to Apollo.
    await withServer({ limits: { perIpPerMinute: 3 } }, async (server, url) => {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await post(url, { query: `{ platformStats { institutions } }` })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(server.directQueries.counts.handedOver).toBe(3);
    });
    await withServer({ limits: { perActorPerMinute: 3 } }, async (server, url) => {
      const statuses = [];
      for (let i = 0; i < 4; i++) {
        const response = await post(url, { query: `{ institutions(first: 1000) { totalCount } }` }, { 'x-actor': 'operator' });
        statuses.push(response.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(server.directQueries.counts.handedOver).toBe(4);
      // Another actor is not held back by the operator's budget.
      expect((await post(url, { query: `{ platformStats { institutions } }` }, { 'x-actor': 'analyst' })).status).toBe(200);
    });
  });
});
