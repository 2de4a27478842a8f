import {
  getNamedType,
  getNullableType,
  GraphQLList,
  isInterfaceType,
  isLeafType,
  isObjectType,
  GraphQLField,
} from 'graphql';
import { buildAppSchema } from '../src/schema';
import { startTestApp, TestApp } from './support/app';
import { createInstitution, createPublishedProduct, postRequest, registerEnterprise } from './support/fixtures';
import { operation } from './support/operations';

/**
 * Two-way keyset pagination on every connection: the schema offers first/after and last/before on
 * each, and walking representative lists forward and backward gives the same items, with PageInfo
 * right at every step. Cursors are opaque and versioned; anything else is a typed refusal.
 */

/** Plain lists whose length follows the data and that declare no bound (costed at 100 each). */
const UNDECLARED_PLAIN_LISTS = [
  'Query.holidaySchedules',
  'Query.statsBreakdown',
  'Query.statsSeries',
  'WebhookDelivery.attemptLog',
];

describe('the schema', () => {
  const schema = buildAppSchema();
  const fields = () =>
    Object.values(schema.getTypeMap())
      .filter((type) => !type.name.startsWith('__') && (isObjectType(type) || isInterfaceType(type)))
      .flatMap((type) =>
        Object.values((type as { getFields(): Record<string, GraphQLField<unknown, unknown>> }).getFields()).map(
          (field) => ({ owner: type.name, field }),
        ),
      );

  it('gives every connection field first/after and last/before', () => {
    const connections = fields().filter(({ field }) => getNamedType(field.type).name.endsWith('Connection'));
    expect(connections.length).toBeGreaterThanOrEqual(19);
    for (const { owner, field } of connections) {
      const args = Object.fromEntries(field.args.map((arg) => [arg.name, String(arg.type)]));
      expect({ field: `${owner}.${field.name}`, ...args }).toMatchObject({
        field: `${owner}.${field.name}`,
        first: 'Int',
        after: 'String',
        last: 'Int',
        before: 'String',
      });
    }
  });

  it('bounds every plain list of objects (declared maxItems) or makes it a connection', () => {
    const undeclared = fields()
      .filter(({ owner, field }) => {
        if (!(getNullableType(field.type) instanceof GraphQLList)) return false;
        if (isLeafType(getNamedType(field.type))) return false; // no selection below: costs 1
        if (owner.endsWith('Connection')) return false; // edges and nodes: the page
        if (field.args.some((arg) => getNullableType(arg.type) instanceof GraphQLList)) return false; // nodes(ids:)
        return typeof field.extensions?.maxItems !== 'number';
      })
      .map(({ owner, field }) => `${owner}.${field.name}`)
      .sort();
    expect(undeclared).toEqual(UNDECLARED_PLAIN_LISTS);
  });
});

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

