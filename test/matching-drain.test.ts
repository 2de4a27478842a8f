import { TestClock } from './support/clock';
import { parseGlobalId } from '../src/common/global-id';
import { startTestApp, TestApp } from './support/app';
import { createInstitution, createPublishedProduct, postRequest, registerEnterprise } from './support/fixtures';

/**
 * The score-change drain (the worker re-matching the open requests of rescored enterprises, a batch
 * at a time) must store exactly what the forward match of each request ranks: the same products, in
 * the same order, with the same scores and quoted rates. The database session is in UTC at 00:30
 * China time, where a date taken from the session would be a day behind.
 */

const IMPORT = `mutation($input: ImportCreditRecordsInput!) {
  importCreditRecords(input: $input) { imported rejected { line } } }`;

let app: TestApp;
// 00:30 on 5 December 2099 in China, still 4 December in UTC.
const clock = new TestClock(new Date('2099-12-04T16:30:00Z'));
beforeAll(async () => {
  // A test holds a request's lock while a worker waits for it: longer than the default bounded wait.
  app = await startTestApp({ clock, sessionTimeZone: 'UTC', limits: { lockTimeoutMs: 60_000 } });
});
afterAll(async () => {
  await app?.close();
});

const internalId = (globalId: string) => parseGlobalId(globalId)!.id;

/** Each request's stored matches and its forward match, as [product, score, quoted rate] best first. */
async function storedAndForward(requestIds: string[]) {
  const stored: Record<string, string[][]> = {};
  const forward: Record<string, string[][]> = {};
  for (const id of requestIds) {
    const rows: Array<{ product: string; score: string; rate: string }> = await app.dataSource.query(
      `SELECT loan_product_id::text AS product, match_score::text AS score, quoted_rate::text AS rate FROM product_match
       WHERE financing_request_id = $1 ORDER BY match_score DESC, quoted_rate ASC, loan_product_id ASC`,
      [id],
    );
    stored[id] = rows.map((row) => [row.product, row.score, row.rate]);
    const ranked = await app.server.services.matching.topMatches(id);
    forward[id] = ranked.map((row: any) => [row.loan_product_id, row.match_score, row.quoted_rate]);
  }
  return { stored, forward };
}

async function pendingScoreJobs(): Promise<number> {
  const sql = `SELECT count(*)::int AS n FROM matching_job WHERE kind = 'SCORE_CHANGED' AND finished_at IS NULL`;
  return (await app.dataSource.query(sql))[0].n;
}

/** A credit record as the import takes it: a fresh positive tax record unless `fields` say otherwise. */
const record = (uscc: string, reference: string, fields: Record<string, unknown> = {}) => ({
  uscc,
  sourceReference: `${uscc}-${reference}`,
  source: 'TAX',
  polarity: 'POSITIVE',
  indicator: '按时纳税',
  recordedOn: '2099-06-01',
  ...fields,
});
const listing = (uscc: string, reference: string, expiresOn: string) =>
  record(uscc, reference, { source: 'COURT', polarity: 'NEGATIVE', indicator: '失信被执行人', expiresOn });

