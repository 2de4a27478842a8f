import { startTestApp, TestApp } from './support/app';
import { createInstitution } from './support/fixtures';
import { entityReader, ALL_ROWS } from '../src/common/database/entity-reader';
import { Institution } from '../src/institution/institution.entity';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

describe('EntityReader', () => {
  it('reads instants as TypeORM does, to the millisecond, before and after 1970', async () => {
    await createInstitution(app);
    const [{ id }] = await app.dataSource.query(`SELECT id::text FROM institution ORDER BY id DESC LIMIT 1`);
    const instants = [
      '1969-12-31 23:59:59.9995+00',
      '1969-07-20 20:17:40.123456+00',
      '2026-09-23 09:39:37.790999+08',
      '2026-01-01 00:00:00+00',
      '2000-02-29 12:00:00.0001+00',
    ];
    for (const instant of instants) {
      await app.dataSource.query(`UPDATE institution SET created_at = $1 WHERE id = $2`, [instant, id]);
      const read = await entityReader(app.dataSource, Institution).findOne('i', ALL_ROWS, id);
      const typeorm = await app.dataSource.getRepository(Institution).findOneByOrFail({ id });
      expect(read!.createdAt).toBeInstanceOf(Date);
      expect(read!.createdAt.toISOString()).toBe(typeorm.createdAt.toISOString());
    }
  });
});
