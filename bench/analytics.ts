import 'reflect-metadata';
import { Client } from 'pg';
import { createDataSource } from '../src/common/database/data-source';
import { AnalyticsService } from '../src/analytics/analytics.service';
import { benchDatabase, machine, parseScale, timeEach } from './support';
import { recordBenchmark } from './record';
import { money } from '../src/common/decimal';

/**
 * `npm run bench:analytics [-- --scale=0.1]`: scale 1 = 10,000,000 financing requests with their
 * applications, grants and disbursements. Reports p50/p99 of platform totals and of a breakdown by
 * region as the API computes them (from the exact rollup), beside the plain counts and GROUP BY
 * over the raw tables, from one run; then checks that a write shows in the very next read.
 */
const scale = parseScale(process.argv);
const REQUESTS = Math.round(10_000_000 * scale);
const ENTERPRISES = Math.max(1000, Math.round(1_000_000 * scale));
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 10);

async function build(client: Client) {
  const started = Date.now();
  const step = async (label: string, sql: string, params: unknown[] = []) => {
    const t = Date.now();
    await client.query(sql, params);
    console.log(`  ${label}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
  };
  // A bulk load skips the per-statement triggers and rebuilds the rollup once, set-based, at the end.
  await client.query(`SET session_replication_role = replica`);
  await step(
    'institutions',
    `INSERT INTO institution (name, type, regions_served) SELECT '机构' || g, 'BANK',
      ARRAY[(ARRAY['230000','110000','310000','440000','510000'])[1 + g % 5]] FROM generate_series(1, 500) g`,
  );
  await step(
    'products',
    `INSERT INTO loan_product (institution_id, name, guarantee_type, min_amount, max_amount, min_term_months,
      max_term_months, min_rate, max_rate, status, version)
    SELECT 1 + g % 500, '产品' || g, (ARRAY['CREDIT','MORTGAGE','GUARANTEE','PLEDGE'])[1 + g % 4]::guarantee_type, 10000,
      50000000, 1, 60, 3.85, 6.00, 'PUBLISHED', 1 FROM generate_series(1, 2000) g`,
  );
  await step(
    'enterprises',
    `INSERT INTO enterprise (uscc, name, region_code, industry_code, scale, established_on, registered_capital,
      annual_revenue, employees)
    SELECT lpad(g::text, 18, '0'), '企业' || g,
      (ARRAY['230123','230102','110101','310101','440106','510104','230203','110105'])[1 + g % 8],
      (ARRAY['C13','A01','F51','E47'])[1 + g % 4], 'SMALL', date '2015-01-01', 1000000, 5000000, 20
        FROM generate_series(1, $1::int) g`,
    [ENTERPRISES],
  );
  await step(
    'financing requests',
    `INSERT INTO financing_request (enterprise_id, amount, term_months, purpose, acceptable_guarantee_types, max_rate,
      valid_until, status, posted_at)
    SELECT 1 + (g::bigint * 7919) % $2::int, (10 + g % 1000) * 10000, 12, '流动资金', '{CREDIT,GUARANTEE}', 6.00,
      date '2026-12-31',
      (CASE WHEN g % 4 = 0 THEN 'ACCEPTED' ELSE 'OPEN' END)::financing_request_status,
        timestamptz '2024-01-01' + make_interval(mins => g % 1000000)
    FROM generate_series(1, $1::int) g`,
    [REQUESTS, ENTERPRISES],
  );
  await step(
    'applications',
    `INSERT INTO application (financing_request_id, loan_product_id, institution_id, enterprise_id, status, origin,
      response_deadline, submitted_at, accepted_at)
    SELECT r.id, 1 + r.id % 2000, 1 + (1 + r.id % 2000) % 500, r.enterprise_id, 'ACCEPTED', 'ENTERPRISE_APPLIED',
      r.posted_at + interval '5 days', r.posted_at, r.posted_at + interval '2 days'
    FROM financing_request r WHERE r.id % 4 = 0`,
  );
  await step(
    'credit grants',
    `INSERT INTO credit_grant (application_id, financing_request_id, amount, annual_rate, term_months, status,
      proposed_by, approved_at)
    SELECT a.id, a.financing_request_id, 50000, 4.10, 12, 'APPROVED', 'SYSTEM', a.accepted_at + interval '3 days'
      FROM application a WHERE a.id % 5 = 0`,
  );
  await step(
    'disbursements',
    `INSERT INTO disbursement (credit_grant_id, amount, disbursed_on) SELECT g.id, 50000,
      (g.approved_at + interval '1 day')::date FROM credit_grant g`,
  );
  await client.query(`SET session_replication_role = origin`);
  await step('analyze', 'VACUUM ANALYZE');
  await step('statistics rollup rebuilt from the raw rows (stats_rebuild)', 'SELECT stats_rebuild()');
  await step('analyze rollup', 'VACUUM ANALYZE stats_rollup');
  console.log(`Data set built in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

async function main() {
  console.log(`bench:analytics — scale ${scale}: ${REQUESTS.toLocaleString('en')} requests\n${machine()}`);
  const database = await benchDatabase('cel_bench_analytics', { reuse: process.argv.includes('--reuse') });
  const client = new Client({ connectionString: database.url });
  await client.connect();
  const dataSource = createDataSource(database.url, { poolSize: 2 });
  try {
    if (!database.reused) await build(client);
    await dataSource.initialize();
    const analytics = new AnalyticsService(dataSource);
    const analyst = { kind: 'ANALYST' as const };
    const totals = await timeEach(SAMPLES, () => analytics.platformStats(analyst, {}));
    const regionTotals = await timeEach(SAMPLES, () => analytics.platformStats(analyst, { regionCode: '230000' }));
    const periodTotals = await timeEach(SAMPLES, () =>
      analytics.platformStats(analyst, { from: '2024-02-10', to: '2025-06-20' }),
    );
    const breakdown = await timeEach(SAMPLES, () => analytics.breakdown(analyst, 'REGION', {}));
    const series = await timeEach(SAMPLES, () => analytics.series(analyst, 'MONTH', {}));
    const plainTotals = await timeEach(SAMPLES, () =>
      client.query(`SELECT (SELECT count(*) FROM financing_request), (SELECT sum(amount) FROM financing_request),
        (SELECT count(*) FROM credit_grant), (SELECT sum(amount) FROM credit_grant), (SELECT count(*)
          FROM disbursement), (SELECT sum(amount) FROM disbursement)`),
    );
    const plainBreakdown = await timeEach(SAMPLES, () =>
      client.query(
        `SELECT left(e.region_code, 2), count(*), sum(r.amount) FROM financing_request r JOIN enterprise e
          ON e.id = r.enterprise_id GROUP BY 1`,
      ),
    );

    // Exact: the API's totals equal the plain counts and sums over the raw tables.
    const stats = await analytics.platformStats(analyst, {});
    const [raw] = (
      await client.query(`SELECT (SELECT count(*) FROM financing_request)::int AS requested, (SELECT sum(amount)
        FROM financing_request)::text AS requested_amount,
        (SELECT count(*) FROM credit_grant WHERE status = 'APPROVED')::int AS granted, (SELECT sum(amount)
          FROM credit_grant WHERE status = 'APPROVED')::text AS granted_amount,
        (SELECT count(*) FROM disbursement)::int AS disbursed, (SELECT sum(amount)
          FROM disbursement)::text AS disbursed_amount`)
    ).rows;
    const exact =
      stats.requested.count === raw.requested &&
      stats.requested.amount === raw.requested_amount &&
      stats.granted.count === raw.granted &&
      stats.granted.amount === raw.granted_amount &&
      stats.disbursed.count === raw.disbursed &&
      stats.disbursed.amount === raw.disbursed_amount;

    // Fresh: a need posted (trigger included) shows in the very next read, before and after compaction.
    const writes = await timeEach(SAMPLES, (i) =>
      client.query(
        `INSERT INTO financing_request (enterprise_id, amount, term_months, purpose, acceptable_guarantee_types,
          max_rate, valid_until, status, posted_at)
        VALUES (1 + $1::int, 123456.78, 12, '流动资金', '{CREDIT}', 6.00, date '2026-12-31', 'OPEN', now())`,
        [i],
      ),
    );
    const fresh = await analytics.platformStats(analyst, {});
    const expectedAmount = money.format(
      money.units(stats.requested.amount) + BigInt(SAMPLES) * money.units('123456.78'),
    );
    const freshBeforeCompaction =
      fresh.requested.count === stats.requested.count + SAMPLES && fresh.requested.amount === expectedAmount;
    const compactionStarted = performance.now();
    const folded = await analytics.compact();
    const compactionMs = performance.now() - compactionStarted;
    const compacted = await analytics.platformStats(analyst, {});
    const freshAfterCompaction =
      compacted.requested.count === fresh.requested.count && compacted.requested.amount === fresh.requested.amount;
    const [{ rows: rollupRows }] = (await client.query(`SELECT count(*)::int AS rows FROM stats_rollup`)).rows;

    const ms = (value: number) => `${value.toFixed(1)} ms`;
    const lines = [
      '| measure | p50 | p99 | note |',
      '|---|---|---|---|',
      `| platformStats, no filter (API, rollup) | ${ms(totals.p50)} | ${ms(totals.p99)} | ` +
        `${SAMPLES} runs; all twelve measures; target ≤ 20 ms |`,
      `| platformStats, region 230000 (API, rollup) | ${ms(regionTotals.p50)} | ${ms(regionTotals.p99)} | |`,
      `| platformStats, 2024-02-10 … 2025-06-20 (API, rollup) | ${ms(periodTotals.p50)} | ${ms(periodTotals.p99)} | ` +
        `whole months + edge days |`,
      `| statsBreakdown by region (API, rollup) | ${ms(breakdown.p50)} | ${ms(breakdown.p99)} | target ≤ 50 ms |`,
      `| statsSeries by month (API, rollup) | ${ms(series.p50)} | ${ms(series.p99)} | |`,
      `| plain totals over the raw tables (3 counts and sums) | ${ms(plainTotals.p50)} | ${ms(plainTotals.p99)} | ` +
        `plain / API totals: ${(plainTotals.p50 / totals.p50).toFixed(0)}× |`,
      `| plain GROUP BY province over the raw tables | ${ms(plainBreakdown.p50)} | ${ms(plainBreakdown.p99)} | ` +
        `plain / API breakdown: ${(plainBreakdown.p50 / breakdown.p50).toFixed(0)}× |`,
      `| posting a need (INSERT with its statistics trigger) | ${ms(writes.p50)} | ${ms(writes.p99)} | |`,
      `| compaction of ${folded} pending deltas | ${ms(compactionMs)} | | the server compacts every second |`,
      '',
      `Exact: API totals equal the raw counts and sums — ${exact ? 'yes' : 'NO'}; ` +
        `the ${SAMPLES} needs posted show in the very next read — ${freshBeforeCompaction ? 'yes' : 'NO'} ` +
        `(before compaction), ${freshAfterCompaction ? 'yes' : 'NO'} (after). ` +
        `Rollup: ${rollupRows.toLocaleString('en')} rows.`,
    ];
    console.log(`\n${lines.join('\n')}\n`);
    recordBenchmark('bench:analytics', `npm run bench:analytics -- --scale=${scale}`, scale, lines, machine());
  } finally {
    await client.end();
    if (dataSource.isInitialized) await dataSource.destroy();
    await database.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
