import zlib from 'node:zlib';
import type { ApolloServerPlugin } from '@apollo/server';
import { startTestApp, TestApp } from './support/app';
import { startServer, RunningServer } from '../src/server';
import type { RequestContext } from '../src/common/context';
import { recordOf, RequestRecord } from '../src/common/http/request-lifecycle';
import {
  applyToProduct,
  createInstitution,
  createPublishedProduct,
  postRequest,
  registerEnterprise,
} from './support/fixtures';

// Every request to /graphql takes one path (src/common/http/graphql-http.ts into Apollo Server):
// what a plugin or a request hook is given, it is given for queries and mutations, successes,
// refusals and errors alike.

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
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text), text };
}

async function withServer(
  options: Partial<Parameters<typeof startServer>[0]>,
  run: (server: RunningServer, url: string) => Promise<void>,
) {
  const server = await startServer({ dataSource: app.dataSource, production: false, ...options }, 0, '127.0.0.1');
  try {
    await run(server, server.url.replace('localhost', '127.0.0.1'));
  } finally {
    await server.stop();
  }
}

/** What a registered Apollo plugin is told about each request. */
interface PluginView {
  recordId?: string;
  operationName?: string;
  status?: number;
  codes: string[];
  errors: string[];
}

function observingPlugin() {
  const requests: PluginView[] = [];
  const contextFailures: string[] = [];
  const plugin: ApolloServerPlugin<RequestContext> = {
    async contextCreationDidFail({ error }) {
      contextFailures.push(String((error as { extensions?: { code?: unknown } }).extensions?.code));
    },
    async requestDidStart({ contextValue }) {
      const view: PluginView = {
        recordId: contextValue.request && recordOf(contextValue.request)?.id,
        codes: [],
        errors: [],
      };
      requests.push(view);
      return {
        async didResolveOperation({ operationName }) {
          view.operationName = operationName ?? undefined;
        },
        async didEncounterErrors({ errors }) {
          for (const error of errors) view.errors.push(error.message);
        },
        async willSendResponse({ response }) {
          view.status = response.http.status ?? 200;
          if (response.body.kind === 'single') {
            for (const error of response.body.singleResult.errors ?? [])
              view.codes.push(String(error.extensions?.code));
          }
        },
      };
    },
  };
  return { plugin, requests, contextFailures };
}

