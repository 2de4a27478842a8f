import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A credit record still always names an existing enterprise, checked once per statement instead of
 * once per row. The foreign key's per-row check (a lookup plus a FOR KEY SHARE lock that writes the
 * enterprise's page) cost about 20 µs per imported record, 40 % of inserting a batch.
 *
 * What the foreign key guaranteed, and what now does:
 *   - an inserted or updated record names an existing enterprise: the statement triggers below;
 *   - a referenced enterprise is never deleted: enterprises are never deleted at all
 *     (stats_final_enterprise_delete, migration StatsRollup);
 *   - a referenced enterprise id never changes: enterprise_id_is_permanent below.
 */
export class CreditRecordSetBasedIntegrity1795854000000 implements MigrationInterface {
  name = 'CreditRecordSetBasedIntegrity1795854000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "credit_record" DROP CONSTRAINT "FK_f6de76f9b00aba8422b36d688c7"`);
    // A scalar subquery per row: always a primary-key probe, never a scan of every enterprise.
    await queryRunner.query(`CREATE FUNCTION credit_record_enterprise_exists() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM changed_rows c WHERE (SELECT e.id FROM enterprise e WHERE e.id = c.enterprise_id) IS NULL) THEN
          RAISE EXCEPTION 'a credit record must name an existing enterprise' USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`CREATE TRIGGER credit_record_enterprise_insert AFTER INSERT ON credit_record
      REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION credit_record_enterprise_exists()`);
    await queryRunner.query(`CREATE TRIGGER credit_record_enterprise_update AFTER UPDATE ON credit_record
      REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION credit_record_enterprise_exists()`);
    await queryRunner.query(`CREATE FUNCTION enterprise_id_is_permanent() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'an enterprise id never changes' USING ERRCODE = 'restrict_violation'; END $$`);
    await queryRunner.query(`CREATE TRIGGER enterprise_id_is_permanent BEFORE UPDATE OF id ON enterprise
      FOR EACH ROW WHEN (NEW.id <> OLD.id) EXECUTE FUNCTION enterprise_id_is_permanent()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER enterprise_id_is_permanent ON enterprise`);
    await queryRunner.query(`DROP FUNCTION enterprise_id_is_permanent()`);
    await queryRunner.query(`DROP TRIGGER credit_record_enterprise_update ON credit_record`);
    await queryRunner.query(`DROP TRIGGER credit_record_enterprise_insert ON credit_record`);
    await queryRunner.query(`DROP FUNCTION credit_record_enterprise_exists()`);
    await queryRunner.query(
      `ALTER TABLE "credit_record" ADD CONSTRAINT "FK_f6de76f9b00aba8422b36d688c7" FOREIGN KEY ("enterprise_id") REFERENCES "enterprise"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }
}
