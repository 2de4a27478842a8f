import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Servers keep each account's role and binding while they listen on `user_account_changed`
 * (src/auth/account-directory.ts): every update or delete of an account notifies its ID when the
 * transaction commits, a TRUNCATE notifies '*'.
 */
export class AccountChangeNotifications1795856000000 implements MigrationInterface {
  name = 'AccountChangeNotifications1795856000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE FUNCTION user_account_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          PERFORM pg_notify('user_account_changed', '*');
        ELSE
          PERFORM pg_notify('user_account_changed', OLD.id::text);
        END IF;
        RETURN NULL;
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER user_account_changed AFTER UPDATE OR DELETE ON user_account FOR EACH ROW EXECUTE FUNCTION user_account_notify_change()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER user_account_truncated AFTER TRUNCATE ON user_account FOR EACH STATEMENT EXECUTE FUNCTION user_account_notify_change()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER user_account_truncated ON user_account`);
    await queryRunner.query(`DROP TRIGGER user_account_changed ON user_account`);
    await queryRunner.query(`DROP FUNCTION user_account_notify_change()`);
  }
}
