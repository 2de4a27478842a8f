import { startTestApp, TestApp } from './support/app';
import { operation } from './support/operations';
import { createInstitution, postRequest, productInput, registerEnterprise } from './support/fixtures';
import { REQUEST_MATCH_KEYS_SQL } from '../src/matching/matching-model';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const MATCHES = `query($id: ID!) { node(id: $id) { ... on FinancingRequest {
  matchesCurrent
  matches(first: 50) { totalCount nodes {
    rank matchScore quotedRate loanProduct { id name }
    reasons { expectedRate guaranteeFit responsiveness approvalLikelihood creditGrade incentiveApplied }
  } }
} } }`;
const FIT = `query($id: ID!, $productId: ID!) { node(id: $id) { ... on FinancingRequest {
  productFit(loanProductId: $productId) { eligible quotedRate failedCriteria { criterion message wouldPassWith } }
} } }`;
const IMPORT = `mutation($input: ImportCreditRecordsInput!) {
  importCreditRecords(input: $input) { imported rejected { line reason } }
}`;

/** Each test works in its own province so that products of other tests do not match. */
async function world(province: string, county: string) {
  const bank = await createInstitution(app, { regionsServed: [province] });
  const enterprise = await registerEnterprise(app, { regionCode: county, industryCode: 'C13', scale: 'SMALL' });
  const publish = async (overrides: Record<string, unknown>) => {
    const created = await app.gql(
      operation('CreateLoanProduct'),
      { input: productInput({ eligibleRegions: [province], ...overrides }) },
      bank.id,
    );
    if (created.data.createLoanProduct.userErrors.length) throw new Error(created.raw);
    const product = created.data.createLoanProduct.loanProduct;
    await app.gql(operation('PublishLoanProduct'), { input: { loanProductId: product.id } }, bank.id);
    await app.server.services.matching.workQueuedJobs();
    return product;
  };
  return { bank, enterprise, publish };
}

async function matchedProductNames(requestId: string, actor: string) {
  const response = await app.gql(MATCHES, { id: requestId }, actor);
  expect(response.errors).toBeUndefined();
  return response.data.node.matches.nodes.map((m: any) => m.loanProduct.name);
}