interface Page {
  edges: Array<{ cursor: string; node: Record<string, any> }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

/**
 * Walks a connection to its end with pages of `size`, forward (first/after) or backward
 * (last/before), checking PageInfo on every page; returns the nodes in the list's order.
 */
async function walk(
  fetchPage: (args: Record<string, unknown>) => Promise<Page>,
  direction: 'forward' | 'backward',
  size: number,
): Promise<Array<Record<string, any>>> {
  const pages: Array<Array<Record<string, any>>> = [];
  let cursor: string | null = null;
  for (let step = 0; step < 50; step++) {
    const args = direction === 'forward' ? { first: size, after: cursor } : { last: size, before: cursor };
    const page = await fetchPage(args);
    const { pageInfo, edges } = page;
    expect(edges.length).toBeLessThanOrEqual(size);
    expect(pageInfo.startCursor).toBe(edges[0]?.cursor ?? null);
    expect(pageInfo.endCursor).toBe(edges.at(-1)?.cursor ?? null);
    // The flag away from the direction of paging says whether a cursor stood in that direction.
    if (direction === 'forward') expect(pageInfo.hasPreviousPage).toBe(cursor !== null);
    else expect(pageInfo.hasNextPage).toBe(cursor !== null);
    pages.push(edges.map((edge) => edge.node));
    const more = direction === 'forward' ? pageInfo.hasNextPage : pageInfo.hasPreviousPage;
    if (!more) {
      const all = (direction === 'forward' ? pages : pages.reverse()).flat();
      expect(all).toHaveLength(page.totalCount);
      return all;
    }
    expect(edges).toHaveLength(size);
    cursor = direction === 'forward' ? pageInfo.endCursor : pageInfo.startCursor;
  }
  throw new Error('the connection did not end');
}

/** Both ways, several page sizes: always the whole list, in the same order. */
async function expectBothWays(fetchPage: (args: Record<string, unknown>) => Promise<Page>, expected: unknown[]) {
  for (const size of [1, 2, 3, expected.length, expected.length + 1]) {
    expect(await walk(fetchPage, 'forward', size)).toEqual(expected);
    expect(await walk(fetchPage, 'backward', size)).toEqual(expected);
  }
}

const PAGE = `totalCount edges { cursor node { NODE } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`;
const page = (node: string) => PAGE.replace('NODE', node);
const ARGS = `$first: Int, $after: String, $last: Int, $before: String`;
const PASS = `first: $first, after: $after, last: $last, before: $before`;

describe('paging both ways', () => {
  it('walks a top-level list (institutions) forward and backward', async () => {
    for (let i = 0; i < 5; i++) await createInstitution(app);
    const query = `query(${ARGS}) { institutions(${PASS}) { ${page('id name')} } }`;
    const fetchPage = async (args: Record<string, unknown>) => (await app.gql(query, args)).data.institutions;
    const all = (await fetchPage({ first: 100 })).edges.map((edge: any) => edge.node);
    expect(all).toHaveLength(5);
    await expectBothWays(fetchPage, all);
    // The last two, in the list's order.
    expect((await fetchPage({ last: 2 })).edges.map((edge: any) => edge.node)).toEqual(all.slice(3));
    // Between two cursors, forward and backward.
    const cursors = (await fetchPage({ first: 5 })).edges.map((edge: any) => edge.cursor);
    const between = await fetchPage({ after: cursors[0], before: cursors[4] });
    expect(between.edges.map((edge: any) => edge.node)).toEqual(all.slice(1, 4));
    const lastBetween = await fetchPage({ last: 2, after: cursors[0], before: cursors[4] });
    expect(lastBetween.edges.map((edge: any) => edge.node)).toEqual(all.slice(2, 4));
    expect(lastBetween.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
  });

  it('walks a batched child list (Institution.loanProducts) both ways', async () => {
    const bank = await createInstitution(app);
    for (let i = 0; i < 4; i++) await createPublishedProduct(app, bank.id);
    const query = `query($id: ID!, ${ARGS}) { node(id: $id) { ... on Institution {
      loanProducts(${PASS}) { ${page('id')} } } } }`;
    const fetchPage = async (args: Record<string, unknown>) =>
      (await app.gql(query, { id: bank.id, ...args }, bank.id)).data.node.loanProducts;
    const all = (await fetchPage({ first: 100 })).edges.map((edge: any) => edge.node);
    expect(all).toHaveLength(4);
    await expectBothWays(fetchPage, all);
  });

  it('walks a match page (FinancingRequest.matches) by score both ways, ranks kept', async () => {
    const bank = await createInstitution(app, { regionsServed: ['150000'] });
    const enterprise = await registerEnterprise(app, { regionCode: '150102', industryCode: 'C13', scale: 'SMALL' });
    // Equal rates for two products: the tie is broken by the product's ID.
    for (const maxRate of ['4.00', '5.00', '5.00', '6.00', '7.00']) {
      await createPublishedProduct(app, bank.id, { eligibleRegions: ['150000'], minRate: '3.50', maxRate });
    }
    await app.server.services.matching.workQueuedJobs();
    const request = await postRequest(app, enterprise.id, { maxRate: '8.00' });
    // The example operation of graphql/lifecycle.graphql.
    const fetchPage = async (args: Record<string, unknown>) =>
      (await app.gql(operation('MatchesPage'), { id: request.id, ...args }, enterprise.id)).data.node.matches;
    const all = (await fetchPage({ first: 100 })).edges.map((edge: any) => edge.node);
    expect(all.map((match: any) => match.rank)).toEqual([1, 2, 3, 4, 5]);
    await expectBothWays(fetchPage, all);

    // A reverse match page (LoanProduct.matchingRequests) for the bank, both ways.
    for (let i = 0; i < 2; i++) await postRequest(app, enterprise.id, { maxRate: '8.00', amount: `${200000 + i}.00` });
    const product = all[0].loanProduct.id;
    const reverse = `query($id: ID!, ${ARGS}) { node(id: $id) { ... on LoanProduct {
      matchingRequests(${PASS}) { ${page('rank matchScore financingRequest { id }')} } } } }`;
    const fetchReverse = async (args: Record<string, unknown>) =>
      (await app.gql(reverse, { id: product, ...args }, bank.id)).data.node.matchingRequests;
    const requests = (await fetchReverse({ first: 100 })).edges.map((edge: any) => edge.node);
    expect(requests.map((match: any) => match.rank)).toEqual([1, 2, 3]);
    await expectBothWays(fetchReverse, requests);
  });
});

describe('paging both ways through the score’s explanation', () => {
  it('walks CreditProfile.contributions, largest first, ties by record', async () => {
    const enterprise = await registerEnterprise(app);
    const recordedOn = new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10);
    const records = [
      { source: 'TAX', indicator: 'A级纳税人', polarity: 'POSITIVE' },
      { source: 'UTILITIES', indicator: '欠缴电费', polarity: 'NEGATIVE' },
      { source: 'UTILITIES', indicator: '欠缴电费', polarity: 'NEGATIVE' },
      { source: 'SOCIAL_INSURANCE', indicator: '社保按时缴纳', polarity: 'POSITIVE' },
      { source: 'UTILITIES', indicator: '欠缴电费', polarity: 'NEGATIVE' },
    ].map((record, index) => ({
      uscc: enterprise.uscc,
      sourceReference: `${enterprise.uscc}-${index}`,
      recordedOn,
      ...record,
    }));
    const IMPORT = `mutation($input: ImportCreditRecordsInput!) { importCreditRecords(input: $input) { imported } }`;
    expect((await app.gql(IMPORT, { input: { records } }, 'operator')).data.importCreditRecords.imported).toBe(5);
    const query = `query($id: ID!, ${ARGS}) { node(id: $id) { ... on Enterprise { creditProfile {
      contributions(${PASS}) { ${page('source points')} } } } } }`;
    const fetchPage = async (args: Record<string, unknown>) =>
      (await app.gql(query, { id: enterprise.id, ...args }, enterprise.id)).data.node.creditProfile.contributions;
    const all = (await fetchPage({ first: 100 })).edges.map((edge: any) => edge.node);
    const sizes = all.map((contribution: any) => Math.abs(contribution.points));
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    await expectBothWays(fetchPage, all);
  });
});

describe('cursors', () => {
  const INSTITUTIONS = `query(${ARGS}) { institutions(${PASS}) { edges { cursor } } }`;
  const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

  it('are opaque and versioned', async () => {
    await createInstitution(app);
    const [edge] = (await app.gql(INSTITUTIONS, { first: 1 })).data.institutions.edges;
    expect(Buffer.from(edge.cursor, 'base64').toString('utf8')).toMatch(/^v1:Institution:[1-9]\d*$/);
  });

  it('refuse a bad, foreign or old-version cursor, or first with last: a typed error echoing nothing', async () => {
    const [edge] = (await app.gql(INSTITUTIONS, { first: 1 })).data.institutions.edges;
    const id = Buffer.from(edge.cursor, 'base64').toString('utf8').split(':')[2];
    const refused: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ after: 'bm90LWEtY3Vyc29y' }, 'after', /not a valid cursor/],
      [{ before: 'not base64 at all!' }, 'before', /not a valid cursor/],
      [{ after: base64(`cursor:${id}`) }, 'after', /older version/],
      [{ before: base64(`v0:Institution:${id}`) }, 'before', /older version/],
      [{ after: base64(`v1:LoanProduct:${id}`) }, 'after', /another list/],
      [{ after: base64(`v1:Match:1.0000,4.1000,${id}`) }, 'after', /another list/],
      [{ after: base64('v1:Institution:0') }, 'after', /not a valid cursor/],
      [{ after: base64(`v1:Institution:${id},${id}`) }, 'after', /not a valid cursor/],
      [{ first: 1, last: 1 }, 'last', /first or last/],
      [{ last: 101 }, 'last', /between 0 and 100/],
      [{ last: -1 }, 'last', /between 0 and 100/],
    ];
    for (const [variables, field, message] of refused) {
      const response = await app.gql(INSTITUTIONS, variables);
      expect({ variables, extensions: response.errors?.[0].extensions }).toEqual({
        variables,
        extensions: { code: 'BAD_USER_INPUT', field },
      });
      expect(response.errors?.[0].message).toMatch(message);
      for (const value of Object.values(variables)) {
        if (typeof value === 'string') expect(response.errors?.[0].message).not.toContain(value);
      }
    }
  });
});
