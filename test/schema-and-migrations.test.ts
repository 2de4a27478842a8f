import fs from 'node:fs';
import path from 'node:path';
import { printAppSchema } from '../src/schema';
import { createDataSource } from '../src/common/database/data-source';
import { createEmptyDatabase } from './support/database';

describe('graphql/schema.graphql', () => {
  it('is the schema the code builds (run `npm run schema:emit` after changing the API)', () => {
    const checkedIn = fs.readFileSync(path.join(__dirname, '..', 'graphql', 'schema.graphql'), 'utf8');
    expect(checkedIn).toBe(printAppSchema());
  });

  it('describes its types, with Chinese terms', () => {
    const schema = printAppSchema();
    expect(schema).toContain('统一社会信用代码');
    expect(schema).toMatch(/"""[^"]*受理[^"]*"""/);
  });
});

describe('migrations', () => {
  it('produce exactly what the entities describe: generating after running them yields no change', async () => {
    const database = await createEmptyDatabase();
    const dataSource = createDataSource(database.url, { poolSize: 2 });
    try {
      await dataSource.initialize();
      const applied = await dataSource.runMigrations({ transaction: 'all' });
      expect(applied.length).toBeGreaterThan(0);
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((query) => query.query)).toEqual([]);
      // And they revert cleanly, all the way down.
      for (let i = 0; i < applied.length; i++) await dataSource.undoLastMigration({ transaction: 'all' });
      const [{ tables }] = await dataSource.query(`SELECT count(*)::int AS tables FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`);
      expect(tables).toBe(0);
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
      await database.drop();
    }
  });
});
