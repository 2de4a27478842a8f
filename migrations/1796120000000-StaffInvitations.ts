import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Institution admins invite staff instead of creating their accounts (docs/adr/0103): `staff_invitation`
 * keeps each invitation with its token's SHA-256, and `mail_outbox` the messages a mail relay would
 * send, written in the transaction that makes them.
 */
export class StaffInvitations1796120000000 implements MigrationInterface {
  name = 'StaffInvitations1796120000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE "public"."staff_invitation_state" AS ENUM('PENDING', 'ACCEPTED', 'REVOKED')`);
    await queryRunner.query(
      `CREATE TABLE "staff_invitation" ("id" BIGSERIAL NOT NULL, "institution_id" bigint NOT NULL,
        "email" character varying(254) NOT NULL, "role" "public"."account_role" NOT NULL, "token_hash" bytea NOT NULL,
        "state" "public"."staff_invitation_state" NOT NULL, "invited_by" character varying(60) NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "accepted_at" TIMESTAMP WITH TIME ZONE, "account_id" bigint, "revoked_at" TIMESTAMP WITH TIME ZONE,
        "revoked_by" character varying(60),
        CONSTRAINT "ck_staff_invitation_state" CHECK ((state = 'ACCEPTED') = (accepted_at IS NOT NULL AND
          account_id IS NOT NULL) AND (state = 'REVOKED') = (revoked_at IS NOT NULL AND revoked_by IS NOT NULL)),
        CONSTRAINT "ck_staff_invitation_role" CHECK (role IN ('INSTITUTION_STAFF', 'INSTITUTION_ADMIN')),
        CONSTRAINT "PK_8586bd3a7c4130502b6a8baa982" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_016386e8d549631f42d434337d" ON "staff_invitation" ("institution_id")`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "IDX_eefea1a07959f7a4d3b6af2fa7" ON "staff_invitation" ("token_hash")`,
    );
    await queryRunner.query(
      `ALTER TABLE "staff_invitation" ADD CONSTRAINT "FK_016386e8d549631f42d434337db" FOREIGN KEY ("institution_id")
        REFERENCES "institution"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "staff_invitation" ADD CONSTRAINT "FK_9ac551c3511376c1b36b9756047" FOREIGN KEY ("account_id")
        REFERENCES "user_account"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    // No entity: written and read by src/mail/mail-outbox.ts only.
    await queryRunner.query(`CREATE TABLE mail_outbox (
      id bigserial PRIMARY KEY,
      recipient varchar(254) NOT NULL,
      subject varchar(200) NOT NULL,
      body text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz
    )`);
    await queryRunner.query(`CREATE INDEX ix_mail_outbox_pending ON mail_outbox (recipient, id) WHERE sent_at IS NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE mail_outbox`);
    await queryRunner.query(`ALTER TABLE "staff_invitation" DROP CONSTRAINT "FK_9ac551c3511376c1b36b9756047"`);
    await queryRunner.query(`ALTER TABLE "staff_invitation" DROP CONSTRAINT "FK_016386e8d549631f42d434337db"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_eefea1a07959f7a4d3b6af2fa7"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_016386e8d549631f42d434337d"`);
    await queryRunner.query(`DROP TABLE "staff_invitation"`);
    await queryRunner.query(`DROP TYPE "public"."staff_invitation_state"`);
  }
}
