import { TestClock } from './support/clock';
import { parseGlobalId } from '../src/common/global-id';
import { startTestApp, TestApp } from './support/app';
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
 * Time rules at their boundaries, with the database session in UTC and in China time: business dates
 * are China dates whatever the session's zone. The services read "now" from a clock the test sets.
 */

const FIT = `query($id: ID!, $productId: ID!) { node(id: $id) { ... on FinancingRequest {
  productFit(loanProductId: $productId) { eligible failedCriteria { criterion message } }
  matches(first: 50) { nodes { loanProduct { id } } }
  productFits(first: 100) { nodes { loanProduct { id } eligible } }
} } }`;
const TWO_YEARS_SHORT = { criterion: 'YEARS_IN_BUSINESS', message: '2 years in business < product minimum 3' };
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
    expect(views).toEqual(Object.fromEntries(Object.keys(views).map((view) => [view, eligible])));
    return { eligible, failed: node.productFit.failedCriteria as Array<{ criterion: string; message: string }> };
  }

  it('counts years to the China date: the 3rd anniversary in China counts before it is one in UTC', async () => {
    clock.set('2026-12-04T16:30:00Z');
    const bank = await createInstitution(app, { regionsServed: ['230000'] });
    const amount = { minAmount: '313000.00', maxAmount: '313000.00' };
    const product = await createPublishedProduct(app, bank.id, { minYearsInBusiness: 3, ...amount });
    const founded = await registerEnterprise(app, { establishedOn: '2023-12-05' });
    const dayLater = await registerEnterprise(app, { establishedOn: '2023-12-06' });
    const onAnniversary = await postRequest(app, founded.id, { amount: '313000.00' });
    const dayShort = await postRequest(app, dayLater.id, { amount: '313000.00' });
    expect((await fitsEverywhere(bank.id, founded.id, onAnniversary.id, product.id)).eligible).toBe(true);
    const short = await fitsEverywhere(bank.id, dayLater.id, dayShort.id, product.id);
    expect(short).toEqual({ eligible: false, failed: [TWO_YEARS_SHORT] });
    // One minute before China midnight the anniversary has not come yet.
    clock.set('2026-12-04T15:59:00Z');
    expect((await fitsEverywhere(bank.id, founded.id, onAnniversary.id, product.id)).eligible).toBe(false);
  });

  it('counts the anniversary of 29 February as 1 March in a common year', async () => {
    clock.set('2027-02-28T03:00:00Z');
    const bank = await createInstitution(app, { regionsServed: ['230000'] });
    const amount = { minAmount: '229000.00', maxAmount: '229000.00' };
    const product = await createPublishedProduct(app, bank.id, { minYearsInBusiness: 3, ...amount });
    const leapling = await registerEnterprise(app, { establishedOn: '2024-02-29' });
    const request = await postRequest(app, leapling.id, { amount: '229000.00' });
    const on28th = await fitsEverywhere(bank.id, leapling.id, request.id, product.id);
    expect(on28th.failed).toEqual([TWO_YEARS_SHORT]);
    // 1 March 2027 begins at 16:00 UTC on 28 February.
    clock.set('2027-02-28T16:00:00Z');
    expect((await fitsEverywhere(bank.id, leapling.id, request.id, product.id)).eligible).toBe(true);
  });

  it('matches a prefecture-level registration to its prefecture and province, not to one of its counties', async () => {
    clock.set('2026-12-04T16:30:00Z');
    const bank = await createInstitution(app, { regionsServed: ['230000'] });
    const amount = { minAmount: '230200.00', maxAmount: '230200.00' };
    const county = await createPublishedProduct(app, bank.id, { ...amount, eligibleRegions: ['230202'] });
    const prefecture = await createPublishedProduct(app, bank.id, { ...amount, eligibleRegions: ['230200'] });
    const province = await createPublishedProduct(app, bank.id, { ...amount, eligibleRegions: ['230000'] });
    const qiqihar = await registerEnterprise(app, { regionCode: '230200' });
    const request = await postRequest(app, qiqihar.id, { amount: '230200.00' });
    const countyFit = await fitsEverywhere(bank.id, qiqihar.id, request.id, county.id);
    expect(countyFit.failed.map((f) => f.criterion)).toEqual(['REGION']);
    expect((await fitsEverywhere(bank.id, qiqihar.id, request.id, prefecture.id)).eligible).toBe(true);
    expect((await fitsEverywhere(bank.id, qiqihar.id, request.id, province.id)).eligible).toBe(true);
  });

  it('breaks ties by the older request in reverse matching and by the older product in forward matching', async () => {
    clock.set('2026-12-04T16:30:00Z');
    const bank = await createInstitution(app, { regionsServed: ['230000'] });
    const amount = { minAmount: '424242.00', maxAmount: '424242.00' };
    const products = [];
    for (let k = 0; k < 3; k++) products.push(await createPublishedProduct(app, bank.id, amount));
    const enterprise = await registerEnterprise(app);
    const requests = [];
    for (let k = 0; k < 3; k++) requests.push(await postRequest(app, enterprise.id, { amount: '424242.00' }));
    const RANKED = `query($id: ID!) { node(id: $id) { ... on LoanProduct {
      matchingRequests(first: 10) { nodes { rank matchScore financingRequest { id } } } } } }`;
    const reverse = (await app.gql(RANKED, { id: products[1].id }, bank.id)).data.node.matchingRequests.nodes;
    expect(new Set(reverse.map((m: any) => m.matchScore)).size).toBe(1);
    expect(reverse.map((m: any) => m.financingRequest.id)).toEqual(requests.map((r) => r.id));
    const FORWARD = `query($id: ID!) { node(id: $id) { ... on FinancingRequest {
      matches { nodes { matchScore loanProduct { id } } } } } }`;
    const forward = (await app.gql(FORWARD, { id: requests[2].id }, enterprise.id)).data.node.matches.nodes;
    expect(new Set(forward.map((m: any) => m.matchScore)).size).toBe(1);
    expect(forward.map((m: any) => m.loanProduct.id)).toEqual(products.map((p) => p.id));
  });

  describe('needs past their validUntil', () => {
    const STATUS = `query($id: ID!) { node(id: $id) { ... on FinancingRequest { status } } }`;
    const statusOf = async (id: string, actor: string) => (await app.gql(STATUS, { id }, actor)).data.node.status;
    const POOLED_SQL = `SELECT count(*)::int AS n FROM matchable_request WHERE financing_request_id = ANY($1)`;
    const pooled = async (ids: string[]) =>
      (
        await app.dataSource.query(POOLED_SQL, [
          ids.map((id) => parseGlobalId(id)!.id),
        ])
      )[0].n;

    it('count through their validUntil day in China, then expire: unmatched, audited, running on', async () => {
      // 00:30 on 1 July 2098 in China (far ahead, so that what reads the system clock sees them valid).
      clock.set('2098-06-30T16:30:00Z');
      const bank = await createInstitution(app, { regionsServed: ['230000'] });
      const product = await createPublishedProduct(app, bank.id, { minAmount: '701000.00', maxAmount: '701000.00' });
      const other = await createPublishedProduct(app, bank.id, { minAmount: '701000.00', maxAmount: '701000.00' });
      const enterprise = await registerEnterprise(app);
      const lastDay = await postRequest(app, enterprise.id, { amount: '701000.00', validUntil: '2098-07-01' });
      const applied = await postRequest(app, enterprise.id, { amount: '701000.00', validUntil: '2098-07-01' });
      const later = await postRequest(app, enterprise.id, { amount: '701000.00', validUntil: '2098-07-02' });
      const application = await applyToProduct(app, enterprise.id, applied.id, product.id);
      const reverse = async () => {
        const nodes = (await app.gql(REVERSE, { id: product.id }, bank.id)).data.node.matchingRequests.nodes;
        return nodes.map((m: any) => m.financingRequest.id).sort();
      };

      // On its validUntil day a need is still open, whatever the session's zone.
      expect(await app.server.services.calendarSweep()).toMatchObject({ expiredRequests: 0 });
      expect(await reverse()).toEqual([lastDay.id, applied.id, later.id].sort());

      // China midnight: 1 July has passed. Reverse matching leaves them out even before a sweep.
      clock.set('2098-07-01T16:00:00Z');
      expect(await reverse()).toEqual([later.id]);
      // Two processes sweeping at once expire each need once.
      const sweeps = await Promise.all([app.server.services.calendarSweep(), app.server.services.calendarSweep()]);
      expect(sweeps.reduce((sum, outcome) => sum + outcome.expiredRequests, 0)).toBe(2);
      expect(await app.server.services.calendarSweep()).toMatchObject({ expiredRequests: 0 });
      expect(await statusOf(lastDay.id, enterprise.id)).toBe('EXPIRED');
      expect(await statusOf(applied.id, enterprise.id)).toBe('EXPIRED');
      expect(await statusOf(later.id, enterprise.id)).toBe('OPEN');
      expect(await pooled([lastDay.id, applied.id])).toBe(0);
      expect(await pooled([later.id])).toBe(1);
      const events = await app.dataSource.query(
        `SELECT financing_request_id::text AS id, actor, from_status, to_status, reason FROM financing_request_event
         WHERE financing_request_id = ANY($1::bigint[]) ORDER BY financing_request_id`,
        [[lastDay.id, applied.id].map((id) => parseGlobalId(id)!.id)],
      );
      expect(events.map((e: any) => [e.actor, e.from_status, e.to_status, e.reason])).toEqual([
        ['SYSTEM', 'OPEN', 'EXPIRED', 'validUntil passed (2098-07-02 in China)'],
        ['SYSTEM', 'APPLIED', 'EXPIRED', 'validUntil passed (2098-07-02 in China)'],
      ]);

      // No new application, by the enterprise or a claiming institution.
      const input = { financingRequestId: applied.id, loanProductId: other.id };
      const refused = await app.gql(operation('ApplyToProduct'), { input }, enterprise.id);
      expect(refused.data.applyToProduct.userErrors.map((e: any) => e.code)).toEqual(['REQUEST_EXPIRED']);
      // The submitted application runs on: accepted, the need stays expired; granted, it follows.
      await acceptApplication(app, bank.id, application.id);
      expect(await statusOf(applied.id, enterprise.id)).toBe('EXPIRED');
      const grant = { applicationId: application.id, amount: '701000.00', annualRate: '4.10', termMonths: 12 };
      await grantCredit(app, bank.id, grant);
      expect(await statusOf(applied.id, enterprise.id)).toBe('CREDIT_GRANTED');
      expect(await pooled([applied.id])).toBe(0);
    });
  });
});

