import { MigrationInterface, QueryRunner } from 'typeorm';

/** The retention job reads the mail outbox by the time a message was written (docs/adr/0109). */
export class MailOutboxRetention1796140000000 implements MigrationInterface {
  name = 'MailOutboxRetention1796140000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX ix_mail_outbox_created_at ON mail_outbox (created_at)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX ix_mail_outbox_created_at`);
  }
}
