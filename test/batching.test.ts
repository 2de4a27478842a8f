import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildSchema,
  getNamedType,
  GraphQLField,
  GraphQLNamedType,
  GraphQLSchema,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import { postGraphQL, startTestApp, TestApp } from './support/app';
import { LOGIN } from './support/production';
import { Actor } from '../src/common/actor';
import { parseGlobalId } from '../src/common/global-id';
import {
  acceptApplication,
  applyToProduct,
  createInstitution,
  createPublishedProduct,
  grantCredit,
  postRequest,
  registerEnterprise,
} from './support/fixtures';
import { operation } from './support/operations';

/**
 * Uniform data, so that the first 2 and the first 10 of any list have the same shape: 11 banks with
 * a product each; 10 verified enterprises with 2 credit records each, each with one need applied to
 * bank 0's product and to its own bank's (both granted and disbursed) and one need left open.
 */
let app: TestApp;
const ids = {
  banks: [] as string[],
  products: [] as string[],
  enterprises: [] as string[],
  requests: [] as string[],
  applications: [] as string[],
  grants: [] as string[],
  unfitProduct: '',
};
beforeAll(async () => {
  app = await startTestApp();
  for (let b = 0; b < 11; b++) {
    const bank = await createInstitution(app);
    ids.banks.push(bank.id);
    // First of all, a product no need fits: how a need fits products lists failed criteria.
    if (b === 0) ids.unfitProduct = (await createPublishedProduct(app, bank.id, { eligibleScales: ['MEDIUM'] })).id;
    const gradeRates = [{ grade: 'AAA', annualRate: '3.90' }];
    ids.products.push((await createPublishedProduct(app, bank.id, { gradeRates })).id);
  }
  const records = [];
  for (let e = 0; e < 10; e++) {
    const enterprise = await registerEnterprise(app);
    ids.enterprises.push(enterprise.id);
    const record = { uscc: enterprise.uscc, recordedOn: '2026-05-01' };
    const tax = { source: 'TAX', sourceReference: `batching-${e}-1`, indicator: 'A级纳税人', polarity: 'POSITIVE' };
    records.push({ ...record, ...tax });
    // A listing that raises a flag (ABNORMAL_OPERATIONS), and with it the profile's `flags`.
    const listing = { source: 'MARKET_REGULATION', sourceReference: `batching-${e}-2`, indicator: '经营异常名录' };
    records.push({ ...record, ...listing, polarity: 'NEGATIVE' });
  }
  const IMPORT = `mutation($input: ImportCreditRecordsInput!) { importCreditRecords(input: $input) { imported } }`;
  const imported = await app.gql(IMPORT, { input: { records } }, 'operator');
  if (imported.data?.importCreditRecords.imported !== records.length) throw new Error(imported.raw);
  for (let e = 0; e < 10; e++) {
    const request = await postRequest(app, ids.enterprises[e], { amount: '2000000.00' });
    ids.requests.push(request.id);
    for (const b of [0, e + 1]) {
      const application = await applyToProduct(app, ids.enterprises[e], request.id, ids.products[b]);
      ids.applications.push(application.id);
      await acceptApplication(app, ids.banks[b], application.id);
      const terms = { amount: '500000.00', annualRate: '4.10', termMonths: 12 };
      const grant = await grantCredit(app, ids.banks[b], { applicationId: application.id, ...terms });
      ids.grants.push(grant.id);
      const disbursement = { input: { applicationId: application.id, amount: '200000.00' } };
      const disbursed = await app.gql(operation('RecordDisbursement'), disbursement, ids.banks[b]);
      if (disbursed.errors || disbursed.data.recordDisbursement.userErrors.length) throw new Error(disbursed.raw);
    }
    ids.requests.push((await postRequest(app, ids.enterprises[e], { amount: '1000000.00' })).id);
  }
  // The fixtures act through X-Actor (no account): one event per application by a signed-in staff member
  // of its institution, written as the service writes it, so that the actors' accounts load too.
  await app.dataSource.query(
    `INSERT INTO user_account (email, password_hash, role, institution_id)
     SELECT 'staff' || id || '@batching.example', '!', 'INSTITUTION_STAFF', id FROM institution`,
  );
  // A pending staff invitation per bank, as an admin's inviteStaffMember writes it.
  await app.dataSource.query(
    `INSERT INTO staff_invitation (institution_id, email, role, token_hash, state, invited_by, expires_at)
     SELECT id, 'invited' || id || '@batching.example', 'INSTITUTION_STAFF', sha256(convert_to(id::text, 'UTF8')),
       'PENDING', 'INSTITUTION:' || id, now() + interval '7 days'
     FROM institution`,
  );
  await app.dataSource.query(
    `INSERT INTO application_event (application_id, type, actor, from_status, to_status, reason)
     SELECT a.id, 'CREDIT_GRANT_PROPOSED', 'INSTITUTION:' || a.institution_id || '#' || u.id,
       a.status, a.status, 'batching'
     FROM application a JOIN user_account u ON u.institution_id = a.institution_id`,
  );
});
afterAll(async () => {
  await app?.close();
});

