import { startTestApp, TestApp } from './support/app';
import { acceptApplication, applyToProduct, createInstitution, createPublishedProduct, grantCredit, postRequest, registerEnterprise } from './support/fixtures';
import { operation } from './support/operations';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  // 50 applications over 5 enterprises and 5 institutions; every other one granted and disbursed.
  const banks = [];
  for (let i = 0; i < 5; i++) {
    const bank = await createInstitution(app);
    banks.push({ bank, products: [await createPublishedProduct(app, bank.id), await createPublishedProduct(app, bank.id)] });
  }
  let n = 0;
  for (let e = 0; e < 5; e++) {
    const enterprise = await registerEnterprise(app);
    for (let r = 0; r < 5; r++) {
      const request = await postRequest(app, enterprise.id, { amount: '2000000.00' });
      for (let p = 0; p < 2; p++) {
        const { bank, products } = banks[(r + p) % 5];
        const application = await applyToProduct(app, enterprise.id, request.id, products[p].id);
        if (n++ % 2 === 0) {
          await acceptApplication(app, bank.id, application.id);
          await grantCredit(app, bank.id, { applicationId: application.id, amount: '500000.00', annualRate: '4.10', termMonths: 12 });
          await app.gql(operation('RecordDisbursement'), { input: { applicationId: application.id, amount: '200000.00' } }, bank.id);
        }
      }
    }
  }
  // The fixtures act through X-Actor (no account): one event per application by a signed-in staff member
  // of its institution, written as the service writes it, so that the actors' accounts load too.
  await app.dataSource.query(
    `INSERT INTO user_account (email, password_hash, role, institution_id)
     SELECT 'staff' || id || '@batching.example', '!', 'INSTITUTION_STAFF', id FROM institution`,
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

async function statementsFor(first: number) {
  app.statements.count = 0;
  const response = await app.gql(NESTED, { first }, 'operator');
  expect(response.errors).toBeUndefined();
  return { count: app.statements.count, nodes: response.data.applications.nodes };
}

describe('DataLoader batching', () => {
  it('runs as many SQL statements for 50 items with three levels of nesting as for 5', async () => {
    const five = await statementsFor(5);
    const fifty = await statementsFor(50);
    expect(five.nodes).toHaveLength(5);
    expect(fifty.nodes).toHaveLength(50);
    // The nested data is really there, not skipped.
    expect(fifty.nodes.filter((n: any) => n.creditGrant?.disbursements.totalCount === 1)).toHaveLength(25);
    expect(fifty.nodes.every((n: any) => n.financingRequest.enterprise.financingRequests.totalCount === 5)).toBe(true);
    const actors = fifty.nodes.flatMap((n: any) => n.events.nodes.map((event: any) => event.actor));
    const staff = (actor: any) =>
      actor.account?.email.endsWith('@batching.example') && actor.role === 'INSTITUTION_STAFF';
    expect(actors.filter(staff)).toHaveLength(50);
    expect(actors.filter((actor: any) => actor.kind === 'ENTERPRISE' && actor.enterprise.name)).toHaveLength(50);
    expect(fifty.count).toBe(five.count);
    expect(fifty.count).toBeLessThan(20);
    // Every statement on the pool is counted, the loaders' prepared ones too: one per relation level at least.
    expect(five.count).toBeGreaterThan(8);
  });
});
