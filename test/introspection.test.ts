import { buildClientSchema, getIntrospectionQuery, printSchema } from 'graphql';
import { buildAppSchema } from '../src/schema';
import { startServer } from '../src/server';
import { startTestApp, TestApp } from './support/app';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

/** What GraphiQL, Apollo Sandbox, graphql-codegen, Postman and Insomnia send (with every option on). */
const toolsQuery = getIntrospectionQuery({
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
});

async function post(url: string, query: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, operationName: 'IntrospectionQuery' }),
  });
  return { status: response.status, body: (await response.json()) as any };
}

describe('introspection for tools in development', () => {
  it('answers the standard introspection query with the whole schema', async () => {
    for (const query of [getIntrospectionQuery(), toolsQuery]) {
      const { status, body } = await post(app.url, query);
      expect(body.errors).toBeUndefined();
      expect(status).toBe(200);
      // The tools' schema is the server's, descriptions included.
      expect(printSchema(buildClientSchema(body.data))).toBe(printSchema(buildAppSchema()));
    }
  });

  it('still counts aliases inside introspection, and the depth and cost of data fields beside it', async () => {
    const aliases = Array.from({ length: 31 }, (_, i) => `t${i}: types { name }`).join(' ');
    const greedy = await post(app.url, `query IntrospectionQuery { __schema { ${aliases} } }`);
    expect(greedy.status).toBe(400);
    expect(greedy.body.errors[0].extensions.code).toBe('TOO_MANY_ALIASES');
    const costly = await post(
      app.url,
      'query IntrospectionQuery { __schema { queryType { name } } ' +
        'institutions(first: 100) { nodes { loanProducts(first: 100) { nodes { id name } } } } }',
    );
    expect(costly.body.errors[0].extensions.code).toBe('QUERY_TOO_COSTLY');
  });

  it('is refused in production', async () => {
    const production = await startServer(
      { dataSource: app.dataSource, production: true, auth: { jwtSecret: 'x'.repeat(40), accessTokenTtlSeconds: 900 } },
      0,
      '127.0.0.1',
    );
    try {
      const { status, body } = await post(production.url.replace('localhost', '127.0.0.1'), getIntrospectionQuery());
      expect(status).toBe(400);
      expect(body.data).toBeUndefined();
      expect(body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    } finally {
      await production.stop();
    }
  });
});