describe('eligibility', () => {
  it('includes both ends of the amount and term ranges and excludes just outside them', async () => {
    const { enterprise, publish } = await world('130000', '130102');
    await publish({
      name: 'amount-edge',
      minAmount: '1130000.00',
      maxAmount: '1130000.00',
      minTermMonths: 12,
      maxTermMonths: 12,
    });
    await publish({ name: 'amount-below', minAmount: '100000.00', maxAmount: '1129999.99' });
    await publish({ name: 'term-below', maxTermMonths: 11 });
    const request = await postRequest(app, enterprise.id, { amount: '1130000.00', termMonths: 12 });
    const names = await matchedProductNames(request.id, enterprise.id);
    expect(names).toContain('amount-edge');
    expect(names).not.toContain('amount-below');
    expect(names).not.toContain('term-below');
  });

  it('lets a province code cover its counties, and an empty list mean all', async () => {
    const { enterprise, publish } = await world('140000', '140105');
    await publish({ name: 'province', eligibleRegions: ['140000'] });
    await publish({ name: 'prefecture', eligibleRegions: ['140100'] });
    await publish({ name: 'other-prefecture', eligibleRegions: ['140200'] });
    // Empty lists mean everywhere and everyone; an unusual amount keeps it out of the other tests.
    await publish({
      name: 'everywhere-everyone',
      eligibleRegions: [],
      eligibleIndustries: [],
      eligibleScales: [],
      minAmount: '777000.00',
      maxAmount: '777000.00',
    });
    await publish({ name: 'other-industry', eligibleIndustries: ['F'] });
    await publish({ name: 'division', eligibleIndustries: ['C13'] });
    await publish({ name: 'medium-only', eligibleScales: ['MEDIUM'] });
    const request = await postRequest(app, enterprise.id, { amount: '777000.00' });
    const names = await matchedProductNames(request.id, enterprise.id);
    expect(names).toEqual(expect.arrayContaining(['province', 'prefecture', 'everywhere-everyone', 'division']));
    for (const excluded of ['other-prefecture', 'other-industry', 'medium-only']) expect(names).not.toContain(excluded);
  });

  it(
    'applies region, industry and guarantee through the indexed match keys exactly as the criteria explain them, ' +
      'in both directions',
    async () => {
      const { bank, enterprise, publish } = await world('610000', '610102');
      const requestFacts = {
        amount: '888000.00',
        termMonths: 12,
        acceptableGuaranteeTypes: ['CREDIT', 'GUARANTEE'],
        maxRate: '6.50',
      };
      // Posted before the products: its matches come from the refreshes after each publication.
      const earlier = await postRequest(app, enterprise.id, requestFacts);
      const products: Array<{ id: string; name: string }> = [];
      // Every combination of where, which industry and which guarantee; an unusual amount keeps them to this test.
      for (const [r, eligibleRegions] of [['610000'], ['610100'], ['610102'], ['610200'], []].entries()) {
        for (const [k, eligibleIndustries] of [[], ['C'], ['C13', 'F'], ['C14']].entries()) {
          for (const guaranteeType of ['CREDIT', 'MORTGAGE']) {
            products.push(
              await publish({
                name: `keys-${r}-${k}-${guaranteeType}`,
                eligibleRegions,
                eligibleIndustries,
                guaranteeType,
                minAmount: '888000.00',
                maxAmount: '888000.00',
              }),
            );
          }
        }
      }
      // Terms around the request's 12 months, across the bands the index keys carry.
      for (const [minTermMonths, maxTermMonths] of [
        [1, 12],
        [12, 12],
        [6, 6],
        [13, 24],
        [7, 11],
        [1, 360],
      ]) {
        products.push(
          await publish({
            name: `term-${minTermMonths}-${maxTermMonths}`,
            minTermMonths,
            maxTermMonths,
            minAmount: '888000.00',
            maxAmount: '888000.00',
          }),
        );
      }
      // Rates: above the request's highest unless the grade's incentive brings the quote under it.
      products.push(
        await publish({
          name: 'rate-incentive',
          minRate: '3.50',
          maxRate: '7.00',
          gradeRates: [{ grade: 'BBB', annualRate: '4.00' }],
          minAmount: '888000.00',
          maxAmount: '888000.00',
        }),
      );
      products.push(
        await publish({
          name: 'rate-too-high',
          minRate: '3.50',
          maxRate: '7.00',
          gradeRates: [{ grade: 'AAA', annualRate: '4.00' }],
          minAmount: '888000.00',
          maxAmount: '888000.00',
        }),
      );
      const request = await postRequest(app, enterprise.id, requestFacts);
      const matched = new Set(await matchedProductNames(request.id, enterprise.id));
      const eligible = new Set<string>();
      for (const product of products) {
        const fit = (await app.gql(FIT, { id: request.id, productId: product.id }, enterprise.id)).data.node.productFit;
        if (fit.eligible) eligible.add(product.name);
        else
          for (const failed of fit.failedCriteria)
            expect(['REGION', 'INDUSTRY', 'GUARANTEE', 'RATE', 'TERM']).toContain(failed.criterion);
      }
      expect(eligible.size).toBeGreaterThan(0);
      expect(eligible.size).toBeLessThan(products.length);
      expect(eligible).toContain('keys-0-2-CREDIT');
      expect(eligible).toContain('rate-incentive');
      expect(eligible).not.toContain('rate-too-high');
      expect([...eligible].filter((name) => name.startsWith('term-')).sort()).toEqual([
        'term-1-12',
        'term-1-360',
        'term-12-12',
      ]);
      expect([...matched].sort()).toEqual([...eligible].sort());
      expect((await matchedProductNames(earlier.id, enterprise.id)).sort()).toEqual([...eligible].sort());
      // Reverse matching reads the open requests through their own keys: each product finds both
      // requests exactly when it is eligible for them.
      const REVERSE = `query($id: ID!) { node(id: $id) { ... on LoanProduct {
      matchingRequests(first: 10) { totalCount nodes { financingRequest { id } } }
    } } }`;
      for (const product of products) {
        const reverse = (await app.gql(REVERSE, { id: product.id }, bank.id)).data.node.matchingRequests;
        const expected = eligible.has(product.name) ? [earlier.id, request.id].sort() : [];
        expect({
          product: product.name,
          ids: reverse.nodes.map((n: any) => n.financingRequest.id).sort(),
          totalCount: reverse.totalCount,
        }).toEqual({
          product: product.name,
          ids: expected,
          totalCount: expected.length,
        });
      }
    },
  );

  it("builds a request's keys inline (forward) exactly as the indexed function does (reverse)", async () => {
    // Every term band edge, one to three guarantees (repeated too), county codes and industries of each shape.
    const rows: Array<{ same: boolean; inline: string[]; indexed: string[] }> = await app.dataSource.query(
      `SELECT (SELECT array_agg(DISTINCT k ORDER BY k) FROM unnest(inline) k) = (SELECT array_agg(DISTINCT k ORDER BY k)
        FROM unnest(indexed) k) AS same, inline, indexed
       FROM (
         SELECT ${REQUEST_MATCH_KEYS_SQL} AS inline,
                financing_request_match_keys(facts.region_code, facts.industry_code, facts.guarantees,
                  facts.term_months) AS indexed
         FROM (
           SELECT region AS region_code, left(region, 4) AS prefecture_code, left(region, 2) AS province_code,
             industry::char(3) AS industry_code,
                  guarantees::varchar[] AS guarantees, term AS term_months
           FROM unnest(ARRAY['110101', '440305', '650000', '130100']::char(6)[]) AS region,
                unnest(ARRAY['C13', 'A01', 'S94']) AS industry,
                unnest(ARRAY['{CREDIT}', '{CREDIT,CREDIT}', '{MORTGAGE,PLEDGE,GUARANTEE}', '{GUARANTEE,CREDIT}']) AS
                  guarantees,
                unnest(ARRAY[1, 6, 7, 12, 13, 24, 25, 36, 37, 60, 61, 120, 121, 360]) AS term
         ) facts
       ) compared`,
    );
    expect(rows).toHaveLength(4 * 3 * 4 * 14);
    expect(rows.filter((row) => !row.same)).toEqual([]);
    expect(rows[0].inline.length).toBeGreaterThanOrEqual(12);
  });

  it("refuses a grade rate outside the product's rate range in the database too", async () => {
    const { publish } = await world('620000', '620102');
    const product = await publish({ name: 'grade-range', minRate: '3.50', maxRate: '6.00' });
    const [{ id }] = await app.dataSource.query(`SELECT id::text FROM loan_product WHERE name = 'grade-range'`);
    expect(product.id).toBeDefined();
    await expect(
      app.dataSource.query(`UPDATE loan_product SET grade_rates = '{"AAA": "6.10"}' WHERE id = $1`, [id]),
    ).rejects.toThrow(/ck_loan_product_grade_rates_in_range/);
    await app.dataSource.query(`UPDATE loan_product SET grade_rates = '{"AAA": "3.50"}' WHERE id = $1`, [id]);
  });

  it('excludes suspended products and enterprises listed as dishonest debtors (失信被执行人)', async () => {
    const { bank, enterprise, publish } = await world('150000', '150102');
    const suspended = await publish({ name: 'to-suspend' });
    await publish({ name: 'stays' });
    await app.gql(
      `mutation($input: ChangeLoanProductStatusInput!) { suspendLoanProduct(input: $input) { userErrors { code } } }`,
      { input: { loanProductId: suspended.id } },
      bank.id,
    );
    await app.server.services.matching.workQueuedJobs();
    const request = await postRequest(app, enterprise.id);
    expect(await matchedProductNames(request.id, enterprise.id)).toEqual(['stays']);

    const records = [
      {
        uscc: enterprise.uscc,
        source: 'COURT',
        sourceReference: `court-${enterprise.uscc}`,
        indicator: '失信被执行人',
        polarity: 'NEGATIVE',
        recordedOn: '2026-01-05',
      },
    ];
    expect((await app.gql(IMPORT, { input: { records } }, 'operator')).data.importCreditRecords.imported).toBe(1);
    // The score changed: its refresh is queued, not done inside the import.
    expect((await app.gql(MATCHES, { id: request.id }, enterprise.id)).data.node.matchesCurrent).toBe(false);
    await app.server.services.matching.workQueuedJobs();
    const after = await app.gql(MATCHES, { id: request.id }, enterprise.id);
    expect(after.data.node).toMatchObject({ matchesCurrent: true, matches: { totalCount: 0 } });
    const fit = await app.gql(
      FIT,
      {
        id: request.id,
        productId: (await app.gql(`{ loanProducts(first: 100) { nodes { id name } } }`)).data.loanProducts.nodes.find(
          (p: any) => p.name === 'stays',
        ).id,
      },
      enterprise.id,
    );
    expect(fit.data.node.productFit.failedCriteria).toEqual([
      expect.objectContaining({ criterion: 'DISHONEST_DEBTOR' }),
    ]);
  });
});

