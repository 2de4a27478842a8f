import { startTestApp, TestApp } from './support/app';
import { postRequest, registerEnterprise } from './support/fixtures';
import { recomputeCreditProfiles } from '../src/credit/credit-scoring';
import { chinaDate } from '../src/common/clock';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const IMPORT =
  `mutation($input: ImportCreditRecordsInput!) { importCreditRecords(input: $input)` +
  ` { imported rejected { line reason } } }`;
const PROFILE = `query($id: ID!) { node(id: $id) { ... on Enterprise { creditProfile {
  score grade flags modelVersion asOf
  contributions(first: 100) { nodes { source polarity state basePoints decayPercent points flag } }
} } } }`;

function yearsAgo(years: number, days = 10): string {
  const date = new Date(`${chinaDate(new Date())}T00:00:00Z`);
  date.setUTCFullYear(date.getUTCFullYear() - years);
  date.setUTCDate(date.getUTCDate() - days);
  return date.toISOString().slice(0, 10);
}

async function profileAfter(records: Array<Record<string, unknown>>) {
  const enterprise = await registerEnterprise(app);
  const rows = records.map((record, index) => ({
    uscc: enterprise.uscc,
    sourceReference: `${enterprise.uscc}-${index}`,
    ...record,
  }));
  const imported = await app.gql(IMPORT, { input: { records: rows } }, 'operator');
  expect(imported.data.importCreditRecords.rejected).toEqual([]);
  const response = await app.gql(PROFILE, { id: enterprise.id }, enterprise.id);
  return { enterprise, profile: response.data.node.creditProfile };
}

