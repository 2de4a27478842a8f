import { MigrationInterface, QueryRunner } from 'typeorm';
import { applySqlDefinitions } from '../src/common/database/sql-definitions';

/**
 * The transactional outbox of business events (src/notifications/outbox.ts). `tx` is the writing
 * transaction: readers deliver an event only once every older transaction has ended, in (tx, id)
 * order, so an event committed late with a lower id is never skipped (see readOutbox). No foreign
 * keys: the outbox is a log, and their checks would lock the tenants' rows in every emitting transaction.
 */
export class TransactionalOutbox1795980000000 implements MigrationInterface {
  name = 'TransactionalOutbox1795980000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE outbox_event (
        id bigserial PRIMARY KEY,
        type varchar(40) NOT NULL,
        institution_id bigint,
        enterprise_id bigint,
        platform boolean NOT NULL DEFAULT false,
        payload jsonb NOT NULL,
        occurred_at timestamptz NOT NULL DEFAULT now(),
        tx xid8 NOT NULL DEFAULT pg_current_xact_id()
      )`);
    await queryRunner.query(`CREATE INDEX outbox_event_delivery_order ON outbox_event (tx, id)`);
    await queryRunner.query(`CREATE INDEX outbox_event_occurred_at ON outbox_event (occurred_at)`);
    await applySqlDefinitions(queryRunner);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE outbox_event`);
    await queryRunner.query(`DROP FUNCTION outbox_event_notify()`);
    await queryRunner.query(`DROP FUNCTION global_id(text, bigint)`);
  }
}
