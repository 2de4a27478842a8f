import { MigrationInterface, QueryRunner } from 'typeorm';

/** The calendar sweep finds the registrations that lost their verification without reading every enterprise. */
export class RevokedEnterprises1796150000000 implements MigrationInterface {
  name = 'RevokedEnterprises1796150000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX ix_enterprise_revoked ON enterprise (id) WHERE verification_status = 'REVOKED'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX ix_enterprise_revoked`);
  }
}