describe('credit scoring model credit-v1', () => {
  it('gives a new enterprise the base score', async () => {
    const enterprise = await registerEnterprise(app);
    const response = await app.gql(PROFILE, { id: enterprise.id }, enterprise.id);
    expect(response.data.node.creditProfile).toMatchObject({
      score: 600,
      grade: 'BBB',
      flags: [],
      modelVersion: 'credit-v1',
      contributions: { nodes: [] },
    });
  });

  it('explains the score record by record, with time decay and expiry', async () => {
    const { profile } = await profileAfter([
      { source: 'TAX', indicator: 'A级纳税人', polarity: 'POSITIVE', recordedOn: yearsAgo(0) },
      { source: 'SOCIAL_INSURANCE', indicator: '社保按时缴纳', polarity: 'POSITIVE', recordedOn: yearsAgo(2) },
      { source: 'UTILITIES', indicator: '欠缴电费', polarity: 'NEGATIVE', recordedOn: yearsAgo(1) },
      { source: 'ENVIRONMENT', indicator: '环保处罚', polarity: 'NEGATIVE', recordedOn: yearsAgo(6) },
      {
        source: 'CUSTOMS',
        indicator: '海关AEO高级认证',
        polarity: 'POSITIVE',
        recordedOn: yearsAgo(1),
        expiresOn: yearsAgo(0, 30),
      },
    ]);
    // 600 + 120 (A级纳税人, new) + 60×60% (2 years) − 40×80% (1 year) + 0 (6 years) + 0 (expired) = 724
    expect(profile.score).toBe(724);
    expect(profile.grade).toBe('A');
    expect(profile.contributions.nodes).toEqual([
      {
        source: 'TAX',
        polarity: 'POSITIVE',
        state: 'ACTIVE',
        basePoints: 120,
        decayPercent: 100,
        points: 120,
        flag: null,
      },
      {
        source: 'SOCIAL_INSURANCE',
        polarity: 'POSITIVE',
        state: 'ACTIVE',
        basePoints: 60,
        decayPercent: 60,
        points: 36,
        flag: null,
      },
      {
        source: 'UTILITIES',
        polarity: 'NEGATIVE',
        state: 'ACTIVE',
        basePoints: -40,
        decayPercent: 80,
        points: -32,
        flag: null,
      },
      {
        source: 'ENVIRONMENT',
        polarity: 'NEGATIVE',
        state: 'ACTIVE',
        basePoints: -120,
        decayPercent: 0,
        points: 0,
        flag: null,
      },
      {
        source: 'CUSTOMS',
        polarity: 'POSITIVE',
        state: 'EXPIRED',
        basePoints: 40,
        decayPercent: 80,
        points: 0,
        flag: null,
      },
    ]);
  });

  it('caps positive points per source and flags an active dishonest-debtor listing without decay', async () => {
    const { profile } = await profileAfter([
      ...Array.from({ length: 5 }, () => ({
        source: 'TAX',
        indicator: '按时申报',
        polarity: 'POSITIVE',
        recordedOn: yearsAgo(0),
      })),
      { source: 'COURT', indicator: '失信被执行人', polarity: 'NEGATIVE', recordedOn: yearsAgo(3) },
    ]);
    // 5 × 80 = 400 tax points, capped at 150; the listing counts its full −400 while active.
    expect(profile.score).toBe(350);
    expect(profile.grade).toBe('C');
    expect(profile.flags).toEqual(['DISHONEST_DEBTOR']);
    expect(profile.contributions.nodes[0]).toEqual({
      source: 'COURT',
      polarity: 'NEGATIVE',
      state: 'ACTIVE',
      basePoints: -400,
      decayPercent: 100,
      points: -400,
      flag: 'DISHONEST_DEBTOR',
    });
  });

  it('is deterministic: recomputing the same records as of the same day changes nothing', async () => {
    const { enterprise, profile } = await profileAfter([
      { source: 'TAX', indicator: 'A级纳税人', polarity: 'POSITIVE', recordedOn: yearsAgo(1) },
      { source: 'HOUSING_FUND', indicator: '公积金欠缴', polarity: 'NEGATIVE', recordedOn: yearsAgo(3) },
    ]);
    const id = Buffer.from(enterprise.id, 'base64').toString().split(':')[1];
    for (let i = 0; i < 3; i++) {
      const changed = await app.dataSource.transaction((manager) => recomputeCreditProfiles(manager, [id]));
      expect(changed).toEqual([]);
    }
    const again = await app.gql(PROFILE, { id: enterprise.id }, enterprise.id);
    expect(again.data.node.creditProfile).toEqual(profile);
    // 600 + 120×80% − 60×40% = 672
    expect(profile.score).toBe(672);
  });

  /** One record per source for the enterprise, each in its own import, all sent at once; then its profile. */
  async function importEverySourceAtOnce(enterprise: { id: string; uscc: string }, label: string) {
    const sources = [
      'TAX',
      'SOCIAL_INSURANCE',
      'HOUSING_FUND',
      'UTILITIES',
      'CUSTOMS',
      'MARKET_REGULATION',
      'ENVIRONMENT',
      'OTHER',
    ];
    const today = chinaDate(new Date());
    const responses = await Promise.all(
      sources.map((source, index) =>
        app.gql(
          IMPORT,
          {
            input: {
              records: [
                {
                  uscc: enterprise.uscc,
                  source,
                  sourceReference: `${enterprise.uscc}-${label}-${index}`,
                  indicator: '按时缴纳',
                  polarity: 'POSITIVE',
                  recordedOn: today,
                },
              ],
            },
          },
          'operator',
        ),
      ),
    );
    for (const response of responses) expect(response.data.importCreditRecords.imported).toBe(1);
    return (await app.gql(PROFILE, { id: enterprise.id }, enterprise.id)).data.node.creditProfile;
  }
  // One record per source, none capped or clamped: the score is the base plus every contribution.
  const EVERY_SOURCE_ONCE = 80 + 60 + 40 + 30 + 40 + 40 + 30 + 20;

  it('counts every record when imports for one enterprise run at the same time', async () => {
    const creditProfile = await importEverySourceAtOnce(await registerEnterprise(app), 'race');
    expect(creditProfile.contributions.nodes).toHaveLength(8);
    const contributed = creditProfile.contributions.nodes.reduce(
      (sum: number, contribution: { points: number }) => sum + contribution.points,
      0,
    );
    expect(contributed).toBe(EVERY_SOURCE_ONCE);
    expect(creditProfile.score).toBe(600 + contributed);
  });

  it('counts every record of simultaneous imports also for an enterprise that had no profile yet', async () => {
    const enterprise = await registerEnterprise(app);
    // As for enterprises loaded before scoring existed: nothing to lock until one is created.
    await app.dataSource.query(`DELETE FROM credit_profile WHERE enterprise_id = $1`, [
      Buffer.from(enterprise.id, 'base64').toString().split(':')[1],
    ]);
    const creditProfile = await importEverySourceAtOnce(enterprise, 'first');
    expect(creditProfile.score).toBe(600 + EVERY_SOURCE_ONCE);
  });

  /**
   * Posts a request for the enterprise while another transaction rescores it (one new A级纳税人 record); returns the
   * request's score copy and the profile.
   */
  async function postWhileRescoring(enterprise: { id: string; uscc: string }) {
    const id = Buffer.from(enterprise.id, 'base64').toString().split(':')[1];
    const rescoring = app.dataSource.createQueryRunner();
    await rescoring.connect();
    await rescoring.startTransaction();
    let posted: Promise<{ id: string }> | undefined;
    try {
      await rescoring.query(
        `INSERT INTO credit_record (enterprise_id, source, source_reference, indicator, polarity, recorded_on)
          VALUES ($1, 'TAX', $2, 'A级纳税人', 'POSITIVE', $3)`,
        [id, `${enterprise.uscc}-while-posting`, chinaDate(new Date())],
      );
      await recomputeCreditProfiles(rescoring.manager, [id]);
      const posting = postRequest(app, enterprise.id);
      posted = posting;
      // Until the posting waits for the rescoring (the fix) or has finished without waiting (the race).
      let finished = false;
      void posting.then(
        () => (finished = true),
        () => (finished = true),
      );
      for (let tries = 0; tries < 200 && !finished; tries++) {
        const [{ waiting }] = await app.dataSource.query(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE wait_event_type = 'Lock'`,
        );
        if (waiting > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await rescoring.commitTransaction();
    } finally {
      if (rescoring.isTransactionActive) await rescoring.rollbackTransaction();
      await rescoring.release();
    }
    const request = await posted!;
    const [copy] = await app.dataSource.query(
      `SELECT m.credit_score, cp.score, (SELECT count(*)::int FROM product_match pm
        WHERE pm.financing_request_id = m.financing_request_id AND (pm.reasons ->> 'creditGrade') <> cp.grade) AS
        stale_matches
       FROM matchable_request m JOIN credit_profile cp ON cp.enterprise_id = m.enterprise_id
         WHERE m.financing_request_id = $1`,
      [Buffer.from(request.id, 'base64').toString().split(':')[1]],
    );
    return copy;
  }

  it('gives a request posted while its enterprise is being rescored the new score for reverse matching', async () => {
    expect(await postWhileRescoring(await registerEnterprise(app))).toEqual({
      credit_score: 720,
      score: 720,
      stale_matches: 0,
    });
  });

  it('does the same for an enterprise that had no profile yet', async () => {
    const enterprise = await registerEnterprise(app);
    await app.dataSource.query(`DELETE FROM credit_profile WHERE enterprise_id = $1`, [
      Buffer.from(enterprise.id, 'base64').toString().split(':')[1],
    ]);
    expect(await postWhileRescoring(enterprise)).toEqual({ credit_score: 720, score: 720, stale_matches: 0 });
  });

  it('never leaves 0–1000', async () => {
    const { profile } = await profileAfter([
      { source: 'COURT', indicator: '失信被执行人', polarity: 'NEGATIVE', recordedOn: yearsAgo(0) },
      { source: 'TAX', indicator: '重大税收违法失信主体', polarity: 'NEGATIVE', recordedOn: yearsAgo(0) },
      { source: 'ENVIRONMENT', indicator: '环保处罚', polarity: 'NEGATIVE', recordedOn: yearsAgo(0) },
    ]);
    expect(profile.score).toBe(0);
    expect(profile.flags).toEqual(['DISHONEST_DEBTOR', 'MAJOR_TAX_VIOLATION']);
  });
});
