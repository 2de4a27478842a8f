-- Credit records name an existing enterprise, checked per statement (bulk imports stay set-based),
-- and an enterprise keeps its id.
--
-- The current definition of each function and trigger: change it here, then add a migration that calls
-- applySqlDefinitions() (src/common/database/sql-definitions.ts). A test checks the database against this file.

CREATE OR REPLACE FUNCTION credit_record_enterprise_exists()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      BEGIN
        IF EXISTS (SELECT 1 FROM changed_rows c WHERE (SELECT e.id FROM enterprise e WHERE e.id = c.enterprise_id) IS
            NULL) THEN
          RAISE EXCEPTION 'a credit record must name an existing enterprise' USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NULL;
      END $function$;

CREATE OR REPLACE FUNCTION enterprise_id_is_permanent()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      BEGIN RAISE EXCEPTION 'an enterprise id never changes' USING ERRCODE = 'restrict_violation'; END $function$;

CREATE OR REPLACE TRIGGER credit_record_enterprise_insert AFTER INSERT ON credit_record
  REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION credit_record_enterprise_exists();

CREATE OR REPLACE TRIGGER credit_record_enterprise_update AFTER UPDATE ON credit_record
  REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION credit_record_enterprise_exists();

CREATE OR REPLACE TRIGGER enterprise_id_is_permanent BEFORE UPDATE OF id ON enterprise
  FOR EACH ROW
  WHEN ((new.id <> old.id))
  EXECUTE FUNCTION enterprise_id_is_permanent();
