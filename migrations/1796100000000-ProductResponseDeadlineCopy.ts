import { MigrationInterface, QueryRunner } from 'typeorm';
import { applySqlDefinitions } from '../src/common/database/sql-definitions';

/**
 * Each loan product carries a copy of its institution's response deadline, kept by triggers
 * (src/product/sql/institution-copy.sql): the matching score's responsiveness reads it from the product
 * row, so ranking a request's candidates looks no institution up.
 */
export class ProductResponseDeadlineCopy1796100000000 implements MigrationInterface {
  name = 'ProductResponseDeadlineCopy1796100000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE loan_product ADD COLUMN institution_response_deadline_days smallint`);
    await queryRunner.query(
      `UPDATE loan_product p SET institution_response_deadline_days = i.response_deadline_days
       FROM institution i WHERE i.id = p.institution_id`,
    );
    await queryRunner.query(`ALTER TABLE loan_product ALTER COLUMN institution_response_deadline_days SET NOT NULL`);
    await applySqlDefinitions(queryRunner);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER institution_response_deadline_copied ON institution`);
    await queryRunner.query(`DROP TRIGGER loan_product_institution_copy ON loan_product`);
    await queryRunner.query(`DROP FUNCTION institution_copy_to_products()`);
    await queryRunner.query(`DROP FUNCTION loan_product_copy_institution()`);
    await queryRunner.query(`ALTER TABLE loan_product DROP COLUMN institution_response_deadline_days`);
  }
}
