import fs from 'node:fs';
import path from 'node:path';
import { GraphQLObjectType, GraphQLResolveInfo, validateSchema } from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import { buildAppSchema, printAppSchema } from '../src/schema';
import { toGlobalId } from '../src/common/global-id';
import { createDataSource } from '../src/common/database/data-source';
import { createEmptyDatabase } from './support/database';

describe('graphql/schema.graphql', () => {
  it('is the schema the code builds (run `npm run schema:emit` after changing the API)', () => {
    const checkedIn = fs.readFileSync(path.join(__dirname, '..', 'graphql', 'schema.graphql'), 'utf8');
    expect(checkedIn).toBe(printAppSchema());
  });

  it('is one valid schema, whose every Node answers its global ID as `id`', async () => {
    const publicSchema = buildAppSchema();
    // Queries (graphql-jit), mutations and introspection (graphql-js) all run on this schema.
    expect(validateSchema(publicSchema)).toEqual([]);
    const nodeTypes = Object.values(publicSchema.getTypeMap()).filter(
      (type): type is GraphQLObjectType =>
        type instanceof GraphQLObjectType && type.getInterfaces().some((node) => node.name === 'Node'),
    );
    expect(nodeTypes.map((type) => type.name)).toEqual(
      expect.arrayContaining([
        'Enterprise',
        'FinancingRequest',
        'LoanProduct',
        'Institution',
        'Application',
        'CreditGrant',
      ]),
    );
    for (const type of nodeTypes) {
      const id = type.getFields().id;
      expect(String(id.type)).toBe('ID!');
      const target = getMetadataStorage().objectTypes.find((objectType) => objectType.name === type.name)!
        .target as new () => object;
      const object = Object.assign(new target(), { id: '4096' });
      const globalId = (object as { globalId?: string }).globalId;
      expect(globalId).toBe(toGlobalId(type.name, '4096'));
      expect(await id.resolve!(object, {}, {}, {} as GraphQLResolveInfo)).toBe(globalId);
    }
    expect(printAppSchema()).not.toMatch(/GlobalId/);
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
      const [{ tables }] = await dataSource.query(
        `SELECT count(*)::int AS tables FROM information_schema.tables WHERE table_schema = 'public'
          AND table_name <> 'migrations'`,
      );
      expect(tables).toBe(0);
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
      await database.drop();
    }
  });
});
