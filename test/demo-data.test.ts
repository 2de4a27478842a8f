import { startTestApp, TestApp } from './support/app';
import { DEMO, DEMO_ACCOUNTS, loadDemoData } from '../src/analytics/demo-data';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const STATS = `query($filter: StatsFilter) { platformStats(filter: $filter) {
  enterprisesRegistered institutions productsPublished
  requested { count amount } accepted { count amount } granted { count amount } } }`;

/** Census residents (thousands) of the 13 prefectures, as the seed weighs them. */
const RESIDENTS: Record<string, number> = {
  '2301': 10_010,
  '2302': 4_068,
  '2303': 1_502,
  '2304': 891,
  '2305': 1_209,
  '2306': 2_782,
  '2307': 879,
  '2308': 2_156,
  '2309': 689,
  '2310': 2_290,
  '2311': 1_286,
  '2312': 3_756,
  '2327': 331,
};

/** Enterprises, needs, accepted needs and grants per prefecture follow its residents, Harbin largest. */
async function expectProportionalPrefectures() {
  const rows: Array<{
    prefecture: string;
    enterprises: number;
    needs: number;
    accepted: number;
    grants: number;
    asked: string;
  }> = await app.dataSource.query(
    `SELECT left(e.region_code, 4) AS prefecture, count(DISTINCT e.id)::int AS enterprises, count(r.id)::int AS needs,
         count(r.id) FILTER (WHERE r.status IN ('ACCEPTED', 'DISBURSED'))::int AS accepted,
         count(r.id) FILTER (WHERE r.status = 'DISBURSED')::int AS grants, coalesce(sum(r.amount), 0)::text AS asked
       FROM enterprise e LEFT JOIN financing_request r ON r.enterprise_id = e.id GROUP BY 1 ORDER BY 1`,
  );
  const residents = Object.values(RESIDENTS).reduce((a, b) => a + b, 0);
  expect(rows.map((row) => row.prefecture)).toEqual(Object.keys(RESIDENTS).sort());
  const totals = { enterprises: DEMO.enterprises, needs: DEMO.requests, accepted: DEMO.accepted, grants: DEMO.grants };
  for (const row of rows) {
    for (const [measure, total] of Object.entries(totals)) {
      const expected = (total * RESIDENTS[row.prefecture]) / residents;
      // Off by at most two of the whole: the mill in 哈尔滨 and the rounding of an interleaved order.
      expect({
        prefecture: row.prefecture,
        measure,
        off: Math.abs(row[measure as keyof typeof totals] - expected) <= 2,
      }).toEqual({ prefecture: row.prefecture, measure, off: true });
    }
  }
  const byAsked = [...rows].sort((a, b) => (BigInt(b.asked.split('.')[0]) > BigInt(a.asked.split('.')[0]) ? 1 : -1));
  expect(byAsked[0].prefecture).toBe('2301');
}

describe('npm run demo: the provincial platform of PRODUCT.md', () => {
  it('reports exactly the 黑龙江 figures of 18 December 2020, and loading twice changes nothing', async () => {
    expect(await loadDemoData(app.dataSource, app.server.services.auth)).toBe('loaded');
    const filter = { regionCode: '230000', to: '2020-12-18' };
    const stats = (await app.gql(STATS, { filter }, 'analyst')).data.platformStats;
    expect(stats).toMatchObject({
      enterprisesRegistered: 11_133,
      institutions: 234,
      productsPublished: 381,
      requested: { amount: '472328000000.00' },
      accepted: { count: 1_189, amount: '23097000000.00' },
      granted: { count: 199, amount: '874000000.00' },
    });
    const [{ prefectures }] = await app.dataSource.query(
      `SELECT count(DISTINCT left(region_code, 4))::int AS prefectures FROM enterprise WHERE region_code LIKE '23%'`,
    );
    expect(prefectures).toBe(13);

    await expectProportionalPrefectures();

    expect(await loadDemoData(app.dataSource, app.server.services.auth)).toBe('already-loaded');
    expect((await app.gql(STATS, { filter }, 'analyst')).data.platformStats).toEqual(stats);
  });

  it('contains the rice mill of 依兰县: 1,130,000.00 granted at 4.10% six days after posting, disbursed', async () => {
    const mill = DEMO_ACCOUNTS.find((a) => a.role === 'ENTERPRISE')!;
    const login = await app.gql(`mutation($input: LoginInput!) { login(input: $input) { token } }`, {
      input: { email: mill.email, password: mill.password },
    });
    const response = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${login.data.login.token}` },
      body: JSON.stringify({
        query: `{ viewer { enterprise { uscc regionName verificationStatus creditProfile { grade }
          financingRequests { nodes { amount postedAt status applications { nodes { status
            creditGrant { amount annualRate approvedAt disbursedAmount } } } } } } } }`,
      }),
    });
    const enterprise = ((await response.json()) as any).data.viewer.enterprise;
    // Demo enterprises are verified (实名认证), so the mill sees its credit standing and acts.
    expect(enterprise).toMatchObject({ uscc: DEMO.riceMillUscc, regionName: '依兰县', verificationStatus: 'VERIFIED' });
    expect(enterprise.creditProfile.grade).toEqual(expect.any(String));
    const [{ unverified }] = await app.dataSource.query(
      `SELECT count(*)::int AS unverified FROM enterprise WHERE verification_status <> 'VERIFIED'`,
    );
    expect(unverified).toBe(0);
    const need = enterprise.financingRequests.nodes[0];
    expect(need).toMatchObject({ amount: '1130000.00', status: 'DISBURSED' });
    const grant = need.applications.nodes[0].creditGrant;
    expect(grant).toMatchObject({ amount: '1130000.00', annualRate: '4.10', disbursedAmount: '1130000.00' });
    expect((Date.parse(grant.approvedAt) - Date.parse(need.postedAt)) / 86_400_000).toBeCloseTo(6, 0);
  });
});