it('stores what the forward match ranks for each re-matched request, at date, expiry, listing boundaries', async () => {
  const fast = await createInstitution(app, { regionsServed: ['230000'], responseDeadlineDays: 2 });
  const slow = await createInstitution(app, { regionsServed: ['230000'], responseDeadlineDays: 9 });
  const everyone = { eligibleRegions: ['230000'], eligibleIndustries: [], eligibleScales: [] };
  const incentive = [
    { grade: 'A', annualRate: '4.10' },
    { grade: 'AA', annualRate: '3.90' },
  ];
  const variants: Array<Record<string, unknown>> = [
    {},
    { minYearsInBusiness: 3 },
    { minYearsInBusiness: 4 },
    { minCreditScore: 650 },
    { minCreditScore: 700, gradeRates: incentive },
    { gradeRates: incentive, maxRate: '6.40' },
    { guaranteeType: 'MORTGAGE' },
    { guaranteeType: 'GUARANTEE', maxRate: '7.20' },
    { eligibleRegions: ['230100'] },
    { eligibleRegions: ['230102'] },
    { eligibleRegions: ['230200'] },
    { eligibleRegions: [] },
    { eligibleIndustries: ['C13'] },
    { eligibleIndustries: ['F'] },
    { eligibleScales: ['MEDIUM'] },
    { minAnnualRevenue: '30000000.00' },
    { minAmount: '500000.00', maxAmount: '500000.00' },
    { maxTermMonths: 12 },
    { minTermMonths: 24, maxTermMonths: 60 },
  ];
  for (const [k, variant] of variants.entries()) {
    await createPublishedProduct(app, (k % 2 ? slow : fast).id, { ...everyone, ...variant });
  }
  await app.server.services.matching.workQueuedJobs();

  const enterprises = {
    // Three years in business from 00:00 China time today; two to the UTC date.
    anniversary: await registerEnterprise(app, { establishedOn: '2096-12-05', regionCode: '230102' }),
    dayShort: await registerEnterprise(app, { establishedOn: '2096-12-06', regionCode: '230123' }),
    old: await registerEnterprise(app, {
      establishedOn: '2010-01-01',
      regionCode: '230202',
      industryCode: 'F51',
      scale: 'MEDIUM',
      annualRevenue: '50000000.00',
    }),
    // 失信被执行人 through 5 December (today in China): listed now, not from tomorrow.
    listed: await registerEnterprise(app, { establishedOn: '2015-03-01' }),
    // A record that stopped counting on 4 December (the UTC date), another that stops tomorrow.
    expiring: await registerEnterprise(app, { establishedOn: '2019-07-20', scale: 'MICRO' }),
  };
  const requests: string[] = [];
  const post = async (enterprise: { id: string }, overrides: Record<string, unknown> = {}) => {
    requests.push(internalId((await postRequest(app, enterprise.id, overrides)).id));
  };
  await post(enterprises.anniversary);
  const secured = ['MORTGAGE', 'GUARANTEE'];
  const longSecured = { amount: '500000.00', termMonths: 36, acceptableGuaranteeTypes: secured, maxRate: '7.50' };
  await post(enterprises.anniversary, longSecured);
  await post(enterprises.dayShort);
  await post(enterprises.old, { termMonths: 24, maxRate: '5.80' });
  await post(enterprises.old, { amount: '500000.00', termMonths: 6, acceptableGuaranteeTypes: ['CREDIT', ...secured] });
  await post(enterprises.listed, { termMonths: 24 });
  await post(enterprises.expiring);
  await post(enterprises.expiring, { amount: '2000000.00', termMonths: 48, maxRate: '6.10' });
  const before = await storedAndForward(requests);

  const records = [
    ...['TAX', 'SOCIAL_INSURANCE', 'HOUSING_FUND'].map((source) =>
      record(enterprises.anniversary.uscc, source, { source }),
    ),
    record(enterprises.dayShort.uscc, 'tax'),
    ...['TAX', 'SOCIAL_INSURANCE'].map((source) => record(enterprises.old.uscc, source, { source })),
    record(enterprises.listed.uscc, 'tax'),
    listing(enterprises.listed.uscc, 'listing', '2099-12-05'),
    record(enterprises.expiring.uscc, 'lapsed', { source: 'SOCIAL_INSURANCE', expiresOn: '2099-12-04' }),
    record(enterprises.expiring.uscc, 'ending', { expiresOn: '2099-12-05' }),
  ];
  const imported = await app.gql(IMPORT, { input: { records } }, 'operator');
  expect(imported.data.importCreditRecords).toEqual({ imported: records.length, rejected: [] });
  expect(await pendingScoreJobs()).toBe(Object.keys(enterprises).length);
  await app.server.services.matching.workQueuedJobs();
  expect(await pendingScoreJobs()).toBe(0);
  const after = await storedAndForward(requests);
  expect(after.stored).toEqual(after.forward);
  // Not vacuous: the scores moved the matches, the listing emptied a request, the anniversary counts.
  expect(after.stored).not.toEqual(before.stored);
  const [anniversary, , dayShort, , , listed] = requests;
  expect(after.stored[listed]).toEqual([]);
  expect(before.stored[listed].length).toBeGreaterThan(0);
  expect(after.stored[anniversary].length).toBeGreaterThan(after.stored[dayShort].length);
  expect(Object.values(after.stored).flat().length).toBeGreaterThan(30);

  // China midnight: 6 December. The listing and the second record end; the daily rescoring queues them.
  clock.set('2099-12-05T16:00:00Z');
  const sweep = await app.server.services.calendarSweep();
  expect(sweep.rescoring?.changed).toBeGreaterThanOrEqual(2);
  expect(await pendingScoreJobs()).toBeGreaterThanOrEqual(2);
  await app.server.services.matching.workQueuedJobs();
  // The rescored enterprises' requests are re-matched, and so are dayShort's: its third anniversary is today,
  // which passes the 3-year product's minimum though its score did not move.
  const nextDay = await storedAndForward(requests);
  expect(nextDay.stored).toEqual(nextDay.forward);
  expect(nextDay.stored[listed].length).toBeGreaterThan(0);
  expect(nextDay.stored[dayShort].length).toBeGreaterThan(after.stored[dayShort].length);
});