async function statements(query: string, variables: Record<string, unknown>, actor: string) {
  app.statements.count = 0;
  const response = await app.gql(query, variables, actor);
  return { count: app.statements.count, response };
}

const NESTED = `
  query Nested($first: Int!) {
    applications(first: $first) {
      totalCount
      nodes {
        id
        status
        financingRequest { amount enterprise { name financingRequests(first: 3) { totalCount nodes { amount } } } }
        loanProduct { name institution { name } }
        creditGrant { amount disbursedAmount disbursements(first: 5) { totalCount nodes { amount } } }
        events(first: 10) {
          totalCount
          nodes { type toStatus actor { kind role account { email } institution { name } enterprise { name } } }
        }
      }
    }
  }`;

describe('DataLoader batching', () => {
  it('runs as many SQL statements for 20 items with three levels of nesting as for 2', async () => {
    const two = await statements(NESTED, { first: 2 }, 'operator');
    const twenty = await statements(NESTED, { first: 20 }, 'operator');
    expect(two.response.errors).toBeUndefined();
    expect(twenty.response.errors).toBeUndefined();
    const nodes = twenty.response.data.applications.nodes;
    expect(two.response.data.applications.nodes).toHaveLength(2);
    expect(nodes).toHaveLength(20);
    // The nested data is really there, not skipped.
    expect(nodes.filter((n: any) => n.creditGrant?.disbursements.totalCount === 1)).toHaveLength(20);
    expect(nodes.every((n: any) => n.financingRequest.enterprise.financingRequests.totalCount === 2)).toBe(true);
    const actors = nodes.flatMap((n: any) => n.events.nodes.map((event: any) => event.actor));
    const staff = (actor: any) =>
      actor.account?.email.endsWith('@batching.example') && actor.role === 'INSTITUTION_STAFF';
    expect(actors.filter(staff)).toHaveLength(20);
    expect(actors.filter((actor: any) => actor.kind === 'ENTERPRISE' && actor.enterprise.name)).toHaveLength(20);
    expect(twenty.count).toBe(two.count);
    expect(twenty.count).toBeLessThan(20);
    // Every statement on the pool is counted, the loaders' prepared ones too: one per relation level at least.
    expect(two.count).toBeGreaterThan(8);
  });
});

/**
 * Every list field reachable in two levels from a paginated root list, generated from the emitted
 * schema so that a new field is measured without anyone remembering to add it: a root list, then a
 * field of its nodes that is a list (level 1), or a field of those whose value has a list (level 2).
 */
const schema = buildSchema(readFileSync(path.join(__dirname, '..', 'graphql', 'schema.graphql'), 'utf8'));

/** Values for required arguments, by argument name (as variables: the IDs exist once the data does). */
const requiredArguments: Record<string, () => string> = { loanProductId: () => ids.unfitProduct };

interface Probe {
  /** Root.field or Root.field.field, for the failure table. */
  path: string;
  query: string;
  /** The required arguments' variables, by name. */
  variables: string[];
  /** Where the measured field's values are in the answer: root list, then the steps under each node. */
  root: string;
  /** Whether the root list is a connection taking `first` (else its rows are as many as the data holds). */
  paged: boolean;
  /** Whether the measured field lists rows of their own (with IDs), rather than values of its parent's row. */
  relation: boolean;
  steps: string[];
}

