import fs from 'node:fs';
import path from 'node:path';
import {
  buildSchema,
  getNamedType,
  GraphQLEnumType,
  GraphQLList,
  GraphQLNonNull,
  isEnumType,
  isObjectType,
} from 'graphql';
import { startTestApp, TestApp } from './support/app';
import { ERROR_CODES } from '../src/common/errors';

const sdl = buildSchema(fs.readFileSync(path.join(__dirname, '..', 'graphql', 'schema.graphql'), 'utf8'));
const published = new Set(Object.keys(ERROR_CODES));

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

async function post(body: string, headers: Record<string, string> = {}) {
  const response = await fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text) };
}

const codesOf = (body: any): string[] => [
  ...(body.errors ?? []).map((error: any) => error.extensions?.code),
  ...Object.values(body.data ?? {}).flatMap((payload: any) => (payload?.userErrors ?? []).map((e: any) => e.code)),
];

describe('error codes: one published set', () => {
  it('the schema lists every code in the enum ErrorCode, each with a description, and nothing else', () => {
    const type = sdl.getType('ErrorCode');
    expect(isEnumType(type)).toBe(true);
    const values = (type as GraphQLEnumType).getValues();
    expect(values.map((value) => value.name).sort()).toEqual([...published].sort());
    for (const value of values) expect(value.description?.trim().length).toBeGreaterThan(10);
    // The codes most clients branch on are there.
    const branchedOn = ['UNAUTHENTICATED', 'NOT_FOUND', 'GRANT_AWAITS_APPROVAL', 'TOO_MANY_IDS', 'INVALID_TRANSITION'];
    for (const code of branchedOn) expect(published.has(code)).toBe(true);
  });

  it('UserError.code is the enum, and every mutation payload has userErrors', () => {
    const userError = sdl.getType('UserError');
    if (!isObjectType(userError)) throw new Error('UserError is not an object type');
    const code = userError.getFields().code.type;
    expect(code instanceof GraphQLNonNull && getNamedType(code).name).toBe('ErrorCode');
    const missing = Object.entries(sdl.getMutationType()!.getFields())
      .filter(([, field]) => {
        const payload = getNamedType(field.type);
        const userErrors = isObjectType(payload) ? payload.getFields().userErrors?.type : undefined;
        const list = userErrors instanceof GraphQLNonNull ? userErrors.ofType : null;
        return !(list instanceof GraphQLList && getNamedType(list).name === 'UserError');
      })
      .map(([name]) => name);
    expect(missing).toEqual([]);
  });

  it('real refusals on every path carry codes of the enum', async () => {
    const seen: string[] = [];
    const note = (body: any) => seen.push(...codesOf(body));
    // Apollo's own refusals, a field error, a business rule, and answers written outside GraphQL.
    note((await post(JSON.stringify({ query: '{' }))).body);
    note((await post(JSON.stringify({ query: '{ noSuchField }' }))).body);
    note((await post(JSON.stringify({ query: 'mutation { logout(input: {}) { sessionsEnded } }' }))).body);
    const login =
      'mutation { login(input: { email: "no@example.com", password: "wrong password 1" }) { userErrors { code } } }';
    note((await post(JSON.stringify({ query: login }))).body);
    note((await post('{"query":', {})).body);
    note((await post(JSON.stringify({ query: '{ viewer { id } }' }), { authorization: 'Bearer not.a.token' })).body);
    const notFound = await fetch(new URL('/no-such-path', app.url));
    note(await notFound.json());
    expect(seen).toEqual(
      expect.arrayContaining([
        'GRAPHQL_PARSE_FAILED',
        'GRAPHQL_VALIDATION_FAILED',
        'UNAUTHENTICATED',
        'INVALID_CREDENTIALS',
        'BAD_REQUEST',
        'NOT_FOUND',
      ]),
    );
    expect(seen.filter((code) => !published.has(code))).toEqual([]);
  });

  it('nodes with more than 100 IDs is a limit error, not NOT_FOUND', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `missing-${i}`);
    const response = await app.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids });
    expect(response.status).toBe(200);
    expect(response.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/at most 100 IDs/),
        extensions: { code: 'TOO_MANY_IDS' },
      }),
    ]);
    const hundred = await app.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: ids.slice(0, 100) });
    expect(hundred.errors).toBeUndefined();
    expect(hundred.data.nodes).toHaveLength(100);
  });

  it('importCreditRecords answers userErrors like every mutation', async () => {
    const record = {
      uscc: '91230123MA1C4D5E6F',
      source: 'TAX',
      sourceReference: 'TAX-EC-1',
      indicator: 'A级纳税人',
      polarity: 'POSITIVE',
      recordedOn: '2026-04-01',
    };
    const response = await app.gql(
      `mutation($input: ImportCreditRecordsInput!) {
        importCreditRecords(input: $input) { imported rejected { line } userErrors { field message code } }
      }`,
      { input: { records: [record] } },
      'operator',
    );
    expect(response.errors).toBeUndefined();
    expect(response.data.importCreditRecords.userErrors).toEqual([]);
  });
});

describe('unauthenticated answers (docs/adr/0102-unauthenticated-answers.md)', () => {
  const VIEWER_AND_PRODUCTS = '{ viewer { id } loanProducts(first: 1) { totalCount } }';
  const NEEDS_ACTOR = 'mutation { logout(input: {}) { sessionsEnded } }';

  it('without credentials it runs as anonymous: HTTP 200, UNAUTHENTICATED where sign-in is needed', async () => {
    for (const accept of ['application/json', 'application/graphql-response+json']) {
      const open = await post(JSON.stringify({ query: VIEWER_AND_PRODUCTS }), { accept });
      expect(open.status).toBe(200);
      expect(open.body.data.viewer).toBeNull();
      expect(typeof open.body.data.loanProducts.totalCount).toBe('number');

      const refused = await post(JSON.stringify({ query: NEEDS_ACTOR }), { accept });
      expect(refused.status).toBe(200);
      expect(refused.body).toHaveProperty('data');
      expect(refused.body.errors.map((e: any) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
      expect(refused.headers.get('www-authenticate')).toBeNull();
    }
  });

  it('a credential sent and refused denies the whole request: HTTP 401, a Bearer challenge, no data', async () => {
    for (const accept of ['application/json', 'application/graphql-response+json']) {
      for (const headers of [{ authorization: 'Bearer not.a.token' }, { authorization: 'Basic dXNlcjpwYXNz' }]) {
        const refused = await post(JSON.stringify({ query: VIEWER_AND_PRODUCTS }), { accept, ...headers });
        expect(refused.status).toBe(401);
        expect(refused.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
        expect(refused.body).not.toHaveProperty('data');
        expect(refused.body.errors.map((e: any) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
      }
    }
  });
});