describe.each(['UTC', 'Asia/Shanghai'])('daily rescoring, with the database session in %s', (sessionTimeZone) => {
  let app: TestApp;
  // 00:30 on 5 December 2099 in China.
  const clock = new TestClock(new Date('2099-12-04T16:30:00Z'));
  beforeAll(async () => {
    app = await startTestApp({ clock, sessionTimeZone });
  });
  afterAll(async () => {
    await app?.close();
  });

  const IMPORT = `mutation($input: ImportCreditRecordsInput!) {
    importCreditRecords(input: $input) { imported rejected { line } } }`;
  const PROFILE = `query($id: ID!) { node(id: $id) { ... on Enterprise {
    creditProfile { score flags asOf computedAt } } } }`;
  const profileOf = async (id: string) => (await app.gql(PROFILE, { id }, 'operator')).data.node.creditProfile;

  it('rescores just the profiles with a record crossing a decay or expiry boundary that day', async () => {
    const enterprises = {
      young: await registerEnterprise(app), // a year old on 6 December: 100 % → 80 %
      fading: await registerEnterprise(app), // five years old on 6 December: 20 % → nothing
      listed: await registerEnterprise(app), // 失信被执行人 until 5 December: counts on that day, not after
      steady: await registerEnterprise(app), // no boundary on 6 December
      later: await registerEnterprise(app), // a year old on 7 December
    };
    const expiresOn = '2099-12-05';
    const tax = (uscc: string, recordedOn: string) => ({
      uscc,
      recordedOn,
      source: 'TAX',
      polarity: 'POSITIVE',
      indicator: '按时纳税',
    });
    const listing = { ...tax(enterprises.listed.uscc, '2099-01-01'), source: 'COURT', polarity: 'NEGATIVE' };
    const records = [
      tax(enterprises.young.uscc, '2098-12-06'),
      tax(enterprises.fading.uscc, '2094-12-06'),
      tax(enterprises.steady.uscc, '2097-06-01'),
      tax(enterprises.later.uscc, '2098-12-07'),
      { ...listing, indicator: '失信被执行人', expiresOn },
    ].map((record, k) => ({ ...record, sourceReference: `${record.uscc}-${k}` }));
    const imported = await app.gql(IMPORT, { input: { records } }, 'operator');
    expect(imported.data.importCreditRecords).toEqual({ imported: 5, rejected: [] });
    const bank = await createInstitution(app, { regionsServed: ['230000'] });
    const product = await createPublishedProduct(app, bank.id, { minAmount: '612000.00', maxAmount: '612000.00' });
    const need = await postRequest(app, enterprises.listed.id, { amount: '612000.00' });
    const matched = async () => {
      await app.server.services.matching.workQueuedJobs();
      const query = `query($id: ID!) { node(id: $id) {
        ... on FinancingRequest { matches { nodes { loanProduct { id } } } } } }`;
      const response = await app.gql(query, { id: need.id }, enterprises.listed.id);
      return response.data.node.matches.nodes.map((m: any) => m.loanProduct.id);
    };
    expect(await matched()).toEqual([]);

    const scores = async () => {
      const profiles = await Promise.all(Object.values(enterprises).map((e) => profileOf(e.id)));
      const summary = (profile: any) => [profile.score, profile.flags.join(), profile.asOf];
      return Object.fromEntries(Object.keys(enterprises).map((name, k) => [name, summary(profiles[k])]));
    };
    // The first run counts from the oldest profile's date: nothing crossed a boundary on 5 December.
    await app.server.services.calendarSweep();
    expect(await scores()).toEqual({
      young: [680, '', '2099-12-05'],
      fading: [616, '', '2099-12-05'],
      listed: [200, 'DISHONEST_DEBTOR', '2099-12-05'],
      steady: [648, '', '2099-12-05'],
      later: [680, '', '2099-12-05'],
    });
    const steadyBefore = await profileOf(enterprises.steady.id);

    // China midnight: 6 December.
    clock.set('2099-12-05T16:00:00Z');
    expect((await app.server.services.calendarSweep()).rescoring).toEqual({ rescored: 3, changed: 3 });
    expect(await scores()).toEqual({
      young: [664, '', '2099-12-06'],
      fading: [600, '', '2099-12-06'],
      listed: [600, '', '2099-12-06'],
      steady: [648, '', '2099-12-05'],
      later: [680, '', '2099-12-05'],
    });
    expect(await profileOf(enterprises.steady.id)).toEqual(steadyBefore);
    // The listing ended: the need is re-matched in the background and now finds the product.
    expect(await matched()).toEqual([product.id]);
    // Once a day: a second run that day does nothing.
    expect((await app.server.services.calendarSweep()).rescoring).toEqual({ rescored: 0, changed: 0 });

    // Down on 7 December; on 8 December two processes sweep at once: one catches up, once.
    clock.set('2099-12-07T16:00:00Z');
    const { credit } = app.server.services;
    const [first, second] = await Promise.all([credit.rescoreDueProfiles(), credit.rescoreDueProfiles()]);
    expect([first, second].filter((outcome) => outcome?.rescored)).toEqual([{ rescored: 1, changed: 1 }]);
    expect((await scores()).later).toEqual([664, '', '2099-12-08']);
  });
});
