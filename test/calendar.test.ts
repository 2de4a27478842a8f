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

/** A credit record as the import takes it: a positive tax record unless `fields` say otherwise. */
function creditRecord(uscc: string, reference: string, fields: Record<string, unknown>) {
  const record = { uscc, sourceReference: `${uscc}-${reference}`, source: 'TAX', polarity: 'POSITIVE' };
  return { ...record, indicator: '按时纳税', ...fields };
}

/** Imports credit records as an operator; returns how many were new. */
async function importRecords(app: TestApp, records: unknown[]): Promise<number> {
  const IMPORT = `mutation($input: ImportCreditRecordsInput!) { importCreditRecords(input: $input) { imported } }`;
  const response = await app.gql(IMPORT, { input: { records } }, 'operator');
  expect(response.errors).toBeUndefined();
  return response.data.importCreditRecords.imported;
}

/** Until `n` transactions of the app's database wait for a lock (a test holds one to order a race). */
async function untilLockWaits(app: TestApp, n: number): Promise<void> {
  const sql = `SELECT count(*)::int AS n FROM pg_stat_activity
    WHERE datname = current_database() AND wait_event_type = 'Lock'`;
  for (let tries = 0; (await app.dataSource.query(sql))[0].n < n; tries++) {
    if (tries > 200) throw new Error(`fewer than ${n} transactions wait for a lock`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

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
      (await app.dataSource.query(POOLED_SQL, [ids.map((id) => parseGlobalId(id)!.id)]))[0].n;

    /** A bank's product and an enterprise's need of `amount` that fits it, valid until `validUntil`. */
    async function needFittingAProduct(amount: string, validUntil: string) {
      const bank = await createInstitution(app, { regionsServed: ['230000'] });
      const product = await createPublishedProduct(app, bank.id, { minAmount: amount, maxAmount: amount });
      const enterprise = await registerEnterprise(app);
      const need = await postRequest(app, enterprise.id, { amount, validUntil });
      return { bank, product, enterprise, need };
    }

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

    it("take applications through their validUntil day by the services' clock, not from the next", async () => {
      // 00:30 on 2 January 2020 in China: long past by the system clock.
      clock.set('2020-01-01T16:30:00Z');
      const bank = await createInstitution(app, { regionsServed: ['230000'] });
      const amount = { minAmount: '703000.00', maxAmount: '703000.00' };
      const first = await createPublishedProduct(app, bank.id, amount);
      const second = await createPublishedProduct(app, bank.id, amount);
      const enterprise = await registerEnterprise(app);
      const need = await postRequest(app, enterprise.id, { amount: '703000.00', validUntil: '2020-01-02' });
      await applyToProduct(app, enterprise.id, need.id, first.id);
      clock.set('2020-01-02T16:00:00Z');
      const input = { financingRequestId: need.id, loanProductId: second.id };
      const refused = await app.gql(operation('ApplyToProduct'), { input }, enterprise.id);
      expect(refused.data.applyToProduct.userErrors.map((e: any) => e.code)).toEqual(['REQUEST_EXPIRED']);
      expect(await app.server.services.financing.expireLapsedRequests()).toBe(1);
    });

    it('keep the matches they had at midnight when their enterprise is rescored before the sweep', async () => {
      clock.set('2096-06-30T16:30:00Z');
      const { product, enterprise, need } = await needFittingAProduct('704000.00', '2096-07-01');
      const MATCHES = `query($id: ID!) { node(id: $id) { ... on FinancingRequest {
        status matches { nodes { loanProduct { id } } } } } }`;
      const matched = async () => {
        const node = (await app.gql(MATCHES, { id: need.id }, enterprise.id)).data.node;
        return [node.status, node.matches.nodes.map((m: any) => m.loanProduct.id)];
      };
      await app.server.services.matching.workQueuedJobs();
      expect(await matched()).toEqual(['OPEN', [product.id]]);
      clock.set('2096-07-01T16:00:00Z');
      // A new record changes the score and queues the re-matching of the enterprise's needs.
      const record = creditRecord(enterprise.uscc, 'midnight', { recordedOn: '2096-06-01' });
      expect(await importRecords(app, [record])).toBe(1);
      await app.server.services.matching.workQueuedJobs();
      expect(await app.server.services.financing.expireLapsedRequests()).toBe(1);
      expect(await matched()).toEqual(['EXPIRED', [product.id]]);
    });

    it('stay expired when one of their applications moves while the sweep expires them', async () => {
      clock.set('2097-06-30T16:30:00Z');
      const { bank, product, enterprise, need } = await needFittingAProduct('702000.00', '2097-07-01');
      const application = await applyToProduct(app, enterprise.id, need.id, product.id);
      clock.set('2097-07-01T16:00:00Z');
      // The sweep expires the need, then waits for a transaction holding its matchable_request row;
      // meanwhile the bank accepts the application, which waits for the need the sweep holds.
      const holder = app.dataSource.createQueryRunner();
      await holder.connect();
      await holder.startTransaction();
      try {
        await holder.query(`SELECT 1 FROM matchable_request WHERE financing_request_id = $1 FOR UPDATE`, [
          parseGlobalId(need.id)!.id,
        ]);
        const sweep = app.server.services.financing.expireLapsedRequests();
        await untilLockWaits(app, 1);
        const accepted = acceptApplication(app, bank.id, application.id);
        await untilLockWaits(app, 2);
        await holder.rollbackTransaction();
        expect(await sweep).toBe(1);
        await accepted;
      } finally {
        if (holder.isTransactionActive) await holder.rollbackTransaction();
        await holder.release();
      }
      expect(await statusOf(need.id, enterprise.id)).toBe('EXPIRED');
      expect(await app.server.services.financing.expireLapsedRequests()).toBe(0);
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

  it('leaves out a record that expired before its anniversary: it counts nothing either side of it', async () => {
    clock.set('2099-12-07T16:30:00Z');
    const lapsed = await registerEnterprise(app); // its record expired in March, a year old on 9 December
    const aging = await registerEnterprise(app); // its record, a year old on 9 December: 100 % → 80 %
    const record = (uscc: string, expiresOn: string | null) =>
      creditRecord(uscc, 'anniversary', { recordedOn: '2098-12-09', expiresOn });
    expect(await importRecords(app, [record(lapsed.uscc, '2099-03-01'), record(aging.uscc, null)])).toBe(2);
    expect((await profileOf(lapsed.id)).score).toBe(600);
    const lapsedBefore = await profileOf(lapsed.id);

    clock.set('2099-12-08T16:00:00Z');
    expect(await app.server.services.credit.rescoreDueProfiles()).toEqual({ rescored: 1, changed: 1 });
    expect((await profileOf(aging.id)).score).toBe(664);
    expect(await profileOf(lapsed.id)).toEqual(lapsedBefore);
  });

  it('never scores a profile as of a day before the last day the daily rescoring processed', async () => {
    // 23:59 on 10 December in China; the daily rescoring has processed 10 December.
    clock.set('2099-12-10T15:59:00Z');
    const listed = await registerEnterprise(app);
    const listing = creditRecord(listed.uscc, 'listing', {
      recordedOn: '2099-01-01',
      expiresOn: '2099-12-10',
      source: 'COURT',
      polarity: 'NEGATIVE',
      indicator: '失信被执行人',
    });
    expect(await importRecords(app, [listing])).toBe(1);
    await app.server.services.credit.rescoreDueProfiles();
    expect(await profileOf(listed.id)).toMatchObject({ flags: ['DISHONEST_DEBTOR'], asOf: '2099-12-10' });

    // An import begun before China midnight waits (here for a transaction holding its record's key)
    // while the daily rescoring of 11 December ends the listing; then it rescores the enterprise.
    const tax = creditRecord(listed.uscc, 'tax', { recordedOn: '2099-06-01' });
    const holder = app.dataSource.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    try {
      await holder.query(
        `INSERT INTO credit_record (enterprise_id, source, source_reference, indicator, polarity, recorded_on)
         VALUES ($1, 'TAX', $2, '按时纳税', 'POSITIVE', '2099-06-01')`,
        [parseGlobalId(listed.id)!.id, tax.sourceReference],
      );
      const imported = importRecords(app, [tax]);
      await untilLockWaits(app, 1);
      clock.set('2099-12-10T16:00:00Z');
      expect(await app.server.services.credit.rescoreDueProfiles()).toEqual({ rescored: 1, changed: 1 });
      await holder.rollbackTransaction();
      expect(await imported).toBe(1);
    } finally {
      if (holder.isTransactionActive) await holder.rollbackTransaction();
      await holder.release();
    }
    expect(await profileOf(listed.id)).toMatchObject({ score: 680, flags: [], asOf: '2099-12-11' });
  });
});

describe('whole years with the database session in a zone whose clocks skipped midnight', () => {
  let app: TestApp;
  // 00:30 on 3 September 2024 in China. In Chile, 3 September 2023 began at 01:00 (daylight saving).
  const clock = new TestClock(new Date('2024-09-02T16:30:00Z'));
  beforeAll(async () => {
    app = await startTestApp({ clock, sessionTimeZone: 'America/Santiago' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('counts a year from 3 September 2023 complete on 3 September 2024, in the score and in matching', async () => {
    const enterprise = await registerEnterprise(app, { establishedOn: '2023-09-03' });
    expect(await importRecords(app, [creditRecord(enterprise.uscc, 'santiago', { recordedOn: '2023-09-03' })])).toBe(1);
    const PROFILE = `query($id: ID!) { node(id: $id) { ... on Enterprise { creditProfile { score } } } }`;
    // A year old: 80 % of 80 points.
    expect((await app.gql(PROFILE, { id: enterprise.id }, 'operator')).data.node.creditProfile.score).toBe(664);
    const bank = await createInstitution(app, { regionsServed: ['230000'] });
    const product = await createPublishedProduct(app, bank.id, { minYearsInBusiness: 2 });
    const request = await postRequest(app, enterprise.id);
    const fit = await app.gql(FIT, { id: request.id, productId: product.id }, enterprise.id);
    expect(fit.data.node.productFit.failedCriteria).toEqual([
      { criterion: 'YEARS_IN_BUSINESS', message: '1 years in business < product minimum 2' },
    ]);
  });
});
