import { startTestApp, TestApp } from './support/app';
import { operation } from './support/operations';
import { createInstitution, createPublishedProduct, registerEnterprise, postRequest } from './support/fixtures';
import { chinaDate } from '../src/common/clock';
import { money, rate } from '../src/common/decimal';
import { toGlobalId } from '../src/common/global-id';
import { StatsAllTimeGrain1795857000000 } from '../migrations/1795857000000-StatsAllTimeGrain';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const STATS = `query($filter: StatsFilter) { platformStats(filter: $filter) {
  enterprisesRegistered institutions productsPublished
  requested { count amount } accepted { count amount } granted { count amount } disbursed { count amount }
  weightedAverageGrantedRate medianDaysToGrant firstTimeBorrowers
  creditGuaranteeShareByCount creditGuaranteeShareByAmount
} }`;

function prng(seed: number) {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/** The same figures, computed here from the raw rows with BigInt. */
async function expected(filter: {
  region?: string;
  industry?: string;
  institutionId?: string;
  guarantee?: string;
  from?: string;
  to?: string;
}) {
  const inPeriod = (at: Date | string | null) => {
    const day = typeof at === 'string' ? at : chinaDate(at!);
    return (!filter.from || day >= filter.from) && (!filter.to || day <= filter.to);
  };
  const q = (sql: string) => app.dataSource.query(sql);
  const enterprises = await q(`SELECT id::text, region_code, industry_code FROM enterprise`);
  const inEnterprise = (id: string) => {
    const e = enterprises.find((x: any) => x.id === id);
    return (
      (!filter.region || e.region_code.startsWith(filter.region)) &&
      (!filter.industry || e.industry_code.startsWith(filter.industry))
    );
  };
  const requests = await q(
    `SELECT id::text, enterprise_id::text, amount::text, posted_at, acceptable_guarantee_types::text[] AS types
      FROM financing_request`,
  );
  const applications = await q(
    `SELECT a.financing_request_id::text AS request_id, a.institution_id::text, a.accepted_at,
      p.guarantee_type::text AS guarantee FROM application a JOIN loan_product p ON p.id = a.loan_product_id`,
  );
  const grants = await q(`SELECT g.id::text, g.amount::text, g.annual_rate::text, g.approved_at, g.status::text,
      r.enterprise_id::text, r.posted_at, a.institution_id::text, p.guarantee_type::text AS guarantee
    FROM credit_grant g JOIN application a ON a.id = g.application_id JOIN loan_product p ON p.id = a.loan_product_id
      JOIN financing_request r ON r.id = g.financing_request_id`);
  const disbursements = await q(
    `SELECT d.amount::text, d.disbursed_on::text, g.id::text AS grant_id FROM disbursement d JOIN credit_grant g
      ON g.id = d.credit_grant_id`,
  );
  const sum = (values: string[]) => money.format(values.reduce((total, v) => total + money.units(v), 0n));
  const byInstitution = (institutionId: string) => !filter.institutionId || institutionId === filter.institutionId;
  const byGuarantee = (guarantee: string) => !filter.guarantee || guarantee === filter.guarantee;

  const requested = requests.filter(
    (r: any) =>
      inEnterprise(r.enterprise_id) &&
      inPeriod(r.posted_at) &&
      (!filter.guarantee || r.types.includes(filter.guarantee)) &&
      (!filter.institutionId ||
        applications.some((a: any) => a.request_id === r.id && a.institution_id === filter.institutionId)),
  );
  const accepted = requests.filter((r: any) => {
    const first = applications
      .filter(
        (a: any) =>
          a.request_id === r.id && a.accepted_at && byInstitution(a.institution_id) && byGuarantee(a.guarantee),
      )
      .sort((a: any, b: any) => a.accepted_at - b.accepted_at)[0];
    return inEnterprise(r.enterprise_id) && first && inPeriod(first.accepted_at);
  });
  const approved = grants.filter(
    (g: any) =>
      g.status === 'APPROVED' &&
      inEnterprise(g.enterprise_id) &&
      byInstitution(g.institution_id) &&
      byGuarantee(g.guarantee),
  );
  const granted = approved.filter((g: any) => inPeriod(g.approved_at));
  const grantIds = new Set(approved.map((g: any) => g.id));
  const paid = disbursements.filter((d: any) => grantIds.has(d.grant_id) && inPeriod(d.disbursed_on));
  // Whole China-time days from posting to approval; percentile_cont(0.5) with 2 decimals.
  const leadDays = granted
    .map((g: any) => (Date.parse(chinaDate(g.approved_at)) - Date.parse(chinaDate(g.posted_at))) / 86_400_000)
    .sort((a: number, b: number) => a - b);
  const middle = leadDays.length
    ? (leadDays[Math.floor((leadDays.length - 1) / 2)] + leadDays[Math.floor(leadDays.length / 2)]) * 50
    : null;
  const grantedUnits = granted.reduce((t: bigint, g: any) => t + money.units(g.amount), 0n);
  const weighted = granted.reduce((t: bigint, g: any) => t + money.units(g.amount) * rate.units(g.annual_rate), 0n);
  const firsts = new Map<string, any>();
  for (const g of [...grants]
    .filter((x: any) => x.status === 'APPROVED')
    .sort((a: any, b: any) => a.approved_at - b.approved_at || Number(a.id) - Number(b.id))) {
    if (!firsts.has(g.enterprise_id)) firsts.set(g.enterprise_id, g);
  }
  const credit = granted.filter((g: any) => g.guarantee === 'CREDIT');
  const share = (part: bigint, whole: bigint) =>
    whole === 0n ? null : (Number((part * 20_000n + whole) / (2n * whole)) / 10_000).toFixed(4);
  return {
    requested: { count: requested.length, amount: sum(requested.map((r: any) => r.amount)) },
    accepted: { count: accepted.length, amount: sum(accepted.map((r: any) => r.amount)) },
    granted: { count: granted.length, amount: money.format(grantedUnits) },
    disbursed: { count: paid.length, amount: sum(paid.map((d: any) => d.amount)) },
    medianDaysToGrant: middle === null ? null : `${Math.floor(middle / 100)}.${String(middle % 100).padStart(2, '0')}`,
    weightedAverageGrantedRate:
      grantedUnits === 0n ? null : rate.format((weighted * 2n + grantedUnits) / (2n * grantedUnits)),
    firstTimeBorrowers: [...firsts.values()].filter(
      (g: any) =>
        inEnterprise(g.enterprise_id) &&
        byInstitution(g.institution_id) &&
        byGuarantee(g.guarantee) &&
        inPeriod(g.approved_at),
    ).length,
    creditGuaranteeShareByCount: share(BigInt(credit.length), BigInt(granted.length)),
    creditGuaranteeShareByAmount: share(
      credit.reduce((t: bigint, g: any) => t + money.units(g.amount), 0n),
      grantedUnits,
    ),
  };
}

/** Compares platformStats with the raw-row figures for each filter; returns how many had grants. */
async function statsMatchRawRows(
  filters: Array<[Record<string, unknown> | null, Record<string, string | undefined>]>,
): Promise<number> {
  let nonTrivial = 0;
  for (const [filter, local] of filters) {
    const response = await app.gql(STATS, { filter }, 'analyst');
    expect(response.errors).toBeUndefined();
    const stats = response.data.platformStats;
    const want = await expected(local);
    expect({ filter, ...Object.fromEntries(Object.keys(want).map((k) => [k, stats[k]])) }).toEqual({ filter, ...want });
    if (stats.granted.count > 0) nonTrivial++;
  }
  return nonTrivial;
}

async function pendingDeltas(): Promise<number> {
  const [{ count }] = await app.dataSource.query(`SELECT count(*)::int AS count FROM stats_delta`);
  return count;
}

/** The rollup the triggers maintained, compacted, equals one rebuilt from scratch over the raw rows. */
async function expectRollupToEqualRebuild() {
  const rollup = () =>
    app.dataSource
      .query(`SELECT grain, day::text, measure, region_code, industry_code, institution_id::text, guarantee_type,
        lead_days, count::text, amount::text, amount_rate::text
      FROM stats_rollup WHERE count <> 0 OR amount <> 0 OR amount_rate <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8`);
  await app.dataSource.query(`SELECT stats_compact()`);
  const maintained = await rollup();
  await app.dataSource.query(`SELECT stats_rebuild()`);
  const rebuilt = await rollup();
  expect(maintained.length).toBeGreaterThan(0);
  expect(maintained).toEqual(rebuilt);
}

describe('platformStats is exact', () => {
  it('equals the figures computed from the raw rows after a random workload', async () => {
    const random = prng(42);
    const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)];
    const enterprises = [
      await registerEnterprise(app, { regionCode: '230123', industryCode: 'C13' }),
      await registerEnterprise(app, { regionCode: '230102', industryCode: 'A01' }),
      await registerEnterprise(app, { regionCode: '110101', industryCode: 'C13' }),
    ];
    const banks = [
      await createInstitution(app, { regionsServed: ['230000'] }),
      await createInstitution(app, { regionsServed: ['110000'] }),
    ];
    const products = [
      await createPublishedProduct(app, banks[0].id, {
        guaranteeType: 'CREDIT',
        eligibleRegions: [],
        eligibleIndustries: [],
      }),
      await createPublishedProduct(app, banks[0].id, {
        guaranteeType: 'GUARANTEE',
        eligibleRegions: [],
        eligibleIndustries: [],
      }),
      await createPublishedProduct(app, banks[1].id, {
        guaranteeType: 'CREDIT',
        eligibleRegions: [],
        eligibleIndustries: [],
        eligibleScales: [],
      }),
    ];
    const bankOf = (productId: string) =>
      products.indexOf(products.find((p) => p.id === productId)!) < 2 ? banks[0] : banks[1];
    const open: Array<{ request: any; enterprise: any; application?: any; product?: any; state: string }> = [];
    for (let step = 0; step < 60; step++) {
      const roll = random();
      if (roll < 0.3 || open.length === 0) {
        const enterprise = pick(enterprises);
        const amount = `${Math.floor(random() * 20 + 1) * 50000}.00`;
        open.push({
          request: await postRequest(app, enterprise.id, { amount, acceptableGuaranteeTypes: ['CREDIT', 'GUARANTEE'] }),
          enterprise,
          state: 'posted',
        });
        continue;
      }
      const item = pick(open);
      const bank = item.product ? bankOf(item.product.id) : undefined;
      if (item.state === 'posted') {
        item.product = pick(products);
        const applied = await app.gql(
          operation('ApplyToProduct'),
          { input: { financingRequestId: item.request.id, loanProductId: item.product.id } },
          item.enterprise.id,
        );
        item.application = applied.data.applyToProduct.application;
        item.state = item.application ? 'applied' : 'posted';
      } else if (item.state === 'applied') {
        if (random() < 0.15) {
          await app.gql(
            `mutation($id: ID!) { withdrawApplication(input: { applicationId: $id }) { userErrors { code } } }`,
            { id: item.application.id },
            item.enterprise.id,
          );
          item.state = 'done';
        } else {
          await app.gql(operation('AcceptApplication'), { input: { applicationId: item.application.id } }, bank!.id);
          item.state = 'accepted';
        }
      } else if (item.state === 'accepted') {
        const amount = money.format(money.units(item.request.amount) / 2n);
        const granted = await app.gql(
          operation('GrantCredit'),
          {
            input: {
              applicationId: item.application.id,
              amount,
              annualRate: pick(['3.85', '4.10', '4.35', '5.00']),
              termMonths: 12,
            },
          },
          bank!.id,
        );
        item.state = granted.data.grantCredit.creditGrant ? 'granted' : 'done';
      } else if (item.state === 'granted') {
        await app.gql(
          operation('RecordDisbursement'),
          { input: { applicationId: item.application.id, amount: '10000.00' } },
          bank!.id,
        );
      }
    }
    // Some applications expire unaccepted.
    await app.dataSource.query(
      `UPDATE application SET response_deadline = now() - interval '1 second' WHERE status = 'SUBMITTED'
        AND id % 2 = 0`,
    );
    await app.server.services.lending.expireOverdueApplications(new Date());

    const today = chinaDate(new Date());
    const filters: Array<[Record<string, unknown> | null, Record<string, string | undefined>]> = [
      [null, {}],
      [{ regionCode: '230000' }, { region: '23' }],
      [{ regionCode: '230123' }, { region: '230123' }],
      [{ industry: 'C' }, { industry: 'C' }],
      [{ institutionId: banks[0].id }, { institutionId: Buffer.from(banks[0].id, 'base64').toString().split(':')[1] }],
      [{ guaranteeType: 'CREDIT' }, { guarantee: 'CREDIT' }],
      [
        { from: today, to: today, regionCode: '230000', guaranteeType: 'GUARANTEE' },
        { region: '23', guarantee: 'GUARANTEE', from: today, to: today },
      ],
    ];
    // First from the pending deltas, then from the compacted rollup.
    expect(await pendingDeltas()).toBeGreaterThan(0);
    expect(await statsMatchRawRows(filters)).toBeGreaterThanOrEqual(4);
    await app.dataSource.query(`SELECT stats_compact()`);
    expect(await pendingDeltas()).toBe(0);
    expect(await statsMatchRawRows(filters)).toBeGreaterThanOrEqual(4);
    await expectRollupToEqualRebuild();

    // Breakdowns by region and industry, and the series, partition the totals exactly.
    const FLOWS =
      'requested { count amount } accepted { count amount } granted { count amount } disbursed { count amount }';
    const totals = (await app.gql(STATS, {}, 'analyst')).data.platformStats;
    const add = (rows: any[], flow: string) => ({
      count: rows.reduce((t, r) => t + r[flow].count, 0),
      amount: money.format(rows.reduce((t, r) => t + money.units(r[flow].amount), 0n)),
    });
    for (const query of [
      `{ rows: statsBreakdown(dimension: REGION) { key label ${FLOWS} } }`,
      `{ rows: statsBreakdown(dimension: INDUSTRY) { key label ${FLOWS} } }`,
      `{ rows: statsSeries(granularity: DAY) { period ${FLOWS} } }`,
      `{ rows: statsSeries(granularity: MONTH) { period ${FLOWS} } }`,
    ]) {
      const rows = (await app.gql(query, {}, 'analyst')).data.rows;
      for (const flow of ['requested', 'accepted', 'granted', 'disbursed'])
        expect({ query, flow, ...add(rows, flow) }).toEqual({ query, flow, ...totals[flow] });
    }
    const provinces = (await app.gql(`{ statsBreakdown(dimension: REGION) { key label } }`, {}, 'analyst')).data
      .statsBreakdown;
    expect(provinces).toEqual([
      { key: '110000', label: '北京市' },
      { key: '230000', label: '黑龙江省' },
    ]);
    const prefectures = (
      await app.gql(`{ statsBreakdown(dimension: REGION, filter: { regionCode: "230000" }) { key } }`, {}, 'analyst')
    ).data.statsBreakdown;
    expect(prefectures.map((p: any) => p.key).sort()).toEqual(['230100']);
    const byInstitution = (
      await app.gql(`{ statsBreakdown(dimension: INSTITUTION) { key label granted { count } } }`, {}, 'analyst')
    ).data.statsBreakdown;
    expect(byInstitution.reduce((t: number, r: any) => t + r.granted.count, 0)).toBe(totals.granted.count);
    expect(byInstitution.every((r: any) => r.label)).toBe(true);

    const funnel = (
      await app.gql(
        `{ statsFunnel { posted applied accepted granted disbursed appliedRate acceptedBeforeDeadlineShare } }`,
        {},
        'analyst',
      )
    ).data.statsFunnel;
    expect(funnel.posted).toBe(totals.requested.count);
    expect(funnel.posted).toBeGreaterThanOrEqual(funnel.applied);
    expect(funnel.applied).toBeGreaterThanOrEqual(funnel.accepted);
    expect(funnel.accepted).toBeGreaterThanOrEqual(funnel.granted);
    expect(funnel.accepted).toBe(totals.accepted.count);
    expect(funnel.granted).toBe(totals.granted.count);
    expect(funnel.acceptedBeforeDeadlineShare).toBe('1.0000');
    const [{ applied }] = await app.dataSource.query(
      `SELECT count(DISTINCT financing_request_id)::int AS applied FROM application`,
    );
    expect(funnel.applied).toBe(applied);

    const future = await app.gql(STATS, { filter: { from: '2099-01-01' } }, 'analyst');
    expect(future.data.platformStats).toMatchObject({
      requested: { count: 0, amount: '0.00' },
      granted: { count: 0 },
      weightedAverageGrantedRate: null,
    });
    const all = (await app.gql(STATS, {}, 'analyst')).data.platformStats;
    expect(all).toMatchObject({ enterprisesRegistered: 3, institutions: 2, productsPublished: 3 });
    const regional = (await app.gql(STATS, { filter: { regionCode: '230123' } }, 'analyst')).data.platformStats;
    expect(regional).toMatchObject({ enterprisesRegistered: 1, institutions: 1 });
    // Published products of the institutions serving the county (its province, prefecture or itself).
    const [{ servingProducts }] = await app.dataSource
      .query(`SELECT count(*)::int AS "servingProducts" FROM loan_product p JOIN institution i
        ON i.id = p.institution_id
      WHERE p.status = 'PUBLISHED' AND EXISTS (SELECT 1 FROM unnest(i.regions_served) s
        WHERE '230123' LIKE (CASE WHEN s LIKE '__0000' THEN left(s, 2) WHEN s LIKE '____00' THEN left(s, 4)
          ELSE s END) || '%')`);
    expect(servingProducts).toBeGreaterThan(0);
    expect(servingProducts).toBeLessThan(3);
    expect(regional.productsPublished).toBe(servingProducts);
  });

  it('cuts periods across month boundaries exactly, from the deltas and from the compacted rollup', async () => {
    const [bank, otherBank] = await app.dataSource.query(
      `SELECT p.id::text AS product, p.institution_id::text AS institution FROM loan_product p ORDER BY p.id LIMIT 3`,
    );
    // Backdated rows of record, written as a bulk load would: the triggers count them all the same.
    await app.dataSource.transaction(async (manager) => {
      const q = (sql: string) => manager.query(sql);
      await q(`INSERT INTO enterprise (uscc, name, region_code, industry_code, scale, established_on,
        registered_capital, annual_revenue, employees, registered_at)
        SELECT '91230123MA' || lpad(g::text, 8, '0'), '回填企业' || g, (ARRAY['230123', '230102', '110101'])[1 + g % 3],
          (ARRAY['C13', 'A01'])[1 + g % 2], 'SMALL',
          date '2015-01-01', 1000000, 5000000, 20, timestamptz '2024-11-30 23:30+08' + make_interval(hours => g * 17)
        FROM generate_series(1, 12) g`);
      await q(`INSERT INTO financing_request (enterprise_id, amount, term_months, purpose, acceptable_guarantee_types,
        max_rate, valid_until, status, posted_at, updated_at)
        SELECT e.id, (10 + g % 7) * 10000, 12, '流动资金', (ARRAY['{CREDIT}', '{CREDIT,GUARANTEE}'])[1 + g %
          2]::guarantee_type[], 6.00, date '2026-12-31', 'ACCEPTED',
          timestamptz '2024-11-20 00:00+08' + make_interval(mins => (g * 7919) % 220000), now()
        FROM generate_series(1, 48) g JOIN LATERAL (SELECT id FROM enterprise WHERE name = '回填企业' || (1 + g % 12)) e
          ON true`);
      await q(`INSERT INTO application (financing_request_id, loan_product_id, institution_id, enterprise_id, status,
        origin, response_deadline, submitted_at, accepted_at, updated_at)
        SELECT r.id, p.product, p.institution, r.enterprise_id, 'ACCEPTED', 'ENTERPRISE_APPLIED',
          r.posted_at + interval '5 days', r.posted_at,
          r.posted_at + make_interval(days => (r.id % 5)::int + p.lag, mins => (r.id * 13 % 1440)::int), now()
        FROM financing_request r
        JOIN (VALUES (${bank.product}::bigint, ${bank.institution}::bigint, 0), (${otherBank.product},
          ${otherBank.institution}, 1)) p(product, institution, lag)
          ON p.lag = 0 OR r.id % 4 = 0
        WHERE r.purpose = '流动资金' AND r.posted_at < '2025-06-01'`);
      await q(`INSERT INTO credit_grant (application_id, financing_request_id, amount, annual_rate, term_months, status,
        proposed_by, approved_at)
        SELECT a.id, a.financing_request_id, 50000 + a.id * 100, (ARRAY[3.85, 4.10, 4.35])[1 + a.id % 3],
          12, 'APPROVED', 'SYSTEM', a.accepted_at + make_interval(days => (a.id % 7)::int)
        FROM application a JOIN financing_request r ON r.id = a.financing_request_id WHERE r.posted_at < '2025-06-01'
          AND a.id % 2 = 0`);
      await q(`INSERT INTO disbursement (credit_grant_id, amount, disbursed_on)
        SELECT g.id, 10000, (g.approved_at AT TIME ZONE 'Asia/Shanghai')::date + 1 FROM credit_grant g
          WHERE g.approved_at < '2025-06-01'`);
    });
    const periods: Array<Record<string, string>> = [
      { from: '2024-12-01', to: '2025-02-28' },
      { from: '2024-12-15', to: '2025-03-10' },
      { from: '2025-01-31', to: '2025-02-01' },
      { from: '2025-02-01' },
      { to: '2025-01-31' },
      { from: '2024-11-30', to: '2025-03-31' },
    ];
    const institutionId = toGlobalId('Institution', bank.institution);
    const filters: Array<[Record<string, unknown> | null, Record<string, string | undefined>]> = [
      ...periods.map((p): [Record<string, unknown>, Record<string, string>] => [p, p]),
      [
        { from: '2025-01-01', to: '2025-03-15', institutionId, guaranteeType: 'CREDIT' },
        { from: '2025-01-01', to: '2025-03-15', institutionId: bank.institution, guarantee: 'CREDIT' },
      ],
      [
        { from: '2024-12-10', to: '2025-02-20', regionCode: '230100' },
        { from: '2024-12-10', to: '2025-02-20', region: '2301' },
      ],
    ];
    expect(await statsMatchRawRows(filters)).toBeGreaterThanOrEqual(6);
    await app.dataSource.query(`SELECT stats_compact()`);
    expect(await statsMatchRawRows(filters)).toBeGreaterThanOrEqual(6);
    await expectRollupToEqualRebuild();

    // The monthly and daily series of a period add up to its totals.
    const FLOWS =
      'requested { count amount } accepted { count amount } granted { count amount } disbursed { count amount }';
    const filter = { from: '2024-12-15', to: '2025-03-10' };
    const totals = (await app.gql(STATS, { filter }, 'analyst')).data.platformStats;
    for (const granularity of ['DAY', 'WEEK', 'MONTH']) {
      const rows = (
        await app.gql(
          `query($filter: StatsFilter) { statsSeries(granularity: ${granularity}, filter: $filter)` +
            ` { period ${FLOWS} } }`,
          { filter },
          'analyst',
        )
      ).data.statsSeries;
      for (const flow of ['requested', 'accepted', 'granted', 'disbursed']) {
        const sum = {
          count: rows.reduce((t: number, r: any) => t + r[flow].count, 0),
          amount: money.format(rows.reduce((t: bigint, r: any) => t + money.units(r[flow].amount), 0n)),
        };
        expect({ granularity, flow, ...sum }).toEqual({ granularity, flow, ...totals[flow] });
      }
    }
  });

  it('keeps counting each need and each first borrower once when acceptances and grants race', async () => {
    const before = (await app.gql(STATS, {}, 'analyst')).data.platformStats;
    const enterprise = await registerEnterprise(app, { regionCode: '230123', industryCode: 'C13' });
    const banks = [
      await createInstitution(app, { regionsServed: ['230000'] }),
      await createInstitution(app, { regionsServed: ['230000'] }),
    ];
    const products = [
      await createPublishedProduct(app, banks[0].id, {
        guaranteeType: 'CREDIT',
        eligibleRegions: [],
        eligibleIndustries: [],
      }),
      await createPublishedProduct(app, banks[1].id, {
        guaranteeType: 'CREDIT',
        eligibleRegions: [],
        eligibleIndustries: [],
      }),
    ];
    const requests = [
      await postRequest(app, enterprise.id, { amount: '300000.00' }),
      await postRequest(app, enterprise.id, { amount: '200000.00' }),
    ];
    const applications: any[] = [];
    for (const [request, product] of [
      [requests[0], products[0]],
      [requests[0], products[1]],
      [requests[1], products[1]],
    ] as const) {
      const applied = await app.gql(
        operation('ApplyToProduct'),
        { input: { financingRequestId: request.id, loanProductId: product.id } },
        enterprise.id,
      );
      applications.push(applied.data.applyToProduct.application);
    }
    const accepted = await Promise.all(
      [
        [applications[0], banks[0]],
        [applications[1], banks[1]],
        [applications[2], banks[1]],
      ].map(([application, bank]) =>
        app.gql(operation('AcceptApplication'), { input: { applicationId: application.id } }, bank.id),
      ),
    );
    expect(accepted.map((r) => r.errors)).toEqual([undefined, undefined, undefined]);
    const granted = await Promise.all(
      [
        [applications[0], banks[0]],
        [applications[2], banks[1]],
      ].map(([application, bank]) =>
        app.gql(
          operation('GrantCredit'),
          { input: { applicationId: application.id, amount: '100000.00', annualRate: '4.10', termMonths: 12 } },
          bank.id,
        ),
      ),
    );
    expect(
      granted.map((r) => [r.errors, r.data.grantCredit.userErrors, r.data.grantCredit.creditGrant?.amount]),
    ).toEqual([
      [undefined, [], '100000.00'],
      [undefined, [], '100000.00'],
    ]);
    const after = (await app.gql(STATS, {}, 'analyst')).data.platformStats;
    expect(after.requested.count - before.requested.count).toBe(2);
    expect(after.accepted.count - before.accepted.count).toBe(2);
    expect(after.granted.count - before.granted.count).toBe(2);
    expect(after.firstTimeBorrowers - before.firstTimeBorrowers).toBe(1);
    await expectRollupToEqualRebuild();
  });

  it('fills the all-time grain from the month grain when migrating over existing figures', async () => {
    const before = (await app.gql(STATS, {}, 'analyst')).data.platformStats;
    expect(before.requested.count).toBeGreaterThan(0);
    const migration = new StatsAllTimeGrain1795857000000();
    const runner = app.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      await migration.down(runner);
      expect(await runner.query(`SELECT count(*)::int AS n FROM stats_rollup WHERE grain = 'NT'`)).toEqual([{ n: 0 }]);
      await migration.up(runner);
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    expect((await app.gql(STATS, {}, 'analyst')).data.platformStats).toEqual(before);
    await expectRollupToEqualRebuild();
  });

  it('refuses to change or delete rows the statistics have counted', async () => {
    await expect(
      app.dataSource.query(`UPDATE credit_grant SET amount = amount + 1 WHERE status = 'APPROVED'`),
    ).rejects.toThrow(/counted in the statistics/);
    await expect(app.dataSource.query(`DELETE FROM disbursement`)).rejects.toThrow(/counted in the statistics/);
    await expect(app.dataSource.query(`UPDATE enterprise SET region_code = '110101'`)).rejects.toThrow(
      /counted in the statistics/,
    );
    await expect(app.dataSource.query(`UPDATE financing_request SET amount = amount * 2`)).rejects.toThrow(
      /counted in the statistics/,
    );
    // Statuses move on freely; only the counted facts are final.
    await app.dataSource.query(`UPDATE financing_request SET updated_at = now()`);
  });

  it('is for analysts and operators only', async () => {
    const enterprise = await registerEnterprise(app);
    expect((await app.gql(STATS, {}, enterprise.id)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await app.gql(STATS, {})).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('platformStats between writes', () => {
  const TOTALS = `{ platformStats { productsPublished requested { count amount } } }`;

  it('answers a repeated read from the figures kept for the same database snapshot', async () => {
    const kept = app.server.services.analytics.platformStatsRead;
    // Other test databases share the cluster's transaction ids: a commit there moves the snapshot
    // too (a read is then answered in full, still exact), so two reads in a row get a few tries.
    let served = false;
    for (let attempt = 0; attempt < 20 && !served; attempt++) {
      const first = await app.gql(TOTALS, {}, 'analyst');
      const hits = kept.hits;
      const second = await app.gql(TOTALS, {}, 'analyst');
      expect(second.raw).toBe(first.raw);
      served = kept.hits > hits;
    }
    expect(served).toBe(true);
  });

  it('shows a write in the very next read, whichever connection wrote it', async () => {
    const enterprise = await registerEnterprise(app);
    const before = (await app.gql(TOTALS, {}, 'analyst')).data.platformStats;
    await app.gql(TOTALS, {}, 'analyst');
    await postRequest(app, enterprise.id, { amount: '123456.78' });
    const afterPosting = (await app.gql(TOTALS, {}, 'analyst')).data.platformStats;
    expect(afterPosting.requested.count).toBe(before.requested.count + 1);
    expect(money.units(afterPosting.requested.amount) - money.units(before.requested.amount)).toBe(12_345_678n);
    // A change made outside this server (another process, psql) is seen just the same.
    const [{ id }] = await app.dataSource.query(`SELECT id::text FROM loan_product WHERE status = 'PUBLISHED' LIMIT 1`);
    await app.dataSource.query(`UPDATE loan_product SET status = 'SUSPENDED' WHERE id = $1`, [id]);
    const afterSuspending = (await app.gql(TOTALS, {}, 'analyst')).data.platformStats;
    expect(afterSuspending.productsPublished).toBe(afterPosting.productsPublished - 1);
    await app.dataSource.query(`UPDATE loan_product SET status = 'PUBLISHED' WHERE id = $1`, [id]);
    expect((await app.gql(TOTALS, {}, 'analyst')).data.platformStats.productsPublished).toBe(
      afterPosting.productsPublished,
    );
  });
});