describe('explanations', () => {
  it('lists each failed criterion with what would make it pass', async () => {
    const { enterprise, publish } = await world('210000', '210102');
    const product = await publish({
      name: 'short-term',
      maxTermMonths: 12,
      maxAmount: '1000000.00',
      guaranteeType: 'MORTGAGE',
      minCreditScore: 700,
    });
    const request = await postRequest(app, enterprise.id, { termMonths: 24, amount: '1130000.00' });
    const fit = await app.gql(FIT, { id: request.id, productId: product.id }, enterprise.id);
    expect(fit.data.node.productFit.eligible).toBe(false);
    expect(fit.data.node.productFit.failedCriteria).toEqual([
      {
        criterion: 'AMOUNT',
        message: 'amount 1130000.00 > product maximum 1000000.00',
        wouldPassWith: 'an amount of at most 1000000.00',
      },
      {
        criterion: 'TERM',
        message: 'term 24 months > product maximum 12',
        wouldPassWith: 'a term of at most 12 months',
      },
      {
        criterion: 'GUARANTEE',
        message: 'the product requires MORTGAGE; the request accepts CREDIT, GUARANTEE',
        wouldPassWith: 'accepting MORTGAGE',
      },
      {
        criterion: 'CREDIT_SCORE',
        message: 'credit score 600 < product minimum 700',
        wouldPassWith: 'a credit score of at least 700',
      },
    ]);
    const all = await app.gql(
      `query($id: ID!) { node(id: $id) { ... on FinancingRequest {
        productFits(first: 100, onlyIneligible: true) { totalCount nodes { eligible loanProduct { name } } }
      } } }`,
      { id: request.id },
      enterprise.id,
    );
    const ineligible = all.data.node.productFits;
    expect(ineligible.nodes.map((n: any) => n.loanProduct.name)).toContain('short-term');
    expect(ineligible.nodes.every((n: any) => n.eligible === false)).toBe(true);
    expect(ineligible.totalCount).toBe(ineligible.nodes.length);
  });
});

