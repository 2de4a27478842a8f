import { startTestApp, GraphQLResponse, TestApp } from './support/app';
import { operation } from './support/operations';
import { SecondConnectionError, transactionRetries } from '../src/common/database/transaction';
import { acceptApplication, applyToProduct, createInstitution, createPublishedProduct, postRequest, registerEnterprise } from './support/fixtures';

/**
 * Different mutations racing each other, over HTTP against real PostgreSQL: each pair runs many
 * times with a random delay before each side, and every answer must be a result or a business
 * refusal — never INTERNAL_SERVER_ERROR, never a deadlock reaching the client — with every
 * invariant of the lifecycle and its audit trail intact afterwards.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const GRANT = operation('GrantCredit');
const WITHDRAW_APPLICATION = `mutation($input: ApplicationActionInput!) {
  withdrawApplication(input: $input) { application { id status } userErrors { code } }
}`;

const jitter = () => new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 6)));

/** Runs each side after a random delay, all at once. */
function race(...sides: Array<() => Promise<GraphQLResponse>>): Promise<GraphQLResponse[]> {
  return Promise.all(sides.map(async (side) => (await jitter(), side())));
}

/** A response that is a result or a business refusal: no GraphQL error at all. */
function expectClean(responses: GraphQLResponse[]): void {
  for (const response of responses) {
    if (response.errors) throw new Error(`unexpected error (HTTP ${response.status}): ${response.raw}`);
    expect(response.status).toBe(200);
  }
}

/** Every invariant of the lifecycle, checked over the whole database. */
async function expectInvariants(): Promise<void> {
  const violations: Array<{ rule: string; id: string }> = await app.dataSource.query(`
    SELECT 'disbursed above grant' AS rule, g.id::text AS id FROM credit_grant g
      WHERE (SELECT coalesce(sum(d.amount), 0) FROM disbursement d WHERE d.credit_grant_id = g.id) > g.amount
    UNION ALL
    SELECT 'grants above request', r.id::text FROM financing_request r
      WHERE (SELECT coalesce(sum(g.amount), 0) FROM credit_grant g WHERE g.financing_request_id = r.id) > r.amount
    UNION ALL
    SELECT 'status differs from the last audit event', a.id::text FROM application a
      WHERE a.status::text IS DISTINCT FROM (SELECT e.to_status::text FROM application_event e WHERE e.application_id = a.id ORDER BY e.id DESC LIMIT 1)
    UNION ALL
    SELECT 'audit event does not start where the previous one ended', e.id::text FROM application_event e
      WHERE e.from_status::text IS DISTINCT FROM (SELECT p.to_status::text FROM application_event p
                                                  WHERE p.application_id = e.application_id AND p.id < e.id ORDER BY p.id DESC LIMIT 1)
    UNION ALL
    SELECT 'approved grant on an application without credit', g.id::text FROM credit_grant g JOIN application a ON a.id = g.application_id
      WHERE g.status = 'APPROVED' AND a.status NOT IN ('CREDIT_GRANTED', 'DISBURSED')
    UNION ALL
    SELECT 'pending grant on a closed application', g.id::text FROM credit_grant g JOIN application a ON a.id = g.application_id
      WHERE g.status = 'PENDING_APPROVAL' AND a.status NOT IN ('ACCEPTED')
    UNION ALL
    SELECT 'credit on an application without an approved grant', a.id::text FROM application a
      WHERE a.status IN ('CREDIT_GRANTED', 'DISBURSED') AND NOT EXISTS (SELECT 1 FROM credit_grant g WHERE g.application_id = a.id AND g.status = 'APPROVED')
    UNION ALL
    SELECT 'request status does not follow its applications', r.id::text FROM financing_request r
      WHERE r.status::text <> CASE
        WHEN r.status = 'WITHDRAWN' THEN 'WITHDRAWN'
        WHEN EXISTS (SELECT 1 FROM application a WHERE a.financing_request_id = r.id AND a.status = 'DISBURSED') THEN 'DISBURSED'
        WHEN EXISTS (SELECT 1 FROM application a WHERE a.financing_request_id = r.id AND a.status = 'CREDIT_GRANTED') THEN 'CREDIT_GRANTED'
        WHEN EXISTS (SELECT 1 FROM application a WHERE a.financing_request_id = r.id AND a.status = 'ACCEPTED') THEN 'ACCEPTED'
        WHEN EXISTS (SELECT 1 FROM application a WHERE a.financing_request_id = r.id AND a.status = 'SUBMITTED') THEN 'APPLIED'
        ELSE 'OPEN' END
    UNION ALL
    SELECT 'open application on a withdrawn request', a.id::text FROM application a JOIN financing_request r ON r.id = a.financing_request_id
      WHERE r.status = 'WITHDRAWN' AND a.status IN ('SUBMITTED', 'ACCEPTED')
    UNION ALL
    SELECT 'disbursed request with credit still matchable', m.financing_request_id::text FROM matchable_request m
      JOIN financing_request r ON r.id = m.financing_request_id WHERE r.status NOT IN ('OPEN', 'APPLIED', 'ACCEPTED')`);
  expect(violations).toEqual([]);
}

