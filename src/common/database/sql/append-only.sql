-- Audit trails are append-only: one guard for every such table (a BEFORE UPDATE/DELETE row trigger and a
-- BEFORE TRUNCATE statement trigger call it). Its optional argument says what to do instead.
--
-- The current definition of each function and trigger: change it here, then add a migration that calls
-- applySqlDefinitions() (src/common/database/sql-definitions.ts). A test checks the database against this file.

CREATE OR REPLACE FUNCTION append_only()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      BEGIN
        RAISE EXCEPTION '% is append-only%', TG_TABLE_NAME, coalesce(': ' || TG_ARGV[0], '')
          USING ERRCODE = 'insufficient_privilege';
      END $function$;