describe('ranking', () => {
  it('ranks by the documented components and quotes the credit-incentive rate for the grade', async () => {
    const { enterprise, publish } = await world('220000', '220102');
    await publish({ name: 'cheap-credit', guaranteeType: 'CREDIT', minRate: '3.50', maxRate: '4.00' });
    await publish({ name: 'dear-credit', guaranteeType: 'CREDIT', minRate: '3.50', maxRate: '6.00' });
    await publish({ name: 'cheap-guarantee', guaranteeType: 'GUARANTEE', minRate: '3.50', maxRate: '4.00' });
    await publish({
      name: 'incentive',
      guaranteeType: 'CREDIT',
      minRate: '3.50',
      maxRate: '6.00',
      gradeRates: [{ grade: 'BBB', annualRate: '3.60' }],
    });
    const request = await postRequest(app, enterprise.id, { maxRate: '6.50' });
    const response = await app.gql(MATCHES, { id: request.id }, enterprise.id);
    const matches = response.data.node.matches.nodes;
    expect(matches.map((m: any) => m.loanProduct.name)).toEqual([
      'incentive',
      'cheap-credit',
      'cheap-guarantee',
      'dear-credit',
    ]);
    expect(matches.map((m: any) => m.rank)).toEqual([1, 2, 3, 4]);
    expect(matches[0]).toMatchObject({ quotedRate: '3.60', reasons: { creditGrade: 'BBB', incentiveApplied: true } });
    expect(matches[3]).toMatchObject({ quotedRate: '6.00', reasons: { incentiveApplied: false } });
    // The score is the sum of its components, exactly.
    for (const match of matches) {
      const { expectedRate, guaranteeFit, responsiveness, approvalLikelihood } = match.reasons;
      const sum = [expectedRate, guaranteeFit, responsiveness, approvalLikelihood].reduce(
        (total: bigint, part: string) => total + BigInt(Math.round(Number(part) * 1e4)),
        0n,
      );
      expect(Number(sum) / 1e4).toBeCloseTo(Number(match.matchScore), 3);
    }
  });
});