/** The lock order holds: PostgreSQL found no deadlock to break (a retry would hide it from clients). */
function expectNoDeadlocks(): void {
  expect(transactionRetries.deadlocks).toBe(0);
}

interface Parties {
  enterprise: { id: string };
  institution: { id: string };
  product: { id: string };
}

async function parties(): Promise<Parties> {
  const enterprise = await registerEnterprise(app);
  const institution = await createInstitution(app);
  const product = await createPublishedProduct(app, institution.id);
  return { enterprise, institution, product };
}

async function acceptedApplication(p: Parties, amount = '1000000.00') {
  const request = await postRequest(app, p.enterprise.id, { amount });
  const application = await applyToProduct(app, p.enterprise.id, request.id, p.product.id);
  await acceptApplication(app, p.institution.id, application.id);
  return { request, application };
}

const TRIES = 12;

describe('races between mutations', () => {
  it('grant vs withdraw application: one wins, the other is refused', async () => {
    const p = await parties();
    for (let attempt = 0; attempt < TRIES; attempt++) {
      const { application } = await acceptedApplication(p);
      const [grant, withdraw] = await race(
        () => app.gql(GRANT, { input: { applicationId: application.id, amount: '500000.00', annualRate: '4.10', termMonths: 12 } }, p.institution.id),
        () => app.gql(WITHDRAW_APPLICATION, { input: { applicationId: application.id } }, p.enterprise.id),
      );
      expectClean([grant, withdraw]);
      const granted = Boolean(grant.data.grantCredit.creditGrant);
      const withdrawn = Boolean(withdraw.data.withdrawApplication.application);
      expect(granted !== withdrawn).toBe(true);
    }
    await expectInvariants();
    expectNoDeadlocks();
  });
});

describe('one transaction context', () => {
  it('code inside a transaction cannot take a second pooled connection', async () => {
    const second = app.dataSource.transaction(async () => app.dataSource.query('SELECT 1'));
    await expect(second).rejects.toBeInstanceOf(SecondConnectionError);
    // The transaction's own connection works, and the pool is whole afterwards.
    await expect(app.dataSource.transaction((manager) => manager.query('SELECT 1 AS one'))).resolves.toEqual([{ one: 1 }]);
  });

  it('a burst of 4 × pool-size applications with a pool of 3 completes', async () => {
    const small = await startTestApp({ poolSize: 3 });
    try {
      const enterprise = await registerEnterprise(small);
      const institution = await createInstitution(small);
      const product = await createPublishedProduct(small, institution.id);
      const requests = [];
      for (let k = 0; k < 12; k++) requests.push(await postRequest(small, enterprise.id));
      const applied = await Promise.all(
        requests.map((request) => small.gql(operation('ApplyToProduct'), { input: { financingRequestId: request.id, loanProductId: product.id } }, enterprise.id)),
      );
      expectClean(applied);
      expect(applied.filter((response) => response.data.applyToProduct.application)).toHaveLength(12);
    } finally {
      await small.close();
    }
  }, 30000);
});
