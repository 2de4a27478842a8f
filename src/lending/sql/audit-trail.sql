-- The audit trail of applications is append-only.
--
-- The current definition of each function and trigger: change it here, then add a migration that calls
-- applySqlDefinitions() (src/common/database/sql-definitions.ts). A test checks the database against this file.

CREATE OR REPLACE TRIGGER application_event_no_truncate BEFORE TRUNCATE ON application_event
  FOR EACH STATEMENT
  EXECUTE FUNCTION append_only();

CREATE OR REPLACE TRIGGER application_event_no_update_delete BEFORE DELETE OR UPDATE ON application_event
  FOR EACH ROW
  EXECUTE FUNCTION append_only();