const isComposite = (type: GraphQLNamedType) => isObjectType(type) || isInterfaceType(type);
const connectionNode = (type: GraphQLNamedType) =>
  isObjectType(type) && type.name.endsWith('Connection') ? getNamedType(type.getFields().nodes.type) : null;
const isListField = (field: GraphQLField<unknown, unknown>) => {
  const type = isNonNullType(field.type) ? field.type.ofType : field.type;
  return isListType(type) || connectionNode(getNamedType(type)) !== null;
};

/** The scalar fields without required arguments: what a client would show, each resolver included. */
function leaves(type: GraphQLNamedType): string {
  if (!isComposite(type)) return '';
  const fields = fieldsOf(type);
  const optional = (f: GraphQLField<unknown, unknown>) =>
    f.args.every((a) => !isNonNullType(a.type) || a.defaultValue !== undefined);
  const names = fields.filter((f) => isLeafType(getNamedType(f.type)) && optional(f));
  return `{ __typename ${names.map((f) => f.name).join(' ')} }`;
}

/** Variable declarations of the required arguments met while building one probe. */
let declared: Map<string, string>;

/** A field with its arguments (first: 3 for pages, required ones as variables from `requiredArguments`). */
function call(field: GraphQLField<unknown, unknown>): string {
  const args: string[] = [];
  for (const arg of field.args) {
    if (arg.name === 'first') args.push('first: 3');
    else if (isNonNullType(arg.type) && arg.defaultValue === undefined) {
      if (!requiredArguments[arg.name]) throw new Error(`No value for the argument ${field.name}(${arg.name}:)`);
      declared.set(arg.name, String(arg.type));
      args.push(`${arg.name}: $${arg.name}`);
    }
  }
  return args.length ? `${field.name}(${args.join(', ')})` : field.name;
}

/** The field with a selection that reaches its items (`nodes` of a connection). */
function selection(field: GraphQLField<unknown, unknown>, inner?: string): string {
  const named = getNamedType(field.type);
  const node = connectionNode(named);
  if (node) return `${call(field)} { totalCount nodes ${inner ?? leaves(node)} }`;
  return isComposite(named) ? `${call(field)} ${inner ?? leaves(named)}` : call(field);
}

const fieldsOf = (type: GraphQLNamedType) =>
  Object.values((type as any).getFields() as Record<string, GraphQLField<unknown, unknown>>);

function probes(schemaToWalk: GraphQLSchema): Probe[] {
  const found: Probe[] = [];
  for (const root of Object.values(schemaToWalk.getQueryType()!.getFields())) {
    const paged = root.args.some((arg) => arg.name === 'first');
    const rootNode = paged ? connectionNode(getNamedType(root.type)) : getNamedType(root.type);
    // Lists only (`node`, `viewer` and the like are one object); `nodes(ids:)` has its own test below.
    if (!rootNode || !isListField(root) || !isComposite(rootNode) || root.name === 'nodes') continue;
    const probe = (steps: string[], target: GraphQLField<unknown, unknown>, inner: () => string) => {
      const item = connectionNode(getNamedType(target.type)) ?? getNamedType(target.type);
      declared = new Map(paged ? [['first', 'Int!']] : []);
      const body = inner();
      const header = declared.size ? `(${[...declared].map(([name, type]) => `$${name}: ${type}`).join(', ')})` : '';
      const rootCall = call(root).replace('first: 3', 'first: $first');
      found.push({
        path: [root.name, ...steps].join('.'),
        root: root.name,
        paged,
        relation: isComposite(item) && 'id' in (item as any).getFields(),
        steps,
        variables: [...declared.keys()].filter((name) => name !== 'first'),
        query: `query Probe${header} { ${rootCall} { ${paged ? `nodes { __typename ${body} }` : body} } }`,
      });
    };
    for (const field of fieldsOf(rootNode)) {
      if (isListField(field)) probe([field.name], field, () => selection(field));
      const named = getNamedType(field.type);
      const through = connectionNode(named) ?? named;
      if (!isComposite(through)) continue;
      for (const second of fieldsOf(through)) {
        if (!isListField(second)) continue;
        probe([field.name, second.name], second, () => selection(field, `{ ${selection(second)} }`));
      }
    }
  }
  return found;
}

