import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A request's matches in exactly the rank order (match_score DESC, quoted_rate, loan_product_id):
 * a page of matches reads its rows off the index and stops, instead of sorting all 50 per request.
 */
export class ProductMatchRankIndex1795852000000 implements MigrationInterface {
  name = 'ProductMatchRankIndex1795852000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "ix_product_match_rank" ON "product_match" ("financing_request_id", "match_score" DESC, "quoted_rate", "loan_product_id")`,
    );
    await queryRunner.query(`DROP INDEX "public"."IDX_b04fa1c409042363761b9bbc5b"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "IDX_b04fa1c409042363761b9bbc5b" ON "product_match" ("financing_request_id", "match_score")`,
    );
    await queryRunner.query(`DROP INDEX "public"."ix_product_match_rank"`);
  }
}
