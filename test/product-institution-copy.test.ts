import { parseGlobalId } from '../src/common/global-id';
import { startTestApp, TestApp } from './support/app';
import {
  createInstitution,
  createPublishedProduct,
  postRequest,
  productInput,
  registerEnterprise,
} from './support/fixtures';

/**
 * A loan product carries a copy of its institution's response deadline for the matching score's
 * responsiveness (src/product/sql/institution-copy.sql). The copy is the institution's value on every
 * path that could make them differ: creating a product, moving it, writing the copy itself, and
 * changing the institution's deadline.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const internalId = (globalId: string) => parseGlobalId(globalId)!.id;

async function copyOf(productId: string): Promise<number> {
  const [row] = await app.dataSource.query(
    `SELECT institution_response_deadline_days AS days FROM loan_product WHERE id = $1`,
    [productId],
  );
  return row.days;
}

const setDeadline = (institutionId: string, days: number) =>
  app.dataSource.query(`UPDATE institution SET response_deadline_days = $2 WHERE id = $1`, [institutionId, days]);

it("keeps each product's copy of its institution's response deadline, and ranks by it", async () => {
  const bank = await createInstitution(app, { regionsServed: ['230000'], responseDeadlineDays: 2 });
  const other = await createInstitution(app, { regionsServed: ['230000'], responseDeadlineDays: 9 });
  const bankId = internalId(bank.id);
  const published = await createPublishedProduct(app, bank.id, { eligibleRegions: ['230000'] });
  const product = internalId(published.id);
  const sibling = internalId((await createPublishedProduct(app, bank.id, { eligibleRegions: ['230000'] })).id);
  expect([await copyOf(product), await copyOf(sibling)]).toEqual([2, 2]);

  const enterprise = await registerEnterprise(app, { regionCode: '230102' });
  const request = internalId((await postRequest(app, enterprise.id)).id);
  const scoreOf = async (productId: string) =>
    (await app.server.services.matching.topMatches(request)).find((row) => row.loan_product_id === productId)!
      .match_score;
  const before = await scoreOf(product);

  // The institution's deadline changes: every one of its products follows, and the score with it
  // (responsiveness 15 × (10 − days) / 9: 5 × 15 / 9 less at 7 days than at 2, within the score's rounding).
  await setDeadline(bankId, 7);
  expect([await copyOf(product), await copyOf(sibling)]).toEqual([7, 7]);
  expect(Math.abs(Number(before) - Number(await scoreOf(product)) - (5 * 15) / 9)).toBeLessThanOrEqual(0.0001);

  // The copy cannot be written apart from the institution's value.
  await app.dataSource.query(`UPDATE loan_product SET institution_response_deadline_days = 1 WHERE id = $1`, [product]);
  expect(await copyOf(product)).toBe(7);

  // A product moved to another institution takes that institution's deadline.
  await app.dataSource.query(`UPDATE loan_product SET institution_id = $2 WHERE id = $1`, [
    sibling,
    internalId(other.id),
  ]);
  expect(await copyOf(sibling)).toBe(9);
  await setDeadline(bankId, 4);
  expect([await copyOf(product), await copyOf(sibling)]).toEqual([4, 9]);

  // A product changed through the API keeps the copy.
  const changed = await app.gql(
    `mutation($input: UpdateLoanProductInput!) { updateLoanProduct(input: $input) { userErrors { code } } }`,
    { input: { loanProductId: published.id, ...productInput({ name: '改名产品', eligibleRegions: ['230000'] }) } },
    bank.id,
  );
  expect(changed.data.updateLoanProduct.userErrors).toEqual([]);
  expect(await copyOf(product)).toBe(4);
});
