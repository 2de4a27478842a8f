import { startTestApp, TestApp } from './support/app';
import { operation } from './support/operations';
import { createInstitution, makeUscc, postRequest, productInput, registerEnterprise } from './support/fixtures';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const IMPORT =
  `mutation($input: ImportCreditRecordsInput!) { importCreditRecords(input: $input) { imported duplicates` +
  ` rejected { line reason } } }`;
const RECORDS =
  `query($id: ID!) { node(id: $id) { ... on Enterprise { ` +
  `creditRecords(first: 10) { totalCount nodes { source indicator polarity recordedOn expiresOn } } } } }`;

describe('credit record import', () => {
  it('imports good rows, rejects unknown USCCs with their line, and changes nothing on a second import', async () => {
    const enterprise = await registerEnterprise(app);
    const records = [
      {
        uscc: enterprise.uscc,
        source: 'TAX',
        sourceReference: 'tax-2025-A-001',
        indicator: 'A级纳税人',
        polarity: 'POSITIVE',
        recordedOn: '2025-04-01',
      },
      {
        uscc: makeUscc(),
        source: 'COURT',
        sourceReference: 'court-1',
        indicator: '失信被执行人',
        polarity: 'NEGATIVE',
        recordedOn: '2025-01-01',
      },
      {
        uscc: enterprise.uscc,
        source: 'SOCIAL_INSURANCE',
        sourceReference: 'si-7',
        indicator: '社保连续缴纳36个月',
        polarity: 'POSITIVE',
        recordedOn: '2025-06-30',
        expiresOn: '2027-06-30',
      },
      {
        uscc: enterprise.uscc,
        source: 'UTILITIES',
        sourceReference: 'u-1',
        indicator: '欠缴水费',
        polarity: 'NEGATIVE',
        recordedOn: '2025-06-30',
        expiresOn: '2024-01-01',
      },
    ];
    const first = await app.gql(IMPORT, { input: { records } }, 'operator');
    expect(first.data.importCreditRecords).toEqual({
      imported: 2,
      duplicates: 0,
      rejected: [
        { line: 2, reason: 'no verified enterprise has this USCC' },
        { line: 4, reason: 'expires_on is before recorded_on' },
      ],
    });
    const again = await app.gql(IMPORT, { input: { records } }, 'operator');
    expect(again.data.importCreditRecords).toMatchObject({ imported: 0, duplicates: 2 });

    const own = await app.gql(RECORDS, { id: enterprise.id }, enterprise.id);
    expect(own.data.node.creditRecords.totalCount).toBe(2);
    expect(own.data.node.creditRecords.nodes[0]).toEqual({
      source: 'TAX',
      indicator: 'A级纳税人',
      polarity: 'POSITIVE',
      recordedOn: '2025-04-01',
      expiresOn: null,
    });
  });

  it('lets only operators import', async () => {
    const enterprise = await registerEnterprise(app);
    const records = [
      {
        uscc: enterprise.uscc,
        source: 'TAX',
        sourceReference: 'self-made',
        indicator: 'A级纳税人',
        polarity: 'POSITIVE',
        recordedOn: '2025-04-01',
      },
    ];
    const response = await app.gql(IMPORT, { input: { records } }, enterprise.id);
    expect(response.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const [{ count }] = await app.dataSource.query(
      `SELECT count(*)::int AS count FROM credit_record WHERE source_reference = 'self-made'`,
    );
    expect(count).toBe(0);
  });
});

describe('loan product lifecycle', () => {
  const CHANGE = (verb: string) =>
    `mutation($input: ChangeLoanProductStatusInput!) { ${verb}LoanProduct(input: $input)` +
    ` { loanProduct { status } userErrors { code } } }`;

  it('publishes, suspends (no longer open to applications), republishes and retires for good', async () => {
    const bank = await createInstitution(app);
    const created = await app.gql(operation('CreateLoanProduct'), { input: productInput() }, bank.id);
    const productId = created.data.createLoanProduct.loanProduct.id;
    expect(created.data.createLoanProduct.loanProduct.status).toBe('DRAFT');
    expect(
      (await app.gql(CHANGE('publish'), { input: { loanProductId: productId } }, bank.id)).data.publishLoanProduct
        .loanProduct.status,
    ).toBe('PUBLISHED');
    expect(
      (await app.gql(CHANGE('suspend'), { input: { loanProductId: productId } }, bank.id)).data.suspendLoanProduct
        .loanProduct.status,
    ).toBe('SUSPENDED');

    const enterprise = await registerEnterprise(app);
    const request = await postRequest(app, enterprise.id);
    const apply = await app.gql(
      operation('ApplyToProduct'),
      { input: { financingRequestId: request.id, loanProductId: productId } },
      enterprise.id,
    );
    // A suspended product is not among those an enterprise sees: it answers as a missing one.
    expect(apply.errors?.[0]).toMatchObject({ message: 'Loan product not found', extensions: { code: 'NOT_FOUND' } });

    expect(
      (await app.gql(CHANGE('publish'), { input: { loanProductId: productId } }, bank.id)).data.publishLoanProduct
        .loanProduct.status,
    ).toBe('PUBLISHED');
    expect(
      (await app.gql(CHANGE('retire'), { input: { loanProductId: productId } }, bank.id)).data.retireLoanProduct
        .loanProduct.status,
    ).toBe('RETIRED');
    const republish = await app.gql(CHANGE('publish'), { input: { loanProductId: productId } }, bank.id);
    expect(republish.data.publishLoanProduct.userErrors).toEqual([{ code: 'INVALID_TRANSITION' }]);
  });

  it('refuses inconsistent terms and hides drafts from others', async () => {
    const bank = await createInstitution(app);
    const inverted = await app.gql(
      operation('CreateLoanProduct'),
      { input: productInput({ minAmount: '500000.00', maxAmount: '100000.00' }) },
      bank.id,
    );
    expect(inverted.data.createLoanProduct.userErrors).toEqual([
      expect.objectContaining({ code: 'INVALID_AMOUNT_RANGE', field: ['input', 'maxAmount'] }),
    ]);
    const rates = await app.gql(
      operation('CreateLoanProduct'),
      { input: productInput({ minRate: '6.00', maxRate: '4.00' }) },
      bank.id,
    );
    expect(rates.data.createLoanProduct.userErrors[0].code).toBe('INVALID_RATE_RANGE');

    const draft = await app.gql(operation('CreateLoanProduct'), { input: productInput() }, bank.id);
    const other = await createInstitution(app);
    const seenByOther = await app.gql(
      `query($id: ID!) { node(id: $id) { id } }`,
      { id: draft.data.createLoanProduct.loanProduct.id },
      other.id,
    );
    expect(seenByOther.data.node).toBeNull();
    const publishByOther = await app.gql(
      CHANGE('publish'),
      { input: { loanProductId: draft.data.createLoanProduct.loanProduct.id } },
      other.id,
    );
    expect(publishByOther.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});
