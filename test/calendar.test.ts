import { Clock } from '../src/common/clock';
import { parseGlobalId } from '../src/common/global-id';
import { startTestApp, TestApp } from './support/app';
import { createInstitution, createPublishedProduct, postRequest, registerEnterprise } from './support/fixtures';

/**
 * Time rules at their boundaries, with the database session in UTC and in China time: business dates
 * are China dates whatever the session's zone. The services read "now" from a clock the test sets.
 */
class TestClock implements Clock {
  constructor(private instant: Date) {}
  now(): Date {
    return new Date(this.instant);
  }
  set(instant: string): void {
    this.instant = new Date(instant);
  }
}

const FIT = `query($id: ID!, $productId: ID!) { node(id: $id) { ... on FinancingRequest {
  productFit(loanProductId: $productId) { eligible failedCriteria { criterion message } }
  matches(first: 50) { nodes { loanProduct { id } } }
  productFits(first: 100) { nodes { loanProduct { id } eligible } }
} } }`;
const REVERSE = `query($id: ID!) { node(id: $id) { ... on LoanProduct {
  matchingRequests(first: 100) { totalCount nodes { financingRequest { id } } }
} } }`;

describe.each(['UTC', 'Asia/Shanghai'])('with the database session in %s', (sessionTimeZone) => {
  let app: TestApp;
  // 00:30 on 5 December 2026 in China, still 4 December in UTC.
  const clock = new TestClock(new Date('2026-12-04T16:30:00Z'));
  beforeAll(async () => {
    app = await startTestApp({ clock, sessionTimeZone });
    expect((await app.dataSource.query('SHOW TimeZone'))[0].TimeZone).toBe(sessionTimeZone);
  });
  afterAll(async () => {
    await app?.close();
  });

  /** Every view of matching on whether `request` fits `product`, agreeing with one another. */
  async function fitsEverywhere(bankId: string, enterpriseId: string, requestId: string, productId: string) {
    await app.server.services.matching.refreshRequestMatches(app.dataSource.manager, [parseGlobalId(requestId)!.id]);
    const forward = await app.gql(FIT, { id: requestId, productId }, enterpriseId);
    expect(forward.errors).toBeUndefined();
    const node = forward.data.node;
    const reverse = await app.gql(REVERSE, { id: productId }, bankId);
    expect(reverse.errors).toBeUndefined();
    const views = {
      productFit: node.productFit.eligible,
      matches: node.matches.nodes.some((m: any) => m.loanProduct.id === productId),
      productFits: node.productFits.nodes.find((f: any) => f.loanProduct.id === productId)?.eligible,
      matchingRequests: reverse.data.node.matchingRequests.nodes.some((m: any) => m.financingRequest.id === requestId),
    };
    const eligible = views.productFit;
    expect(views).toEqual({ productFit: eligible, matches: eligible, productFits: eligible, matchingRequests: eligible });
    return { eligible, failed: node.productFit.failedCriteria as Array<{ criterion: string; message: string }> };
  }

  it('counts years in business to the China date: the 3rd anniversary in China counts before it is one in UTC', async () => {
    clock.set('2026-12-04T16:30:00Z');
    const bank = await createInstitution(app, { regionsServed: ['230000'] });
    const product = await createPublishedProduct(app, bank.id, { minYearsInBusiness: 3, minAmount: '313000.00', maxAmount: '313000.00' });
    const founded = await registerEnterprise(app, { establishedOn: '2023-12-05' });
    const dayLater = await registerEnterprise(app, { establishedOn: '2023-12-06' });
    const onAnniversary = await postRequest(app, founded.id, { amount: '313000.00' });
    const dayShort = await postRequest(app, dayLater.id, { amount: '313000.00' });
    expect((await fitsEverywhere(bank.id, founded.id, onAnniversary.id, product.id)).eligible).toBe(true);
    const short = await fitsEverywhere(bank.id, dayLater.id, dayShort.id, product.id);
    expect(short).toEqual({ eligible: false, failed: [{ criterion: 'YEARS_IN_BUSINESS', message: '2 years in business < product minimum 3' }] });
    // One minute before China midnight the anniversary has not come yet.
    clock.set('2026-12-04T15:59:00Z');
    expect((await fitsEverywhere(bank.id, founded.id, onAnniversary.id, product.id)).eligible).toBe(false);
  });

  it('counts the anniversary of 29 February as 1 March in a common year', async () => {
    clock.set('2027-02-28T03:00:00Z');
    const bank = await createInstitution(app, { regionsServed: ['230000'] });
    const product = await createPublishedProduct(app, bank.id, { minYearsInBusiness: 3, minAmount: '229000.00', maxAmount: '229000.00' });
    const leapling = await registerEnterprise(app, { establishedOn: '2024-02-29' });
    const request = await postRequest(app, leapling.id, { amount: '229000.00' });
    const on28th = await fitsEverywhere(bank.id, leapling.id, request.id, product.id);
    expect(on28th.failed).toEqual([{ criterion: 'YEARS_IN_BUSINESS', message: '2 years in business < product minimum 3' }]);
    // 1 March 2027 begins at 16:00 UTC on 28 February.
    clock.set('2027-02-28T16:00:00Z');
    expect((await fitsEverywhere(bank.id, leapling.id, request.id, product.id)).eligible).toBe(true);
  });
});
