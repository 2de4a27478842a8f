import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestApp, TestApp } from './support/app';
import { makeUscc, registerEnterprise } from './support/fixtures';
import { importCreditFile } from '../src/credit/credit-file-import';

let app: TestApp;
let folder: string;
beforeAll(async () => {
  app = await startTestApp();
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'credit-import-'));
});
afterAll(async () => {
  await app?.close();
  fs.rmSync(folder, { recursive: true, force: true });
});

const PROFILE =
  `query($id: ID!) { node(id: $id) { ... on Enterprise { ` +
  `creditProfile { score } creditRecords { totalCount } } } }`;

describe('npm run import:credit (file import with COPY)', () => {
  it('imports a CSV, rejects bad rows with their line and reason, keeps the good ones, and is idempotent', async () => {
    const enterprise = await registerEnterprise(app);
    const stranger = makeUscc('110101');
    const csv = [
      'uscc,source,source_reference,indicator,polarity,recorded_on,expires_on',
      `${enterprise.uscc},TAX,T-1,A级纳税人,POSITIVE,2026-02-01,`,
      `${enterprise.uscc},TAX,T-2,"按时申报, 无欠税",POSITIVE,2026-03-01,`,
      `${stranger},TAX,T-3,A级纳税人,POSITIVE,2026-02-01,`,
      `${enterprise.uscc.slice(0, 17)}${enterprise.uscc.endsWith('0') ? '1' : '0'},TAX,T-4,A级纳税人,POSITIVE,2026-02-01,`,
      `${enterprise.uscc},PRISON,T-5,x,POSITIVE,2026-02-01,`,
      `${enterprise.uscc},COURT,C-1,失信被执行人,NEGATIVE,2026-02-30,`,
      `${enterprise.uscc},UTILITIES,U-1,欠缴水费,NEGATIVE,2026-01-10,2027-01-10`,
    ].join('\n');
    const file = path.join(folder, 'records.csv');
    fs.writeFileSync(file, csv);
    const progress: number[] = [];
    const first = await importCreditFile(app.dataSource, file, {
      batchSize: 2,
      onProgress: (_bytes, _total, records) => progress.push(records),
    });
    // Batches of 2 good rows: the enterprise's records arrive in two batches, so it is rescored twice.
    expect(first).toMatchObject({ records: 7, imported: 3, duplicates: 0, rescored: 2 });
    expect(first.rejected).toEqual([
      { line: 4, reason: 'no verified enterprise has this USCC' },
      { line: 5, reason: 'uscc is not a valid 统一社会信用代码' },
      { line: 6, reason: expect.stringMatching(/^source must be one of/) },
      { line: 7, reason: 'recorded_on must be a date as YYYY-MM-DD' },
    ]);
    expect(progress.length).toBeGreaterThan(1);

    const profile = await app.gql(PROFILE, { id: enterprise.id }, enterprise.id);
    // 600 + min(120 + 80, 150) − 40 = 710
    expect(profile.data.node).toEqual({ creditProfile: { score: 710 }, creditRecords: { totalCount: 3 } });

    const again = await importCreditFile(app.dataSource, file);
    expect(again).toMatchObject({ records: 7, imported: 0, duplicates: 3, rescored: 0 });
    expect(again.rejected).toHaveLength(4);
    const unchanged = await app.gql(PROFILE, { id: enterprise.id }, enterprise.id);
    expect(unchanged.data.node).toEqual(profile.data.node);
  });

  it('copies a batch larger than one COPY chunk whole, reporting the unknown line from the last chunk', async () => {
    const enterprise = await registerEnterprise(app);
    const lines = ['uscc,source,source_reference,indicator,polarity,recorded_on,expires_on'];
    for (let k = 1; k <= 2_500; k++)
      lines.push(`${enterprise.uscc},UTILITIES,CHUNK-${enterprise.uscc}-${k},按时缴费,POSITIVE,2026-02-01,`);
    lines.push(`${makeUscc('110101')},TAX,CHUNK-stranger-${enterprise.uscc},A级纳税人,POSITIVE,2026-02-01,`);
    const file = path.join(folder, 'many.csv');
    fs.writeFileSync(file, lines.join('\n'));
    const result = await importCreditFile(app.dataSource, file);
    expect(result).toMatchObject({ records: 2_501, imported: 2_500, duplicates: 0, rescored: 1 });
    expect(result.rejected).toEqual([{ line: 2_502, reason: 'no verified enterprise has this USCC' }]);
    const [{ n }] = await app.dataSource.query(
      `SELECT count(*)::int AS n FROM credit_record WHERE source_reference LIKE $1`,
      [`CHUNK-${enterprise.uscc}-%`],
    );
    expect(n).toBe(2_500);
  });

  it('stores backslashes in a field as written: a reference spelled \\N is text, not NULL', async () => {
    const enterprise = await registerEnterprise(app);
    const references = ['\\N', `BS\\${enterprise.uscc}\\t`, `BS-${enterprise.uscc}`];
    const file = path.join(folder, 'backslashes.jsonl');
    fs.writeFileSync(
      file,
      references
        .map((reference) =>
          JSON.stringify({
            uscc: enterprise.uscc,
            source: 'OTHER',
            source_reference: reference,
            indicator: '说明\\备注',
            polarity: 'POSITIVE',
            recorded_on: '2026-02-01',
          }),
        )
        .join('\n'),
    );
    const result = await importCreditFile(app.dataSource, file);
    expect(result).toMatchObject({ records: 3, imported: 3, rejected: [] });
    const rows: Array<{ source_reference: string; indicator: string }> = await app.dataSource.query(
      `SELECT source_reference, indicator FROM credit_record WHERE source = 'OTHER' AND source_reference = ANY($1)
        ORDER BY id`,
      [references],
    );
    expect(rows).toEqual(references.map((reference) => ({ source_reference: reference, indicator: '说明\\备注' })));
  });

  it('fails on a CSV it cannot parse only after the batches in flight have finished', async () => {
    const enterprises = [await registerEnterprise(app), await registerEnterprise(app), await registerEnterprise(app)];
    const prefix = `HALT-${enterprises[0].uscc}`;
    const lines = ['uscc,source,source_reference,indicator,polarity,recorded_on,expires_on'];
    for (let k = 1; k <= 600; k++)
      lines.push(`${enterprises[k % 3].uscc},UTILITIES,${prefix}-${k},按时缴费,POSITIVE,2026-02-01,`);
    lines.push(`${enterprises[0].uscc},UTILITIES,"${prefix}-unclosed,按时缴费,POSITIVE,2026-02-01,`);
    const file = path.join(folder, 'unclosed.csv');
    fs.writeFileSync(file, lines.join('\n'));
    const stored = async () =>
      (
        await app.dataSource.query(`SELECT count(*)::int AS n FROM credit_record WHERE source_reference LIKE $1`, [
          `${prefix}-%`,
        ])
      )[0].n;
    await expect(importCreditFile(app.dataSource, file, { batchSize: 50 })).rejects.toThrow(/quote/i);
    const atFailure = await stored();
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Every batch either committed before the failure was reported or never started.
    expect(await stored()).toBe(atFailure);
    expect(atFailure % 50).toBe(0);
  });

  it('reads JSON lines, reporting lines that are not JSON', async () => {
    const enterprise = await registerEnterprise(app);
    const file = path.join(folder, 'records.jsonl');
    fs.writeFileSync(
      file,
      [
        JSON.stringify({
          uscc: enterprise.uscc,
          source: 'HOUSING_FUND',
          source_reference: 'HF-1',
          indicator: '公积金按时缴存',
          polarity: 'POSITIVE',
          recorded_on: '2026-05-01',
        }),
        '{not json',
        '',
        JSON.stringify({
          uscc: enterprise.uscc,
          source: 'CUSTOMS',
          sourceReference: 'CU-1',
          indicator: '海关AEO高级认证',
          polarity: 'POSITIVE',
          recordedOn: '2026-05-01',
        }),
      ].join('\n'),
    );
    const result = await importCreditFile(app.dataSource, file);
    expect(result).toMatchObject({ records: 3, imported: 2, rejected: [{ line: 2, reason: 'not valid JSON' }] });
  });

  it('ships a sample file in the documented format that parses cleanly', async () => {
    const sample = path.join(__dirname, '..', 'data', 'credit-records.sample.csv');
    const result = await importCreditFile(app.dataSource, sample);
    // The sample's enterprise is the README's example; here it is not registered, so every row is refused for that
    // reason alone.
    const reason = 'no verified enterprise has this USCC';
    expect(result.rejected.map((r) => r.reason)).toEqual(Array(result.records).fill(reason));
  });

  it('keeps every record tied to an existing enterprise without a per-row foreign key', async () => {
    const enterprise = await registerEnterprise(app);
    const [{ id }] = await app.dataSource.query(`SELECT id::text FROM enterprise WHERE uscc = $1`, [enterprise.uscc]);
    const insert = (enterpriseId: string, reference: string) =>
      app.dataSource.query(
        `INSERT INTO credit_record (enterprise_id, source, source_reference, indicator, polarity, recorded_on)
          VALUES ($1, 'TAX', $2, 'x', 'POSITIVE', '2026-01-01')`,
        [enterpriseId, reference],
      );
    await expect(insert('999999999', `orphan-${id}`)).rejects.toMatchObject({ driverError: { code: '23503' } });
    await insert(id, `kept-${id}`);
    await expect(
      app.dataSource.query(`UPDATE credit_record SET enterprise_id = 999999999 WHERE source_reference = $1`, [
        `kept-${id}`,
      ]),
    ).rejects.toMatchObject({ driverError: { code: '23503' } });
    await expect(
      app.dataSource.query(`UPDATE enterprise SET id = 999999999 WHERE id = $1`, [id]),
    ).rejects.toMatchObject({ driverError: { code: '23001' } });
    await expect(app.dataSource.query(`DELETE FROM enterprise WHERE id = $1`, [id])).rejects.toMatchObject({
      driverError: { code: '23001' },
    });
    const [{ orphans }] = await app.dataSource.query(
      `SELECT count(*)::int AS orphans FROM credit_record r WHERE NOT EXISTS (SELECT 1 FROM enterprise e
        WHERE e.id = r.enterprise_id)`,
    );
    expect(orphans).toBe(0);
  });
});