describe('one path for every GraphQL request', () => {
  it('a plugin and a request hook both see a query, a mutation, refusals, validation and resolver errors', async () => {
    const seen = observingPlugin();
    const options = { plugins: [seen.plugin], limits: { perActorPerMinute: 4 } };
    await withServer(options, async (server, url) => {
      const started: RequestRecord[] = [];
      const ended: RequestRecord[] = [];
      const errors: unknown[] = [];
      server.requests.register({
        onRequestStart: (request) => started.push(request),
        onRequestEnd: (request) => ended.push({ ...request }),
        onError: (_request, error) => errors.push(error),
      });
      const operator = { 'x-actor': 'operator' };
      const statuses = [];
      statuses.push((await post(url, { query: 'query Count { institutions { totalCount } }' }, operator)).status);
      const onboard = {
        query:
          'mutation Onboard($input: CreateInstitutionInput!) ' +
          '{ createInstitution(input: $input) { institution { id } } }',
        variables: { input: { name: '吉林银行', type: 'BANK', regionsServed: ['220000'], responseDeadlineDays: 3 } },
      };
      statuses.push((await post(url, onboard, operator)).status);
      const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(' ');
      statuses.push((await post(url, { query: `query Aliased { ${aliases} }` })).status);
      statuses.push((await post(url, { query: '{ institutions { totalCont } }' }, operator)).status);
      const list = server.services.institution.list;
      server.services.institution.list = async () => {
        throw new Error('a defect deep in a service');
      };
      try {
        statuses.push((await post(url, { query: 'query Broken { institutions { totalCount } }' }, operator)).status);
      } finally {
        server.services.institution.list = list;
      }
      // The operator's fifth request this minute: refused while its context is made.
      statuses.push((await post(url, { query: 'query Count { institutions { totalCount } }' }, operator)).status);
      // Refused before GraphQL: too large a body.
      statuses.push((await post(url, { query: '{ __typename }', padding: 'x'.repeat(600 * 1024) })).status);
      expect(statuses).toEqual([200, 200, 400, 400, 200, 429, 413]);
      for (let waited = 0; ended.length < 7 && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10));

      expect(ended.map((r) => [r.operationName, r.operationType, r.status, r.outcome, r.refusal])).toEqual([
        ['Count', 'query', 200, 'success', undefined],
        ['Onboard', 'mutation', 200, 'success', undefined],
        ['Aliased', 'query', 400, 'refused', 'aliases'],
        [undefined, undefined, 400, 'client_error', undefined],
        ['Broken', 'query', 200, 'error', undefined],
        [undefined, undefined, 429, 'refused', 'rate_actor'],
        [undefined, undefined, 413, 'refused', 'body_size'],
      ]);
      expect(started.map((r) => r.id)).toEqual(ended.map((r) => r.id));
      expect(ended[3].errorCodes).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(ended[4].errorCodes).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(errors.map((error) => (error as Error).message)).toEqual(['a defect deep in a service']);

      // Apollo's plugins see every request that reaches GraphQL, on the same request records.
      expect(seen.requests.map((r) => [r.recordId, r.operationName, r.status, r.codes])).toEqual([
        [ended[0].id, 'Count', 200, []],
        [ended[1].id, 'Onboard', 200, []],
        [ended[2].id, 'Aliased', 400, ['TOO_MANY_ALIASES']],
        [ended[3].id, undefined, 400, ['GRAPHQL_VALIDATION_FAILED']],
        [ended[4].id, 'Broken', 200, ['INTERNAL_SERVER_ERROR']],
      ]);
      expect(seen.requests[3].errors[0]).toMatch(/totalCont/);
      expect(seen.requests[4].errors).toEqual(['a defect deep in a service']);
      // A request refused while its context is made never starts as a GraphQL request; plugins hear of it here.
      expect(seen.contextFailures).toEqual(['RATE_LIMITED']);
    });
  });

  it('answers queries, mutations and every kind of error through Apollo', async () => {
    const queries: Array<{ body: Record<string, unknown>; actor: string }> = [
      {
        body: {
          query:
            `{ node(id: "${requestId}") { id ... on FinancingRequest ` +
            `{ amount termMonths status postedAt enterprise { name } } } }`,
        },
        actor: enterpriseId,
      },
      {
        body: {
          query: `query Mine($first: Int!, $status: FinancingRequestStatus) {
                    financingRequests(first: $first, status: $status) {
                      totalCount edges { cursor node { ...Need } } pageInfo { hasNextPage endCursor }
                    }
                  }
                  fragment Need on FinancingRequest {
                    id amount applications(first: 5) { nodes { id status loanProduct { name institution { name } } } }
                    matches(first: 3) { nodes { rank quotedRate reasons { creditGrade } } }
                  }
                  query Other { platformStats { institutions } }`,
          operationName: 'Mine',
          variables: { first: 10, status: 'OPEN' },
        },
        actor: 'operator',
      },
      {
        body: {
          query: `{ platformStats { enterprisesRegistered requested { count amount } weightedAverageGrantedRate } }`,
          variables: null,
        },
        actor: 'analyst',
      },
      { body: { query: `{ institutions(first: 5) { nodes { id name } } }` }, actor: '' },
    ];
    for (const { body, actor } of queries) {
      const response = await post(app.url, body, actor ? { 'x-actor': actor } : {});
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(response.body.errors).toBeUndefined();
    }
    const node = (await post(app.url, queries[0].body, { 'x-actor': enterpriseId })).body.data.node;
    expect(node.id).toBe(requestId);
    // The reasons are read only when asked for, here through a fragment (src/common/selection.ts).
    const needs = (await post(app.url, queries[1].body, { 'x-actor': 'operator' })).body.data.financingRequests.edges;
    expect(needs.length).toBeGreaterThan(0);
    const matched = needs.flatMap((edge: any) => edge.node.matches.nodes);
    expect(matched.length).toBeGreaterThan(0);
    for (const match of matched) expect(match.reasons.creditGrade).toMatch(/^[A-E]/);

    const cases: Array<{ body: Record<string, unknown>; actor?: string; status: number; code?: string }> = [
      {
        body: { query: `{ institutions(first: 1, after: "zzz") { totalCount } }` },
        actor: 'operator',
        status: 200,
        code: 'BAD_USER_INPUT',
      },
      { body: { query: `{ platformStats { institutions } }` }, status: 200, code: 'UNAUTHENTICATED' },
      {
        body: {
          query: `query($first: Int!) { institutions(first: $first) { totalCount } }`,
          variables: { first: 'many' },
        },
        actor: 'operator',
        status: 400,
        code: 'BAD_USER_INPUT',
      },
      {
        body: { query: `{ institutions { totalCont } }` },
        actor: 'operator',
        status: 400,
        code: 'GRAPHQL_VALIDATION_FAILED',
      },
      {
        body: { query: `{ institutions(first: 100) { nodes { loanProducts(first: 100) { nodes { id } } } } }` },
        actor: 'operator',
        status: 400,
        code: 'QUERY_TOO_COSTLY',
      },
      {
        body: { extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } },
        status: 200,
        code: 'PERSISTED_QUERY_NOT_FOUND',
      },
      {
        body: {
          query: `mutation { login(input: { email: "nobody@example.com", password: "wrong password" }) { token } }`,
        },
        status: 200,
      },
    ];
    for (const { body, actor, status, code } of cases) {
      const response = await post(app.url, body, actor ? { 'x-actor': actor } : {});
      expect({ status: response.status, code: response.body.errors?.[0]?.extensions?.code }).toEqual({ status, code });
      expect(response.text).not.toMatch(/at .*\.js|SELECT/);
    }
    const long = await post(
      app.url,
      { query: `{ institutions { totalCount } } # ${'x'.repeat(20_000)}` },
      { 'x-actor': 'operator' },
    );
    expect(long.status).toBe(200);
    expect(long.body.data.institutions.totalCount).toBeGreaterThan(0);
    const oddName = await post(
      app.url,
      { query: 'query Foo { institutions { totalCount } }', operationName: 'Foo\u0000query' },
      { 'x-actor': 'operator' },
    );
    expect({ status: oddName.status, code: oddName.body.errors[0].extensions.code }).toEqual({
      status: 400,
      code: 'OPERATION_RESOLUTION_FAILURE',
    });
    const unknownName = await post(
      app.url,
      { query: 'query Foo { institutions { totalCount } }', operationName: 'Bar' },
      { 'x-actor': 'operator' },
    );
    expect({ status: unknownName.status, code: unknownName.body.errors[0].extensions.code }).toEqual({
      status: 400,
      code: 'OPERATION_RESOLUTION_FAILURE',
    });
    expect(unknownName.body.errors[0].message).toBe('No operation in the document has the given operationName.');
    const badToken = await post(
      app.url,
      { query: '{ institutions { totalCount } }' },
      { authorization: 'Bearer nonsense' },
    );
    expect(badToken.status).toBe(401);
    expect(badToken.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('reads bodies as a JSON body parser does, and refuses the rest with a typed error', async () => {
    const send = async (body: string | Buffer, headers: Record<string, string>, method = 'POST') => {
      const response = await fetch(app.url, { method, headers: { 'x-actor': 'operator', ...headers }, body });
      const text = await response.text();
      return { status: response.status, text, json: () => JSON.parse(text) };
    };
    const query = JSON.stringify({ query: '{ institutions { totalCount } }' });
    const json = { 'content-type': 'application/json' };
    // A byte order mark is dropped; gzip, deflate and br bodies are inflated.
    expect((await send(`\uFEFF${query}`, json)).json().data.institutions.totalCount).toBeGreaterThan(0);
    for (const [encoding, inflated] of [
      ['gzip', zlib.gzipSync(query)],
      ['deflate', zlib.deflateSync(query)],
      ['br', zlib.brotliCompressSync(query)],
    ] as const) {
      const response = await send(inflated, { ...json, 'content-encoding': encoding });
      expect({ encoding, status: response.status }).toEqual({ encoding, status: 200 });
    }
    const refusal = (message: string) => ({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
    expect((await send('{"query": ', json)).json()).toEqual(refusal('Malformed JSON body'));
    expect((await send('"{ institutions { totalCount } }"', json)).status).toBe(400);
    expect((await send(zlib.gzipSync('x'.repeat(600 * 1024)), { ...json, 'content-encoding': 'gzip' })).status).toBe(
      413,
    );
    expect((await send(query, { ...json, 'content-encoding': 'compress' })).json()).toEqual(refusal('Bad request'));
    expect((await send(query, { 'content-type': 'application/json; charset=latin1' })).status).toBe(415);
    // Another content type is not read: Apollo's CSRF prevention refuses it.
    const plain = await send(query, { 'content-type': 'text/plain' });
    expect(plain.status).toBe(400);
    expect(plain.text).toMatch(/CSRF|preflight/i);
    // GET: queries only, with a preflight header; browsers in development get the sandbox page.
    const get = await fetch(`${app.url}?query=${encodeURIComponent('{ institutions { totalCount } }')}`, {
      headers: { 'x-actor': 'operator', 'apollo-require-preflight': '1' },
    });
    expect(((await get.json()) as any).data.institutions.totalCount).toBeGreaterThan(0);
    const mutationByGet = await fetch(
      `${app.url}?query=${encodeURIComponent('mutation { renewToken(input: {}) { token } }')}`,
      {
        headers: { 'apollo-require-preflight': '1' },
      },
    );
    expect(mutationByGet.status).toBe(405);
    const page = await fetch(app.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/sandbox/i);
  });

  it('describes the public schema to introspection', async () => {
    const idType = `fields(includeDeprecated: false) { name type { kind ofType { name } } }`;
    for (const query of [
      `{ __type(name: "LoanProduct") { ${idType} } }`,
      `query { ...Described } fragment Described on Query { __type(name: "LoanProduct") { ${idType} } }`,
    ]) {
      const response = await post(app.url, { query }, { 'x-actor': 'operator' });
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data.__type.fields.find((field: any) => field.name === 'id').type).toEqual({
        kind: 'NON_NULL',
        ofType: { name: 'ID' },
      });
    }
    const types = await post(app.url, { query: `{ __schema { types { name } } }` }, { 'x-actor': 'operator' });
    expect(types.body.data.__schema.types.map((type: any) => type.name)).toContain('Node');
    expect(JSON.stringify(types.body)).not.toMatch(/GlobalId/);
  });

  it("runs a query that fails during execution once, with graphql-js's null propagation", async () => {
    const good = `{ institutions(first: 3) { totalCount nodes { name } } }`;
    const statementsOf = async (query: string) => {
      app.statements.count = 0;
      const response = await post(app.url, { query }, { 'x-actor': 'operator' });
      return { statements: app.statements.count, response };
    };
    const alone = await statementsOf(good);
    expect(alone.response.body.errors).toBeUndefined();
    // The page and its count are read while a malformed cursor fails the sibling field.
    const failing = await statementsOf(
      `{ institutions(first: 3) { totalCount nodes { name } } ` +
        `bad: institutions(first: 1, after: "zzz") { totalCount } }`,
    );
    expect(failing.response.status).toBe(200);
    expect(failing.response.body.errors.map((e: any) => ({ code: e.extensions.code, path: e.path }))).toEqual([
      { code: 'BAD_USER_INPUT', path: ['bad'] },
    ]);
    // Both root fields are non-null, so the error nulls the whole answer, as graphql-js would.
    expect(failing.response.body.data).toBeNull();
    expect(alone.statements).toBeGreaterThan(0);
    expect(failing.statements).toBe(alone.statements);
  });

  it('counts a request once against each rate limit', async () => {
    await withServer({ limits: { perIpPerMinute: 3 } }, async (_server, url) => {
      const statuses = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await post(url, { query: `{ platformStats { institutions } }` })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
    });
    await withServer({ limits: { perActorPerMinute: 3 } }, async (_server, url) => {
      const statuses = [];
      for (let i = 0; i < 4; i++) {
        const response = await post(
          url,
          { query: `{ institutions(first: 1000) { totalCount } }` },
          { 'x-actor': 'operator' },
        );
        statuses.push(response.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      // Another actor is not held back by the operator's budget.
      expect((await post(url, { query: `{ platformStats { institutions } }` }, { 'x-actor': 'analyst' })).status).toBe(
        200,
      );
    });
  });
});
