-- The loads of holiday schedules are the audit trail of who loaded which schedule and when: append-only.
--
-- The current definition of each function and trigger: change it here, then add a migration that calls
-- applySqlDefinitions() (src/common/database/sql-definitions.ts). A test checks the database against this file.

CREATE OR REPLACE TRIGGER holiday_schedule_load_no_truncate BEFORE TRUNCATE ON holiday_schedule_load
  FOR EACH STATEMENT
  EXECUTE FUNCTION append_only('load the year again');

CREATE OR REPLACE TRIGGER holiday_schedule_load_no_update_delete BEFORE DELETE OR UPDATE ON holiday_schedule_load
  FOR EACH ROW
  EXECUTE FUNCTION append_only('load the year again');
