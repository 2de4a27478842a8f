-- Every change to an account is notified, so processes drop the account they keep (account-directory.ts).
--
-- The current definition of each function and trigger: change it here, then add a migration that calls
-- applySqlDefinitions() (src/common/database/sql-definitions.ts). A test checks the database against this file.

CREATE OR REPLACE FUNCTION user_account_notify_change()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          PERFORM pg_notify('user_account_changed', '*');
        ELSE
          PERFORM pg_notify('user_account_changed', OLD.id::text);
        END IF;
        RETURN NULL;
      END $function$;

CREATE OR REPLACE TRIGGER user_account_changed AFTER DELETE OR UPDATE ON user_account
  FOR EACH ROW
  EXECUTE FUNCTION user_account_notify_change();

CREATE OR REPLACE TRIGGER user_account_truncated AFTER TRUNCATE ON user_account
  FOR EACH STATEMENT
  EXECUTE FUNCTION user_account_notify_change();

-- A session that ends (logout, sign-out everywhere, reuse of a refresh token) is notified like a change to
-- its account, so every process drops the session it keeps.
CREATE OR REPLACE FUNCTION auth_session_notify_change()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          PERFORM pg_notify('user_account_changed', '*');
        ELSE
          PERFORM pg_notify('user_account_changed', OLD.account_id::text);
        END IF;
        RETURN NULL;
      END $function$;

CREATE OR REPLACE TRIGGER auth_session_changed AFTER DELETE OR UPDATE ON auth_session
  FOR EACH ROW
  EXECUTE FUNCTION auth_session_notify_change();

CREATE OR REPLACE TRIGGER auth_session_truncated AFTER TRUNCATE ON auth_session
  FOR EACH STATEMENT
  EXECUTE FUNCTION auth_session_notify_change();
