import { startTestApp, TestApp } from './support/app';
import { startServer, RunningServer } from '../src/server';
import { buildAppSchema } from '../src/schema';
import { parse, OperationDefinitionNode } from 'graphql';
import { measureOperation } from '../src/common/abuse-limits';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

async function withServer(options: Partial<Parameters<typeof startServer>[0]>, run: (url: string) => Promise<void>) {
  const server: RunningServer = await startServer(
    { dataSource: app.dataSource, production: false, ...options },
    0,
    '127.0.0.1',
  );
  try {
    await run(server.url.replace('localhost', '127.0.0.1'));
  } finally {
    await server.stop();
  }
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text), text };
}

const nested = (levels: number) => {
  let selection = 'id';
  for (let i = 0; i < levels; i++)
    selection =
      `financingRequest { enterprise { financingRequests(first: 1) { nodes { ` +
      `applications(first: 1) { nodes { ${selection} } } } } } }`;
  return `{ applications(first: 1) { nodes { ${selection} } } }`;
};

describe('abuse limits, enforced before execution', () => {
  it('measures cost by page sizes, not by field count', () => {
    const schema = buildAppSchema();
    const document = parse(
      `query($n: Int) { applications(first: $n) { totalCount nodes { id events(first: 10) { nodes { toStatus } } } } }`,
    );
    const operation = document.definitions[0] as OperationDefinitionNode;
    // 1 (applications) + 50 × (totalCount + nodes + id + events) ... : the events multiply by 10 per application.
    const small = measureOperation(schema, document, operation, { n: 5 });
    const large = measureOperation(schema, document, operation, { n: 50 });
    expect(large.cost).toBeGreaterThan(small.cost * 9);
    expect(large.depth).toBe(small.depth);
  });

  it('measures fragments that spread each other many times without walking every expansion', async () => {
    // F0 spreads F1 twice, F1 spreads F2 twice … : 2^40 expansions of F40's one field.
    const levels = 40;
    const fragments = Array.from(
      { length: levels },
      (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`,
    ).join('\n');
    const query = `{ ...F0 }\n${fragments}\nfragment F${levels} on Query { institutions(first: 1) { totalCount } }`;
    const { operation, document } = (() => {
      const document = parse(query);
      return { document, operation: document.definitions[0] as OperationDefinitionNode };
    })();
    expect(measureOperation(buildAppSchema(), document, operation, {}).cost).toBe(2 ** 40 * 2);
    const response = await app.gql(query, {}, 'operator');
    expect(response.status).toBe(400);
    expect(response.errors?.[0].extensions?.code).toBe('QUERY_TOO_COSTLY');
  });

  it('refuses a query nested too deep', async () => {
    const response = await app.gql(nested(3), {}, 'operator');
    expect(response.status).toBe(400);
    expect(response.errors?.[0].extensions?.code).toBe('QUERY_TOO_DEEP');
    const absurd = await app.gql(`{ a${'{ a'.repeat(5000)}${' }'.repeat(5001)}`, {}, 'operator');
    expect(absurd.status).toBe(400);
    expect(absurd.errors?.[0].extensions?.code).toBe('QUERY_TOO_DEEP');
    // List literals nest the parser as deeply as selections: refused before it runs out of stack.
    const lists = `${'['.repeat(5000)}1${']'.repeat(5000)}`;
    for (const value of [lists, `{ a: ${lists} }`]) {
      const response = await app.gql(`{ node(id: ${value}) { id } }`, {}, 'operator');
      const seen = { status: response.status, code: response.errors?.[0].extensions?.code };
      expect(seen).toEqual({ status: 400, code: 'QUERY_TOO_DEEP' });
      expect(response.raw).not.toContain('call stack');
    }
    // Fragments spreading each other in a chain nest as deeply, through the validation's recursion.
    const chain = (n: number) =>
      Array.from({ length: n }, (_, i) => `fragment F${i} on Query { ${i + 1 < n ? `...F${i + 1}` : '__typename'} }`);
    const long = await app.gql(`{ ...F0 }\n${chain(5000).join('\n')}`, {}, 'operator');
    expect({ status: long.status, code: long.errors?.[0].extensions?.code }).toEqual({
      status: 400,
      code: 'TOO_MANY_DEFINITIONS',
    });
    expect((await app.gql(`{ ...F0 }\n${chain(50).join('\n')}`, {}, 'operator')).data).toEqual({ __typename: 'Query' });
    // A query sent with GET (its text in the URL) passes the same guard.
    const url = `${app.url}?query=${encodeURIComponent(`{ node(id: ${lists.slice(4000, -4000)}) { id } }`)}`;
    const viaGet = await fetch(url, { headers: { 'apollo-require-preflight': '1', 'x-actor': 'operator' } });
    expect({ status: viaGet.status, body: await viaGet.json() }).toEqual({
      status: 400,
      body: { errors: [expect.objectContaining({ extensions: { code: 'QUERY_TOO_DEEP' } })] },
    });
  });

  it('refuses too many aliases and too costly pages', async () => {
    const aliases = `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: institutions { totalCount }`).join(' ')} }`;
    expect((await app.gql(aliases)).errors?.[0].extensions?.code).toBe('TOO_MANY_ALIASES');
    const costly =
      `{ applications(first: 100) { nodes { events(first: 100) { nodes { id } }` +
      ` financingRequest { applications(first: 100) { nodes { id } } } } } }`;
    const response = await app.gql(costly, {}, 'operator');
    expect(response.status).toBe(400);
    expect(response.errors?.[0].extensions?.code).toBe('QUERY_TOO_COSTLY');
    const viaVariables = await app.gql(
      `query($n: Int) { applications(first: $n) { nodes { events(first: $n) { nodes { id } }` +
        ` financingRequest { applications(first: $n) { nodes { id } } } } } }`,
      { n: 100 },
      'operator',
    );
    expect(viaVariables.errors?.[0].extensions?.code).toBe('QUERY_TOO_COSTLY');
    expect(
      (await app.gql(`query($n: Int) { applications(first: $n) { nodes { id } } }`, { n: 100 }, 'operator')).errors,
    ).toBeUndefined();
  });

  it('in production, costs variables as coerced (defaults included) and nodes(ids:) by its list', async () => {
    const production = { production: true, auth: { jwtSecret: 'y'.repeat(40), accessTokenTtlSeconds: 900 } };
    await withServer(production, async (url) => {
      // At the default page size (20) this would cost under the limit; its default makes every page 100.
      const defaulted = `query($n: Int = 100) { institutions(first: $n) { nodes {
        loanProducts(first: $n) { nodes { id name institution { loanProducts(first: $n) { nodes { id } } } } } } } }`;
      for (const variables of [undefined, {}]) {
        const response = await post(url, { query: defaulted, variables });
        const seen = { variables, status: response.status, code: response.body.errors?.[0].extensions.code };
        expect(seen).toEqual({ variables, status: 400, code: 'QUERY_TOO_COSTLY' });
      }
      expect((await post(url, { query: defaulted, variables: { n: 5 } })).body.errors).toBeUndefined();
      // 100 IDs are 100 objects, each with a page of 100 products: not the 10 a plain list is assumed to hold.
      const ids = Array.from({ length: 100 }, (_, i) => Buffer.from(`Institution:${i + 1}`).toString('base64'));
      const selection = `{ ... on Institution { loanProducts(first: 100) { nodes { id name } } } }`;
      const viaVariable = `query($ids: [ID!]!) { nodes(ids: $ids) ${selection} }`;
      const literal = `{ nodes(ids: ${JSON.stringify(ids)}) ${selection} }`;
      for (const [query, variables] of [
        [viaVariable, { ids }],
        [literal, {}],
      ] as const) {
        const response = await post(url, { query, variables });
        expect(response.body.errors?.[0].extensions.code).toBe('QUERY_TOO_COSTLY');
      }
      const few = await post(url, { query: viaVariable, variables: { ids: ids.slice(0, 5) } });
      expect(few.body.errors).toBeUndefined();
    });
  });

  it('refuses batches and oversized bodies', async () => {
    const batch = await post(app.url, [
      { query: '{ institutions { totalCount } }' },
      { query: '{ institutions { totalCount } }' },
    ]);
    expect(batch.status).toBe(400);
    expect(batch.text).not.toMatch(/at .*\.js/);
    const huge = await post(app.url, { query: `{ institutions { totalCount } } # ${'x'.repeat(600 * 1024)}` });
    expect(huge.status).toBe(413);
    expect(huge.body.errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('answers over-eager clients with 429 and Retry-After, per IP and per actor', async () => {
    await withServer({ limits: { perIpPerMinute: 5 } }, async (url) => {
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await post(url, { query: '{ institutions { totalCount } }' })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      const limited = await post(url, { query: '{ institutions { totalCount } }' });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(limited.body.errors[0].extensions.code).toBe('RATE_LIMITED');
    });
    await withServer({ limits: { perActorPerMinute: 3 } }, async (url) => {
      const statuses = [];
      for (let i = 0; i < 4; i++)
        statuses.push(
          (await post(url, { query: '{ institutions { totalCount } }' }, { 'x-actor': 'operator' })).status,
        );
      expect(statuses).toEqual([200, 200, 200, 429]);
      // Another actor (anonymous here) is not held back by the operator's budget.
      expect((await post(url, { query: '{ institutions { totalCount } }' })).status).toBe(200);
    });
  });

  it('in production: no introspection, no sandbox, no field suggestions', async () => {
    await withServer(
      { production: true, auth: { jwtSecret: 'y'.repeat(40), accessTokenTtlSeconds: 900 } },
      async (url) => {
        const introspection = await post(url, { query: '{ __schema { types { name } } }' });
        expect(introspection.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
        const typo = await post(url, { query: '{ institution { totalCount } }' });
        expect(typo.body.errors[0].message).not.toMatch(/Did you mean/);
        const page = await fetch(url, { headers: { accept: 'text/html' } });
        expect(await page.text()).not.toContain('sandbox');
      },
    );
    const typo = await app.gql('{ institution { totalCount } }');
    expect(typo.errors?.[0].message).toMatch(/Did you mean "institutions"/);
  });
});
