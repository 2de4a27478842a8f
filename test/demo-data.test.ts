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
  enterprisesRegistered institutions productsPublished requested { count amount } accepted { count amount } granted { count amount } } }`;

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
    const [{ prefectures }] = await app.dataSource.query(`SELECT count(DISTINCT left(region_code, 4))::int AS prefectures FROM enterprise WHERE region_code LIKE '23%'`);
    expect(prefectures).toBe(13);

    expect(await loadDemoData(app.dataSource, app.server.services.auth)).toBe('already-loaded');
    expect((await app.gql(STATS, { filter }, 'analyst')).data.platformStats).toEqual(stats);
  });

  it('contains the rice mill of 依兰县: 1,130,000.00 granted at 4.10% six days after posting, then disbursed', async () => {
    const mill = DEMO_ACCOUNTS.find((a) => a.role === 'ENTERPRISE')!;
    const login = await app.gql(`mutation($input: LoginInput!) { login(input: $input) { token } }`, { input: { email: mill.email, password: mill.password } });
    const response = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${login.data.login.token}` },
      body: JSON.stringify({
        query: `{ viewer { enterprise { uscc regionName verificationStatus creditProfile { grade }
          financingRequests { nodes { amount postedAt status applications { nodes { status creditGrant { amount annualRate approvedAt disbursedAmount } } } } } } } }`,
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
