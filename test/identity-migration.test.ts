import { createDataSource } from '../src/common/database/data-source';
import { createEmptyDatabase } from './support/database';

const FIRST_IDENTITY_MIGRATION = 1795920000000;

/** Upgrading a database that already has enterprises and accounts (the migrations of issue 17). */
describe('identity migrations on a database with data', () => {
  it('keep existing enterprises verified, each with a MIGRATION event, and existing accounts enabled', async () => {
    const database = await createEmptyDatabase();
    const dataSource = createDataSource(database.url, { poolSize: 2 });
    try {
      await dataSource.initialize();
      await dataSource.runMigrations({ transaction: 'all' });
      // Back to the schema before sessions, throttling and verification existed, with one enterprise in it.
      const latest = async () => Number((await dataSource.query(`SELECT max(timestamp) AS t FROM migrations`))[0].t);
      while ((await latest()) >= FIRST_IDENTITY_MIGRATION) await dataSource.undoLastMigration({ transaction: 'all' });
      const [{ id }] = await dataSource.query(
        `INSERT INTO enterprise (uscc, name, region_code, industry_code, scale, established_on, registered_capital,
           annual_revenue, employees)
         VALUES ('91230123MA1C4D5E6F', '依兰县兴盛米业有限公司', '230123', 'C13', 'SMALL', '2012-05-18', 5000000, 28000000, 46)
         RETURNING id::text AS id`,
      );
      await dataSource.query(
        `INSERT INTO user_account (email, password_hash, role, enterprise_id)
         VALUES ('mill@old.example', 'x', 'ENTERPRISE', $1)`,
        [id],
      );
      const applied = await dataSource.runMigrations({ transaction: 'all' });
      expect(applied.map((migration) => migration.name)).toEqual(
        expect.arrayContaining([
          'AuthSessions1795920000000',
          'SignInThrottle1795921000000',
          'EnterpriseVerification1795922000000',
        ]),
      );
      const [enterprise] = await dataSource.query(
        `SELECT verification_status, verified_at IS NOT NULL AS dated FROM enterprise`,
      );
      expect(enterprise).toEqual({ verification_status: 'VERIFIED', dated: true });
      const events = await dataSource.query(
        `SELECT enterprise_id::text AS id, to_status, method FROM enterprise_verification_event`,
      );
      expect(events).toEqual([{ id, to_status: 'VERIFIED', method: 'MIGRATION' }]);
      const [account] = await dataSource.query(`SELECT disabled_at FROM user_account`);
      expect(account).toEqual({ disabled_at: null });
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
      await database.drop();
    }
  });
});
