import { startTestApp, TestApp } from './support/app';
import { operation } from './support/operations';
import { createInstitution, createPublishedProduct, registerEnterprise, postRequest } from './support/fixtures';
import { chinaDate } from '../src/lending/response-deadline';
import { money, rate } from '../src/common/decimal';

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
  weightedAverageGrantedRate medianDaysToGrant firstTimeBorrowers creditGuaranteeShareByCount creditGuaranteeShareByAmount
} }`;

function prng(seed: number) {
  let state = seed;
  return () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

/** The same figures, computed here from the raw rows with BigInt. */
async function expected(filter: { region?: string; industry?: string; institutionId?: string; guarantee?: string }) {
  const q = (sql: string) => app.dataSource.query(sql);
  const enterprises = await q(`SELECT id::text, region_code, industry_code FROM enterprise`);
  const inEnterprise = (id: string) => {
    const e = enterprises.find((x: any) => x.id === id);
    return (!filter.region || e.region_code.startsWith(filter.region)) && (!filter.industry || e.industry_code.startsWith(filter.industry));
  };
  const requests = await q(`SELECT id::text, enterprise_id::text, amount::text, posted_at, acceptable_guarantee_types::text[] AS types FROM financing_request`);
  const applications = await q(`SELECT a.financing_request_id::text AS request_id, a.institution_id::text, a.accepted_at, p.guarantee_type::text AS guarantee FROM application a JOIN loan_product p ON p.id = a.loan_product_id`);
  const grants = await q(`SELECT g.id::text, g.amount::text, g.annual_rate::text, g.approved_at, g.status::text, r.enterprise_id::text, r.posted_at, a.institution_id::text, p.guarantee_type::text AS guarantee
    FROM credit_grant g JOIN application a ON a.id = g.application_id JOIN loan_product p ON p.id = a.loan_product_id JOIN financing_request r ON r.id = g.financing_request_id`);
  const disbursements = await q(`SELECT d.amount::text, g.id::text AS grant_id FROM disbursement d JOIN credit_grant g ON g.id = d.credit_grant_id`);
  const sum = (values: string[]) => money.format(values.reduce((total, v) => total + money.units(v), 0n));
  const byInstitution = (institutionId: string) => !filter.institutionId || institutionId === filter.institutionId;
  const byGuarantee = (guarantee: string) => !filter.guarantee || guarantee === filter.guarantee;

  const requested = requests.filter((r: any) => inEnterprise(r.enterprise_id) && (!filter.guarantee || r.types.includes(filter.guarantee))
    && (!filter.institutionId || applications.some((a: any) => a.request_id === r.id && a.institution_id === filter.institutionId)));
  const accepted = requests.filter((r: any) => inEnterprise(r.enterprise_id)
    && applications.some((a: any) => a.request_id === r.id && a.accepted_at && byInstitution(a.institution_id) && byGuarantee(a.guarantee)));
  const granted = grants.filter((g: any) => g.status === 'APPROVED' && inEnterprise(g.enterprise_id) && byInstitution(g.institution_id) && byGuarantee(g.guarantee));
  const grantIds = new Set(granted.map((g: any) => g.id));
  const paid = disbursements.filter((d: any) => grantIds.has(d.grant_id));
  const grantedUnits = granted.reduce((t: bigint, g: any) => t + money.units(g.amount), 0n);
  const weighted = granted.reduce((t: bigint, g: any) => t + money.units(g.amount) * rate.units(g.annual_rate), 0n);
  const firsts = new Map<string, any>();
  for (const g of [...grants].filter((x: any) => x.status === 'APPROVED').sort((a: any, b: any) => a.approved_at - b.approved_at || Number(a.id) - Number(b.id))) {
    if (!firsts.has(g.enterprise_id)) firsts.set(g.enterprise_id, g);
  }
  const credit = granted.filter((g: any) => g.guarantee === 'CREDIT');
  const share = (part: bigint, whole: bigint) => (whole === 0n ? null : (Number((part * 20_000n + whole) / (2n * whole)) / 10_000).toFixed(4));
  return {
    requested: { count: requested.length, amount: sum(requested.map((r: any) => r.amount)) },
    accepted: { count: accepted.length, amount: sum(accepted.map((r: any) => r.amount)) },
    granted: { count: granted.length, amount: money.format(grantedUnits) },
    disbursed: { count: paid.length, amount: sum(paid.map((d: any) => d.amount)) },
    weightedAverageGrantedRate: grantedUnits === 0n ? null : rate.format((weighted * 2n + grantedUnits) / (2n * grantedUnits)),
    firstTimeBorrowers: [...firsts.values()].filter((g: any) => inEnterprise(g.enterprise_id) && byInstitution(g.institution_id) && byGuarantee(g.guarantee)).length,
    creditGuaranteeShareByCount: share(BigInt(credit.length), BigInt(granted.length)),
    creditGuaranteeShareByAmount: share(credit.reduce((t: bigint, g: any) => t + money.units(g.amount), 0n), grantedUnits),
  };
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
    const banks = [await createInstitution(app, { regionsServed: ['230000'] }), await createInstitution(app, { regionsServed: ['110000'] })];
    const products = [
      await createPublishedProduct(app, banks[0].id, { guaranteeType: 'CREDIT', eligibleRegions: [], eligibleIndustries: [] }),
      await createPublishedProduct(app, banks[0].id, { guaranteeType: 'GUARANTEE', eligibleRegions: [], eligibleIndustries: [] }),
      await createPublishedProduct(app, banks[1].id, { guaranteeType: 'CREDIT', eligibleRegions: [], eligibleIndustries: [], eligibleScales: [] }),
    ];
    const bankOf = (productId: string) => (products.indexOf(products.find((p) => p.id === productId)!) < 2 ? banks[0] : banks[1]);
    const open: Array<{ request: any; enterprise: any; application?: any; product?: any; state: string }> = [];
    for (let step = 0; step < 60; step++) {
      const roll = random();
      if (roll < 0.3 || open.length === 0) {
        const enterprise = pick(enterprises);
        const amount = `${Math.floor(random() * 20 + 1) * 50000}.00`;
        open.push({ request: await postRequest(app, enterprise.id, { amount, acceptableGuaranteeTypes: ['CREDIT', 'GUARANTEE'] }), enterprise, state: 'posted' });
        continue;
      }
      const item = pick(open);
      const bank = item.product ? bankOf(item.product.id) : undefined;
      if (item.state === 'posted') {
        item.product = pick(products);
        const applied = await app.gql(operation('ApplyToProduct'), { input: { financingRequestId: item.request.id, loanProductId: item.product.id } }, item.enterprise.id);
        item.application = applied.data.applyToProduct.application;
        item.state = item.application ? 'applied' : 'posted';
      } else if (item.state === 'applied') {
        if (random() < 0.15) {
          await app.gql(`mutation($id: ID!) { withdrawApplication(input: { applicationId: $id }) { userErrors { code } } }`, { id: item.application.id }, item.enterprise.id);
          item.state = 'done';
        } else {
          await app.gql(operation('AcceptApplication'), { input: { applicationId: item.application.id } }, bank!.id);
          item.state = 'accepted';
        }
      } else if (item.state === 'accepted') {
        const amount = money.format(money.units(item.request.amount) / 2n);
        const granted = await app.gql(operation('GrantCredit'), { input: { applicationId: item.application.id, amount, annualRate: pick(['3.85', '4.10', '4.35', '5.00']), termMonths: 12 } }, bank!.id);
        item.state = granted.data.grantCredit.creditGrant ? 'granted' : 'done';
      } else if (item.state === 'granted') {
        await app.gql(operation('RecordDisbursement'), { input: { applicationId: item.application.id, amount: '10000.00' } }, bank!.id);
      }
    }
    // Some applications expire unaccepted.
    await app.dataSource.query(`UPDATE application SET response_deadline = now() - interval '1 second' WHERE status = 'SUBMITTED' AND id % 2 = 0`);
    await app.server.services.lending.expireOverdueApplications(new Date());

    const today = chinaDate(new Date());
    const filters: Array<[Record<string, unknown> | null, Record<string, string | undefined>]> = [
      [null, {}],
      [{ regionCode: '230000' }, { region: '23' }],
      [{ regionCode: '230123' }, { region: '230123' }],
      [{ industry: 'C' }, { industry: 'C' }],
      [{ institutionId: banks[0].id }, { institutionId: Buffer.from(banks[0].id, 'base64').toString().split(':')[1] }],
      [{ guaranteeType: 'CREDIT' }, { guarantee: 'CREDIT' }],
      [{ from: today, to: today, regionCode: '230000', guaranteeType: 'GUARANTEE' }, { region: '23', guarantee: 'GUARANTEE' }],
    ];
    let nonTrivial = 0;
    for (const [filter, local] of filters) {
      const response = await app.gql(STATS, { filter }, 'analyst');
      expect(response.errors).toBeUndefined();
      const stats = response.data.platformStats;
      const want = await expected(local);
      expect({ filter, ...Object.fromEntries(Object.keys(want).map((k) => [k, stats[k]])) }).toEqual({ filter, ...want });
      if (stats.granted.count > 0) nonTrivial++;
    }
    expect(nonTrivial).toBeGreaterThanOrEqual(4);

    // Breakdowns by region and industry, and the series, partition the totals exactly.
    const FLOWS = 'requested { count amount } accepted { count amount } granted { count amount } disbursed { count amount }';
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
      for (const flow of ['requested', 'accepted', 'granted', 'disbursed']) expect({ query, flow, ...add(rows, flow) }).toEqual({ query, flow, ...totals[flow] });
    }
    const provinces = (await app.gql(`{ statsBreakdown(dimension: REGION) { key label } }`, {}, 'analyst')).data.statsBreakdown;
    expect(provinces).toEqual([{ key: '110000', label: '北京市' }, { key: '230000', label: '黑龙江省' }]);
    const prefectures = (await app.gql(`{ statsBreakdown(dimension: REGION, filter: { regionCode: "230000" }) { key } }`, {}, 'analyst')).data.statsBreakdown;
    expect(prefectures.map((p: any) => p.key).sort()).toEqual(['230100']);
    const byInstitution = (await app.gql(`{ statsBreakdown(dimension: INSTITUTION) { key label granted { count } } }`, {}, 'analyst')).data.statsBreakdown;
    expect(byInstitution.reduce((t: number, r: any) => t + r.granted.count, 0)).toBe(totals.granted.count);
    expect(byInstitution.every((r: any) => r.label)).toBe(true);

    const funnel = (await app.gql(`{ statsFunnel { posted applied accepted granted disbursed appliedRate acceptedBeforeDeadlineShare } }`, {}, 'analyst')).data.statsFunnel;
    expect(funnel.posted).toBe(totals.requested.count);
    expect(funnel.posted).toBeGreaterThanOrEqual(funnel.applied);
    expect(funnel.applied).toBeGreaterThanOrEqual(funnel.accepted);
    expect(funnel.accepted).toBeGreaterThanOrEqual(funnel.granted);
    expect(funnel.accepted).toBe(totals.accepted.count);
    expect(funnel.granted).toBe(totals.granted.count);
    expect(funnel.acceptedBeforeDeadlineShare).toBe('1.0000');
    const [{ applied }] = await app.dataSource.query(`SELECT count(DISTINCT financing_request_id)::int AS applied FROM application`);
    expect(funnel.applied).toBe(applied);

    const future = await app.gql(STATS, { filter: { from: '2099-01-01' } }, 'analyst');
    expect(future.data.platformStats).toMatchObject({ requested: { count: 0, amount: '0.00' }, granted: { count: 0 }, weightedAverageGrantedRate: null });
    const all = (await app.gql(STATS, {}, 'analyst')).data.platformStats;
    expect(all).toMatchObject({ enterprisesRegistered: 3, institutions: 2, productsPublished: 3 });
    expect((await app.gql(STATS, { filter: { regionCode: '230123' } }, 'analyst')).data.platformStats).toMatchObject({ enterprisesRegistered: 1, institutions: 1 });
  });

  it('is for analysts and operators only', async () => {
    const enterprise = await registerEnterprise(app);
    expect((await app.gql(STATS, {}, enterprise.id)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await app.gql(STATS, {})).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});