describe('refresh triggers', () => {
  it('matches synchronously on posting, and in the background when a product is published or changed', async () => {
    const { bank, enterprise, publish } = await world('230000', '230123');
    await publish({ name: 'first' });
    const request = await postRequest(app, enterprise.id);
    let state = await app.gql(MATCHES, { id: request.id }, enterprise.id);
    expect(state.data.node).toMatchObject({ matchesCurrent: true, matches: { totalCount: 1 } });

    const created = await app.gql(
      operation('CreateLoanProduct'),
      { input: productInput({ name: 'second', eligibleRegions: ['230000'] }) },
      bank.id,
    );
    const second = created.data.createLoanProduct.loanProduct;
    await app.gql(operation('PublishLoanProduct'), { input: { loanProductId: second.id } }, bank.id);
    state = await app.gql(MATCHES, { id: request.id }, enterprise.id);
    expect(state.data.node).toMatchObject({ matchesCurrent: false, matches: { totalCount: 1 } });
    await app.server.services.matching.workQueuedJobs();
    state = await app.gql(MATCHES, { id: request.id }, enterprise.id);
    expect(state.data.node).toMatchObject({ matchesCurrent: true, matches: { totalCount: 2 } });

    // A change that makes the product no longer fit removes it.
    const update = await app.gql(
      `mutation($input: UpdateLoanProductInput!) { updateLoanProduct(input: $input) { userErrors { code } } }`,
      {
        input: {
          loanProductId: second.id,
          ...productInput({ name: 'second', eligibleRegions: ['230000'], maxTermMonths: 6 }),
        },
      },
      bank.id,
    );
    expect(update.data.updateLoanProduct.userErrors).toEqual([]);
    await app.server.services.matching.workQueuedJobs();
    expect(await matchedProductNames(request.id, enterprise.id)).toEqual(['first']);
  });

  it('re-matches many enterprises whose scores changed in one batch of jobs', async () => {
    const { publish } = await world('630000', '630102');
    await publish({ name: 'needs-700-many', minCreditScore: 700 });
    const enterprises = [];
    for (let k = 0; k < 3; k++)
      enterprises.push(await registerEnterprise(app, { regionCode: '630102', industryCode: 'C13', scale: 'SMALL' }));
    const requests = [];
    for (const enterprise of enterprises) requests.push(await postRequest(app, enterprise.id));
    for (const [k, request] of requests.entries())
      expect(await matchedProductNames(request.id, enterprises[k].id)).toEqual([]);
    const records = enterprises.flatMap((enterprise) =>
      ['TAX', 'SOCIAL_INSURANCE', 'HOUSING_FUND'].map((source) => ({
        uscc: enterprise.uscc,
        source,
        sourceReference: `${source}-many-${enterprise.uscc}`,
        indicator: '按时缴纳',
        polarity: 'POSITIVE',
        recordedOn: '2026-06-01',
      })),
    );
    await app.gql(IMPORT, { input: { records } }, 'operator');
    const pending = async () =>
      Number(
        (
          await app.dataSource.query(
            `SELECT count(*) AS n FROM matching_job WHERE finished_at IS NULL AND kind = 'SCORE_CHANGED'`,
          )
        )[0].n,
      );
    expect(await pending()).toBeGreaterThanOrEqual(3);
    await app.server.services.matching.workQueuedJobs();
    expect(await pending()).toBe(0);
    for (const [k, request] of requests.entries()) {
      expect(await matchedProductNames(request.id, enterprises[k].id)).toEqual(['needs-700-many']);
      const response = await app.gql(MATCHES, { id: request.id }, enterprises[k].id);
      expect(response.data.node.matchesCurrent).toBe(true);
    }
    // One transaction for all three (now() is the transaction's start).
    const [{ transactions }] = await app.dataSource.query(
      `SELECT count(DISTINCT j.finished_at)::int AS transactions FROM matching_job j JOIN enterprise e
        ON e.id = j.subject_id
       WHERE j.kind = 'SCORE_CHANGED' AND e.uscc = ANY($1::text[])`,
      [enterprises.map((enterprise) => enterprise.uscc)],
    );
    expect(transactions).toBe(1);
  });

  it('works a batch of product changes in one transaction, keeping the others when one product fails', async () => {
    const { bank, enterprise } = await world('360000', '360102');
    const request = await postRequest(app, enterprise.id, { amount: '654000.00' });
    await app.server.services.matching.workQueuedJobs();
    const products = [];
    for (const name of ['batch-a', 'batch-b', 'batch-c']) {
      const created = await app.gql(
        operation('CreateLoanProduct'),
        { input: productInput({ name, eligibleRegions: ['360000'], minAmount: '654000.00', maxAmount: '654000.00' }) },
        bank.id,
      );
      products.push(created.data.createLoanProduct.loanProduct);
      await app.gql(
        operation('PublishLoanProduct'),
        { input: { loanProductId: created.data.createLoanProduct.loanProduct.id } },
        bank.id,
      );
    }
    const [{ id: failingId }] = await app.dataSource.query(`SELECT id::text FROM loan_product WHERE name = 'batch-b'`);
    // A refresh of batch-b fails, as a broken product would; the other two are in the same batch.
    await app.dataSource.query(`CREATE FUNCTION test_refuse_batch_b() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.loan_product_id = ${Number(failingId)} THEN RAISE EXCEPTION 'batch-b cannot be matched'; END IF;
        RETURN NEW; END $$`);
    await app.dataSource.query(
      `CREATE TRIGGER test_refuse_batch_b BEFORE INSERT ON product_match FOR EACH ROW EXECUTE FUNCTION
        test_refuse_batch_b()`,
    );
    try {
      const pending = await app.dataSource.query(
        `SELECT count(*)::int AS n FROM matching_job WHERE finished_at IS NULL`,
      );
      expect(pending[0].n).toBe(3);
      // Limited to the three jobs: unlimited, the worker would take the failed one again right away.
      expect(await app.server.services.matching.workQueuedJobs(3)).toBe(3);
      expect((await matchedProductNames(request.id, enterprise.id)).sort()).toEqual(['batch-a', 'batch-c']);
      // Both finished by one transaction (one commit for the batch): now() is the transaction's start.
      const finishedAt = await app.dataSource.query(
        `SELECT DISTINCT j.finished_at FROM matching_job j JOIN loan_product p ON p.id = j.subject_id
          WHERE j.kind = 'PRODUCT_CHANGED' AND p.name IN ('batch-a', 'batch-c')`,
      );
      expect(finishedAt).toHaveLength(1);
      const [failed] = await app.dataSource.query(
        `SELECT attempts, last_error, finished_at FROM matching_job WHERE subject_id = $1 AND kind = 'PRODUCT_CHANGED'`,
        [failingId],
      );
      expect(failed).toEqual({ attempts: 1, last_error: 'batch-b cannot be matched', finished_at: null });
    } finally {
      await app.dataSource.query(`DROP TRIGGER test_refuse_batch_b ON product_match`);
      await app.dataSource.query(`DROP FUNCTION test_refuse_batch_b()`);
    }
    await app.server.services.matching.workQueuedJobs();
    expect((await matchedProductNames(request.id, enterprise.id)).sort()).toEqual(['batch-a', 'batch-b', 'batch-c']);
  });

  it('queues a re-match after a score change only for enterprises with open requests', async () => {
    const { enterprise } = await world('370000', '370102');
    const idle = await registerEnterprise(app, { regionCode: '370102' });
    await postRequest(app, enterprise.id);
    await app.server.services.matching.workQueuedJobs();
    const records = [enterprise, idle].map((e) => ({
      uscc: e.uscc,
      source: 'TAX',
      sourceReference: `queue-${e.uscc}`,
      indicator: 'A级纳税人',
      polarity: 'POSITIVE',
      recordedOn: '2026-03-01',
    }));
    expect((await app.gql(IMPORT, { input: { records } }, 'operator')).data.importCreditRecords.imported).toBe(2);
    const rows: Array<{ uscc: string; score: number; queued: number }> = await app.dataSource.query(
      `SELECT e.uscc, cp.score, (SELECT count(*)::int FROM matching_job j WHERE j.kind = 'SCORE_CHANGED'
        AND j.subject_id = e.id AND j.finished_at IS NULL) AS queued
       FROM enterprise e JOIN credit_profile cp ON cp.enterprise_id = e.id WHERE e.uscc = ANY($1)
         ORDER BY e.uscc = $2 DESC`,
      [[enterprise.uscc, idle.uscc], enterprise.uscc],
    );
    // Both scores changed; only the enterprise with an open request has anything to re-match.
    expect(rows).toEqual([
      { uscc: enterprise.uscc, score: 720, queued: 1 },
      { uscc: idle.uscc, score: 720, queued: 0 },
    ]);
    await app.server.services.matching.workQueuedJobs();
  });

  it('re-ranks when the enterprise score changes', async () => {
    const { enterprise, publish } = await world('320000', '320102');
    await publish({ name: 'needs-700', minCreditScore: 700 });
    const request = await postRequest(app, enterprise.id);
    expect(await matchedProductNames(request.id, enterprise.id)).toEqual([]);
    const records = ['TAX', 'SOCIAL_INSURANCE', 'HOUSING_FUND'].map((source) => ({
      uscc: enterprise.uscc,
      source,
      sourceReference: `${source}-${enterprise.uscc}`,
      indicator: '按时缴纳',
      polarity: 'POSITIVE',
      recordedOn: '2026-06-01',
    }));
    await app.gql(IMPORT, { input: { records } }, 'operator');
    await app.server.services.matching.workQueuedJobs();
    expect(await matchedProductNames(request.id, enterprise.id)).toEqual(['needs-700']);
  });
});

