-- Requires table: outbox_event
-- The transactional outbox (src/notifications/outbox.ts): global IDs computed in SQL, so set-based
-- statements write their events in the same statement, and one notification per statement that wrote events.
--
-- The current definition of each function and trigger: change it here, then add a migration that calls
-- applySqlDefinitions() (src/common/database/sql-definitions.ts). A test checks the database against this file.

CREATE OR REPLACE FUNCTION global_id(type_name text, id bigint)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$
  SELECT encode(convert_to(type_name || ':' || id::text, 'UTF8'), 'base64')
$function$;

CREATE OR REPLACE FUNCTION outbox_event_notify()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      DECLARE
        last_id bigint;
      BEGIN
        SELECT max(id) INTO last_id FROM written;
        IF last_id IS NOT NULL THEN
          PERFORM pg_notify('outbox_event', last_id::text);
        END IF;
        RETURN NULL;
      END $function$;

CREATE OR REPLACE TRIGGER outbox_event_written AFTER INSERT ON outbox_event
  REFERENCING NEW TABLE AS written
  FOR EACH STATEMENT
  EXECUTE FUNCTION outbox_event_notify();