/** The measured field's values under each node of the root list (flattened through lists). */
function valuesAt(data: any, probe: Probe): unknown[] {
  let values: unknown[] = probe.paged ? data[probe.root].nodes : data[probe.root];
  for (const step of probe.steps) {
    values = values.flatMap((value: any) => {
      if (value === null || value === undefined) return [];
      const next = value[step];
      if (next && typeof next === 'object' && 'nodes' in next && step !== probe.steps.at(-1)) return next.nodes;
      return [next];
    });
  }
  return values;
}

const variablesOf = (probe: Probe, first?: number) =>
  Object.fromEntries([
    ...(first ? [['first', first]] : []),
    ...probe.variables.map((name) => [name, requiredArguments[name]()]),
  ]);

const nonEmpty = (value: any): boolean => {
  if (Array.isArray(value)) return value.length > 0;
  return value && typeof value === 'object' && 'nodes' in value ? value.nodes.length > 0 : value != null;
};

describe('statement counts of every list field two levels deep', () => {
  const generated = probes(schema);
  const paged = generated.filter((probe) => probe.paged);

  it('finds the relation lists in the schema', () => {
    const paths = generated.map((probe) => probe.path);
    for (const expected of [
      'enterprises.creditAuthorizations',
      'enterprises.creditRecords',
      'enterprises.creditProfile.contributions',
      'financingRequests.productFits',
      'financingRequests.productFit.failedCriteria',
      'loanProducts.matchingRequests',
      'applications.creditGrant.disbursements',
      'institutions.loanProducts.matchingRequests',
      'webhookEndpoints.deliveries',
    ]) {
      expect(paths).toContain(expected);
    }
  });

  it('leaves no relation under a root list without pages unmeasured (webhookEndpoints is measured below)', () => {
    const unpaged = generated.filter((probe) => !probe.paged && probe.root !== 'webhookEndpoints');
    // Their list fields hold values of the row itself (dates, embedded records), not rows of a relation.
    expect(unpaged.filter((probe) => probe.relation).map((probe) => probe.path)).toEqual([]);
  });

  for (const actor of ['operator', 'bank']) {
    it(`runs as many statements for 10 parents as for 3, for each field (${actor})`, async () => {
      const as = actor === 'bank' ? ids.banks[0] : actor;
      const failures: string[] = [];
      const measured: string[] = [];
      for (const probe of paged) {
        const three = await statements(probe.query, variablesOf(probe, 3), as);
        const ten = await statements(probe.query, variablesOf(probe, 10), as);
        // A bank asking for other banks' reverse matches is refused per product: counted all the same.
        const errors = [...(three.response.errors ?? []), ...(ten.response.errors ?? [])];
        const refusal = errors.find((error) => error.extensions?.code !== 'FORBIDDEN');
        if (refusal) {
          failures.push(`${probe.path}: ${JSON.stringify(refusal.message)}`);
          continue;
        }
        const parents = ten.response.data?.[probe.root]?.nodes.length ?? 'refused';
        const filled = ten.response.data ? valuesAt(ten.response.data, probe).filter(nonEmpty).length : 0;
        measured.push(`${probe.path}: ${three.count} → ${ten.count} (${parents} parents, ${filled} filled)`);
        if (ten.count !== three.count) {
          failures.push(`${probe.path}: ${three.count} statements for 3 parents, ${ten.count} for 10`);
        }
      }
      if (process.env.BATCHING_REPORT) console.log(`${actor}\n${measured.join('\n')}`);
      expect(failures).toEqual([]);
    });
  }

  it('fills the measured fields: the data is really there for the operator', async () => {
    const empty: string[] = [];
    // webhookEndpoints is an admin's own list: filled and measured below.
    for (const probe of paged.filter((one) => one.root !== 'webhookEndpoints')) {
      const { response } = await statements(probe.query, variablesOf(probe, 10), 'operator');
      if (!valuesAt(response.data, probe).some(nonEmpty)) empty.push(probe.path);
    }
    expect(empty).toEqual([]);
  });
});

