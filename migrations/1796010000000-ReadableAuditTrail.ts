import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each application event says what happened (`type`), so steps that leave the status as it was — a grant
 * proposed for its second approval, a refused self-approval, a pending grant lapsing — are events too.
 * Existing rows are typed from their transition; the append-only guard is paused for that one backfill,
 * inside this migration's transaction.
 */
const TYPES = [
  'SUBMITTED',
  'CLAIMED',
  'ACCEPTED',
  'DECLINED',
  'WITHDRAWN',
  'EXPIRED',
  'CREDIT_GRANT_PROPOSED',
  'CREDIT_GRANT_SELF_APPROVAL_REFUSED',
  'CREDIT_GRANT_LAPSED',
  'CREDIT_GRANTED',
  'DISBURSED',
];

export class ReadableAuditTrail1796010000000 implements MigrationInterface {
  name = 'ReadableAuditTrail1796010000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`CREATE TYPE "public"."application_event_type" AS ENUM(${TYPES.map((type) => `'${type}'`).join(', ')})`);
    await q(`ALTER TABLE "application_event" ADD "type" "public"."application_event_type"`);
    await q(`ALTER TABLE "application_event" DISABLE TRIGGER application_event_no_update_delete`);
    await q(`UPDATE application_event e SET type = (CASE
               WHEN e.from_status IS NULL AND a.origin = 'INSTITUTION_CLAIMED' THEN 'CLAIMED'
               ELSE e.to_status::text END)::application_event_type
             FROM application a WHERE a.id = e.application_id`);
    await q(`ALTER TABLE "application_event" ENABLE TRIGGER application_event_no_update_delete`);
    await q(`ALTER TABLE "application_event" ALTER COLUMN "type" SET NOT NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    // The events that record no transition cannot be told apart without their type.
    await q(`ALTER TABLE "application_event" DISABLE TRIGGER application_event_no_update_delete`);
    await q(`DELETE FROM application_event WHERE from_status IS NOT DISTINCT FROM to_status`);
    await q(`ALTER TABLE "application_event" ENABLE TRIGGER application_event_no_update_delete`);
    await q(`ALTER TABLE "application_event" DROP COLUMN "type"`);
    await q(`DROP TYPE "public"."application_event_type"`);
  }
}
