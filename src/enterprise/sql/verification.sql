-- Identity verification (实名认证): the audit trail of claims is append-only, and a claim whose status
-- changes is notified to the processes that keep its accounts (account-directory.ts).
--
-- The current definition of each function and trigger: change it here, then add a migration that calls
-- applySqlDefinitions() (src/common/database/sql-definitions.ts). A test checks the database against this file.

CREATE OR REPLACE TRIGGER enterprise_verification_event_no_update_delete BEFORE DELETE OR UPDATE
  ON enterprise_verification_event
  FOR EACH ROW
  EXECUTE FUNCTION append_only();

CREATE OR REPLACE TRIGGER enterprise_verification_event_no_truncate BEFORE TRUNCATE
  ON enterprise_verification_event
  FOR EACH STATEMENT
  EXECUTE FUNCTION append_only();

CREATE OR REPLACE FUNCTION enterprise_verification_notify_change()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      BEGIN
        PERFORM pg_notify('user_account_changed', a.id::text) FROM user_account a WHERE a.enterprise_id = NEW.id;
        RETURN NULL;
      END $function$;

CREATE OR REPLACE TRIGGER enterprise_verification_changed AFTER UPDATE OF verification_status ON enterprise
  FOR EACH ROW
  WHEN (old.verification_status IS DISTINCT FROM new.verification_status)
  EXECUTE FUNCTION enterprise_verification_notify_change();