describe('nodes(ids:)', () => {
  const IDS = `{ applications(first: 10) { nodes { id events(first: 1) { nodes { id } }
    creditGrant { id disbursements(first: 1) { nodes { id } } } } } }`;
  const NODES = `query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }`;

  it('runs as many statements for 10 IDs of a type as for 2 (80 mixed as 8), node(id:)’s rules kept', async () => {
    const listed = (await app.gql(IDS, {}, 'operator')).data.applications.nodes;
    const byType: Record<string, string[]> = {
      Enterprise: ids.enterprises,
      Institution: ids.banks,
      LoanProduct: ids.products,
      FinancingRequest: ids.requests,
      Application: listed.map((node: any) => node.id),
      CreditGrant: listed.map((node: any) => node.creditGrant.id),
      Disbursement: listed.map((node: any) => node.creditGrant.disbursements.nodes[0].id),
      ApplicationEvent: listed.map((node: any) => node.events.nodes[0].id),
    };
    // Mixed: one ID of each type against ten of each.
    const mixedFew = Object.values(byType).map((list) => list[0]);
    const mixed = Object.values(byType).flatMap((list) => list.slice(0, 10));
    const failures: string[] = [];
    for (const actor of ['operator', ids.banks[1]]) {
      for (const [type, list] of [...Object.entries(byType), ['mixed', mixed] as const]) {
        const few = await statements(NODES, { ids: type === 'mixed' ? mixedFew : list.slice(0, 2) }, actor);
        const many = await statements(NODES, { ids: list.slice(0, type === 'mixed' ? 80 : 10) }, actor);
        if (few.response.errors || many.response.errors) failures.push(`${type}: ${many.response.raw}`);
        else if (few.count !== many.count) {
          failures.push(`${type} (${actor}): ${few.count} statements for few IDs, ${many.count} for more`);
        }
        if (process.env.BATCHING_REPORT) console.log(`nodes ${type} (${actor}): ${few.count} → ${many.count}`);
        // Each answer is the one node(id:) gives, one ID at a time.
        if (type === 'mixed' || many.response.errors) continue;
        const NODE = `query($id: ID!) { node(id: $id) { id __typename } }`;
        const single = await Promise.all(list.slice(0, 10).map((id) => app.gql(NODE, { id }, actor)));
        const singly = single.map((one) => one.data.node);
        expect({ type, actor, nodes: many.response.data.nodes }).toEqual({ type, actor, nodes: singly });
      }
    }
    expect(failures).toEqual([]);
    // The bank sees its own applications and not the others': the rules were applied, not skipped.
    const seen = (await app.gql(NODES, { ids: byType.Application }, ids.banks[1])).data.nodes;
    expect(seen.filter((node: unknown) => node !== null).length).toBeGreaterThan(0);
    expect(seen.filter((node: unknown) => node === null).length).toBeGreaterThan(0);
  });
});

describe('nodes(ids:) for accounts', () => {
  it('shows an account to itself, to its own institution and to operators, to no one else', async () => {
    const credentials = { email: 'nodes@batching.example', password: 'rice harvest passphrase' };
    const bank = await createInstitution(app, { admin: credentials });
    const login = (await app.gql(LOGIN, { input: credentials })).data.login;
    const query = `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on UserAccount { email } } }`;
    const bearer = { authorization: `Bearer ${login.token}` };
    const own = await postGraphQL(app.url, query, { ids: [login.account.id] }, bearer);
    expect(own.data.nodes).toEqual([{ id: login.account.id, email: credentials.email }]);
    expect((await app.gql(query, { ids: [login.account.id] }, 'operator')).data.nodes).toEqual(own.data.nodes);
    expect((await app.gql(query, { ids: [login.account.id] }, bank.id)).data.nodes).toEqual(own.data.nodes);
    expect((await app.gql(query, { ids: [login.account.id] }, ids.banks[1])).data.nodes).toEqual([null]);
    expect((await app.gql(query, { ids: [login.account.id] }, ids.enterprises[0])).data.nodes).toEqual([null]);
  });
});