describe('reverse matching', () => {
  it('shows the owning institution the open requests that fit its product, best first', async () => {
    const { bank, enterprise, publish } = await world('330000', '330102');
    const product = await publish({ name: 'reverse' });
    const strong = await registerEnterprise(app, { regionCode: '330102' });
    await app.gql(
      IMPORT,
      {
        input: {
          records: [
            {
              uscc: strong.uscc,
              source: 'TAX',
              sourceReference: `t-${strong.uscc}`,
              indicator: 'A级纳税人',
              polarity: 'POSITIVE',
              recordedOn: '2026-03-01',
            },
          ],
        },
      },
      'operator',
    );
    const weakRequest = await postRequest(app, enterprise.id);
    const strongRequest = await postRequest(app, strong.id);
    await postRequest(app, enterprise.id, { termMonths: 48 });
    const REVERSE = `query($id: ID!) { node(id: $id) { ... on LoanProduct {
      matchingRequests(first: 10) { totalCount nodes { rank financingRequest { id } loanProduct { id name } } }
    } } }`;
    const response = await app.gql(REVERSE, { id: product.id }, bank.id);
    expect(response.data.node.matchingRequests.nodes.map((n: any) => n.financingRequest.id)).toEqual([
      strongRequest.id,
      weakRequest.id,
    ]);
    expect(response.data.node.matchingRequests.nodes.map((n: any) => n.loanProduct)).toEqual([
      { id: product.id, name: 'reverse' },
      { id: product.id, name: 'reverse' },
    ]);
    expect(response.data.node.matchingRequests.totalCount).toBe(2);
    const other = await createInstitution(app);
    const forbidden = await app.gql(REVERSE, { id: product.id }, other.id);
    expect(forbidden.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('relations of a page of matches', () => {
  it(
    "reads each match's product and request through fragments, aliases and edges, " +
      'in as many statements for 4 matches as for 1',
    async () => {
      const { bank, enterprise, publish } = await world('520000', '520102');
      // An amount no other test asks for: only these four products fit.
      const names = ['relations-a', 'relations-b', 'relations-c', 'relations-d'];
      for (const name of names) await publish({ name, minAmount: '652000.00', maxAmount: '652000.00' });
      const request = await postRequest(app, enterprise.id, { amount: '652000.00' });
      const QUERY = `query($id: ID!, $first: Int!) { node(id: $id) { ... on FinancingRequest {
      matches(first: $first) { edges { node { ...Ranked } } }
    } } }
      fragment Ranked on Match {
        rank product: loanProduct { name institution { id } } ... on Match { financingRequest { id amount } }
      }`;
      const read = async (first: number) => {
        app.statements.count = 0;
        const response = await app.gql(QUERY, { id: request.id, first }, enterprise.id);
        expect(response.errors).toBeUndefined();
        return {
          statements: app.statements.count,
          matches: response.data.node.matches.edges.map((edge: any) => edge.node),
        };
      };
      const one = await read(1);
      const four = await read(4);
      expect(four.matches.map((m: any) => m.product.name).sort()).toEqual(names);
      expect(
        four.matches.every(
          (m: any) =>
            m.product.institution.id === bank.id &&
            m.financingRequest.id === request.id &&
            m.financingRequest.amount === '652000.00',
        ),
      ).toBe(true);
      expect(one.matches).toHaveLength(1);
      expect(four.statements).toBe(one.statements);
    },
  );
});

describe('stored match depth', () => {
  it('keeps the best 50 per request: a better new product pushes the last one out, a worse one stays out', async () => {
    const { enterprise, publish } = await world('340000', '340102');
    const products = [];
    for (let i = 0; i < 50; i++) products.push(await publish({ name: `depth-${i}`, maxRate: '6.00' }));
    const request = await postRequest(app, enterprise.id, { maxRate: '6.50' });
    const before = await app.gql(MATCHES, { id: request.id }, enterprise.id);
    expect(before.data.node.matches.totalCount).toBe(50);
    // Equal scores rank by product age, so the last kept is the newest.
    expect(before.data.node.matches.nodes[49].loanProduct.id).toBe(products[49].id);

    const better = await publish({ name: 'depth-better', maxRate: '4.00' });
    await publish({ name: 'depth-worse', maxRate: '6.40' });
    const after = await app.gql(MATCHES, { id: request.id }, enterprise.id);
    const names = after.data.node.matches.nodes.map((m: any) => m.loanProduct.name);
    expect(after.data.node.matches.totalCount).toBe(50);
    expect(after.data.node.matches.nodes[0].loanProduct.id).toBe(better.id);
    expect(names).not.toContain('depth-49');
    expect(names).not.toContain('depth-worse');
    expect(names).toContain('depth-48');
  });
});