/** Until a refresh of the app's database waits for a lock (one other than `except`'s); returns its backend. */
async function refreshWaiting(except = 0): Promise<number> {
  const sql = `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
    AND query LIKE '%FOR NO KEY UPDATE%' AND pid <> $1`;
  for (let tries = 0; ; tries++) {
    const [waiting] = await app.dataSource.query(sql, [except]);
    if (waiting) return waiting.pid;
    if (tries > 400) throw new Error('no refresh waits for a lock');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

it('never works a claimed batch twice, and works again, once, the batch of a worker killed mid-way', async () => {
  const bank = await createInstitution(app, { regionsServed: ['440000'] });
  await createPublishedProduct(app, bank.id, { eligibleRegions: ['440000'], minCreditScore: 650 });
  await app.server.services.matching.workQueuedJobs();
  const enterprises = [];
  for (let k = 0; k < 3; k++) enterprises.push(await registerEnterprise(app, { regionCode: '440106' }));
  const requests = [];
  for (const enterprise of enterprises) requests.push(internalId((await postRequest(app, enterprise.id)).id));
  const records = enterprises.map((enterprise) => record(enterprise.uscc, 'claimed'));
  expect((await app.gql(IMPORT, { input: { records } }, 'operator')).data.importCreditRecords.imported).toBe(3);
  expect(await pendingScoreJobs()).toBe(3);

  // A transaction holding the last request makes the worker wait there, its batch claimed.
  const holder = app.dataSource.createQueryRunner();
  await holder.connect();
  await holder.startTransaction();
  try {
    await holder.query(`SELECT 1 FROM financing_request WHERE id = $1 FOR UPDATE`, [requests[2]]);
    const killed = app.server.services.matching.workQueuedJobs();
    const pid = await refreshWaiting();
    // A second worker skips the claimed batch: nothing is worked twice.
    expect(await app.server.services.matching.workQueuedJobs()).toBe(0);
    // Its connection ends as a killed process's would: the claims go with its transaction. The same call
    // retries (withTransaction), claims the batch again and waits again.
    await app.dataSource.query(`SELECT pg_terminate_backend($1)`, [pid]);
    await refreshWaiting(pid);
    expect(await pendingScoreJobs()).toBe(3);
    expect(await app.server.services.matching.workQueuedJobs()).toBe(0);
    await holder.rollbackTransaction();
    await killed;
  } finally {
    if (holder.isTransactionActive) await holder.rollbackTransaction();
    await holder.release();
  }
  expect(await pendingScoreJobs()).toBe(0);
  const jobs = await app.dataSource.query(
    `SELECT attempts, last_error FROM matching_job WHERE kind = 'SCORE_CHANGED' AND subject_id = ANY($1::bigint[])`,
    [enterprises.map((enterprise) => internalId(enterprise.id))],
  );
  expect(jobs).toEqual(enterprises.map(() => ({ attempts: 1, last_error: null })));
  const { stored, forward } = await storedAndForward(requests);
  expect(stored).toEqual(forward);
  expect(Object.values(stored).every((matches) => matches.length > 0)).toBe(true);
});

it('works a second batch while the first waits, and both store what the forward match ranks', async () => {
  const bank = await createInstitution(app, { regionsServed: ['440000'] });
  await createPublishedProduct(app, bank.id, { eligibleRegions: ['440000'] });
  await createPublishedProduct(app, bank.id, { eligibleRegions: ['440000'], guaranteeType: 'MORTGAGE' });
  await app.server.services.matching.workQueuedJobs();
  const waiting = await registerEnterprise(app, { regionCode: '440106' });
  const others = [];
  for (let k = 0; k < 3; k++) others.push(await registerEnterprise(app, { regionCode: '440106' }));
  const requests = [];
  for (const enterprise of [waiting, ...others]) {
    requests.push(
      internalId((await postRequest(app, enterprise.id, { acceptableGuaranteeTypes: ['CREDIT', 'MORTGAGE'] })).id),
    );
  }
  // As after a score change: every stored match of these requests is stale, one is missing.
  await app.dataSource.query(
    `UPDATE product_match SET match_score = match_score - 1, reasons = '{}'
     WHERE financing_request_id = ANY($1::bigint[])`,
    [requests],
  );
  await app.dataSource.query(`DELETE FROM product_match WHERE financing_request_id = $1`, [requests[1]]);
  // One job for the first enterprise, then a hundred for each of the others: more than one batch's worth.
  const ids = (rows: Array<{ id: string }>) => rows.map((row) => row.id);
  const first = ids(
    await app.dataSource.query(
      `INSERT INTO matching_job (kind, subject_id) VALUES ('SCORE_CHANGED', $1) RETURNING id::text`,
      [internalId(waiting.id)],
    ),
  );
  const second = ids(
    await app.dataSource.query(
      `INSERT INTO matching_job (kind, subject_id)
       SELECT 'SCORE_CHANGED', subject FROM unnest($1::bigint[]) subject, generate_series(1, 100) RETURNING id::text`,
      [others.map((enterprise) => internalId(enterprise.id))],
    ),
  );
  const finished = async (jobs: string[]) =>
    (
      await app.dataSource.query(
        `SELECT count(*)::int AS n FROM matching_job WHERE id = ANY($1::bigint[]) AND finished_at IS NOT NULL`,
        [jobs],
      )
    )[0].n;

  const holder = app.dataSource.createQueryRunner();
  await holder.connect();
  await holder.startTransaction();
  let working: Promise<number> | undefined;
  try {
    await holder.query(`SELECT 1 FROM financing_request WHERE id = $1 FOR UPDATE`, [requests[0]]);
    working = app.server.services.matching.workQueuedJobs(first.length + second.length);
    await refreshWaiting();
    // The batch holding the first enterprise's job waits for the held request; the other batch, which
    // cannot hold it, is worked and committed meanwhile.
    for (let tries = 0; (await finished(second)) === 0; tries++) {
      if (tries > 400) throw new Error('no other batch was worked while one waited');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(await finished(first)).toBe(0);
    await holder.rollbackTransaction();
    await working;
  } finally {
    if (holder.isTransactionActive) await holder.rollbackTransaction();
    await holder.release();
    await working?.catch(() => undefined);
  }
  expect(await finished([...first, ...second])).toBe(first.length + second.length);
  const { stored, forward } = await storedAndForward(requests);
  expect(stored).toEqual(forward);
  expect(Object.values(stored).every((matches) => matches.length >= 2)).toBe(true);
});