// Only an institution's admin sees its endpoints (the operator and X-Actor banks above are refused).
describe('webhookEndpoints (an admin’s own list: its rows vary with the data)', () => {
  it('runs as many statements for 10 endpoints as for 3, for each list field under them', async () => {
    const credentials = { email: 'admin@batching.example', password: 'rice harvest passphrase' };
    const bank = await createInstitution(app, { admin: credentials });
    const login = await app.gql(LOGIN, { input: credentials });
    const headers = { authorization: `Bearer ${login.data.login.token}` };
    const product = await createPublishedProduct(app, bank.id);
    const admin: Actor = { kind: 'INSTITUTION', institutionId: parseGlobalId(bank.id)!.id, admin: true };
    const webhooks = app.server.services.webhooks;
    const measured = probes(schema).filter((probe) => probe.root === 'webhookEndpoints');
    expect(measured.map((probe) => probe.path)).toContain('webhookEndpoints.deliveries');
    const measure = async (endpoints: number) => {
      for (let n = (await webhooks.endpoints(admin)).length; n < endpoints; n++) {
        const url = `https://hooks${n}.bank.example.com/in`;
        await webhooks.register(admin, { url, eventTypes: ['APPLICATION_SUBMITTED'] });
      }
      // An application to the bank's product: a delivery for every endpoint.
      const request = await postRequest(app, ids.enterprises[endpoints % 10]);
      await applyToProduct(app, ids.enterprises[endpoints % 10], request.id, product.id);
      // Dispatch reads the outbox up to the oldest transaction still open in the cluster: other
      // suites' transactions can hold it back for a while (bounded wait).
      const covered = async () =>
        (await app.dataSource.query(`SELECT count(DISTINCT endpoint_id)::int AS n FROM webhook_delivery`))[0].n;
      for (let tries = 0; (await covered()) < endpoints && tries < 100; tries++) {
        await webhooks.dispatch();
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const counts: Record<string, number> = {};
      // The session behind the token is read once, then cached: not counted against the fields.
      await postGraphQL(app.url, '{ viewer { id } }', {}, headers);
      for (const probe of measured) {
        app.statements.count = 0;
        const response = await postGraphQL(app.url, probe.query, variablesOf(probe, 10), headers);
        expect({ probe: probe.path, errors: response.errors }).toEqual({ probe: probe.path, errors: undefined });
        expect(response.data.webhookEndpoints.nodes).toHaveLength(endpoints);
        counts[probe.path] = app.statements.count;
        if (probe.path === 'webhookEndpoints.deliveries') {
          const endpointsFound = response.data.webhookEndpoints.nodes;
          const logged = endpointsFound.filter((endpoint: any) => endpoint.deliveries.nodes.length > 0);
          expect(logged).toHaveLength(endpoints);
        }
      }
      if (process.env.BATCHING_REPORT) console.log(`webhookEndpoints ×${endpoints}: ${JSON.stringify(counts)}`);
      return counts;
    };
    const three = await measure(3);
    expect(await measure(10)).toEqual(three);
  });
});

describe('pages by cursor, batched', () => {
  // Every request is measured against the same published products, so one product's cursor serves all.
  const FITS = `query($after: String, $before: String) { financingRequests(first: 10) { nodes { id
      all: productFits(first: 100) { ...page }
      first: productFits(first: 2) { ...page }
      after: productFits(first: 2, after: $after) { ...page }
      last: productFits(last: 2) { ...page }
      before: productFits(last: 2, before: $before) { ...page } } } }
    fragment page on ProductFitConnection {
      edges { cursor node { loanProduct { id } } } pageInfo { hasNextPage hasPreviousPage }
    }`;
  const products = (page: any) => page.edges.map((edge: any) => edge.node.loanProduct.id);

  it('answers each alias with its own page (first, after, last, before) for every parent', async () => {
    const { response: first } = await statements(FITS, {}, 'operator');
    expect(first.errors).toBeUndefined();
    const edges = first.data.financingRequests.nodes[0].all.edges;
    expect(edges.length).toBeGreaterThan(6);
    const variables = { after: edges[2].cursor, before: edges[5].cursor };
    const { response } = await statements(FITS, variables, 'operator');
    expect(response.errors).toBeUndefined();
    const requests = response.data.financingRequests.nodes;
    expect(requests).toHaveLength(10);
    for (const request of requests) {
      const all = products(request.all);
      expect(all).toEqual(edges.map((edge: any) => edge.node.loanProduct.id));
      expect({ id: request.id, first: products(request.first), after: products(request.after) }).toEqual({
        id: request.id,
        first: all.slice(0, 2),
        after: all.slice(3, 5),
      });
      expect({ id: request.id, last: products(request.last), before: products(request.before) }).toEqual({
        id: request.id,
        last: all.slice(-2),
        before: all.slice(3, 5),
      });
      expect(request.after.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: true });
      expect(request.before.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: true });
      expect(request.last.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: true });
    }
  });
});
