import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Institutions' webhook endpoints and the delivery log (src/notifications/webhooks.ts). The
 * dispatcher's place in the outbox's delivery order is one row, locked by the process dispatching.
 */
export class Webhooks1795980000001 implements MigrationInterface {
  name = 'Webhooks1795980000001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE webhook_endpoint_status AS ENUM ('ACTIVE', 'DISABLED')`);
    await queryRunner.query(`CREATE TYPE webhook_delivery_status AS ENUM ('PENDING', 'DELIVERED', 'FAILED')`);
    await queryRunner.query(`
      CREATE TABLE webhook_endpoint (
        id bigserial PRIMARY KEY,
        institution_id bigint NOT NULL REFERENCES institution(id),
        url varchar(2048) NOT NULL,
        event_types varchar(40)[] NOT NULL,
        secret varchar(100) NOT NULL,
        previous_secret varchar(100),
        previous_secret_until timestamptz,
        status webhook_endpoint_status NOT NULL DEFAULT 'ACTIVE',
        disabled_reason varchar(500),
        failing_since timestamptz,
        created_by varchar(100) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX webhook_endpoint_institution ON webhook_endpoint (institution_id)`);
    await queryRunner.query(`
      CREATE TABLE webhook_delivery (
        id bigserial PRIMARY KEY,
        endpoint_id bigint NOT NULL REFERENCES webhook_endpoint(id) ON DELETE CASCADE,
        event_id bigint NOT NULL,
        event_type varchar(40) NOT NULL,
        body text NOT NULL,
        status webhook_delivery_status NOT NULL DEFAULT 'PENDING',
        attempts int NOT NULL DEFAULT 0,
        attempt_log jsonb NOT NULL DEFAULT '[]',
        next_attempt_at timestamptz,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (endpoint_id, event_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX webhook_delivery_due ON webhook_delivery (next_attempt_at) WHERE status = 'PENDING'`,
    );
    await queryRunner.query(`
      CREATE TABLE webhook_dispatch_state (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        tx xid8 NOT NULL,
        event_id bigint NOT NULL
      )`);
    // Dispatching starts at the present: events from before webhooks existed are not sent.
    await queryRunner.query(`
      INSERT INTO webhook_dispatch_state (tx, event_id)
      SELECT coalesce(last.tx, '0'::xid8), coalesce(last.id, 0)
      FROM (SELECT 1) one LEFT JOIN LATERAL (
        SELECT tx, id FROM outbox_event ORDER BY tx DESC, id DESC LIMIT 1
      ) last ON true`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE webhook_dispatch_state`);
    await queryRunner.query(`DROP TABLE webhook_delivery`);
    await queryRunner.query(`DROP TABLE webhook_endpoint`);
    await queryRunner.query(`DROP TYPE webhook_delivery_status`);
    await queryRunner.query(`DROP TYPE webhook_endpoint_status`);
  }
}
