-- Requires column: loan_product.institution_response_deadline_days
-- A product's copy of its institution's response deadline (working days), which the matching score's
-- responsiveness reads: matching ranks each product by it without looking the institution up per candidate.
-- The copy is set from the institution whenever a product is written and follows every change of the
-- institution's deadline, so it never differs from it.
--
-- The current definition of each function and trigger: change it here, then add a migration that calls
-- applySqlDefinitions() (src/common/database/sql-definitions.ts). A test checks the database against this file.

CREATE OR REPLACE FUNCTION loan_product_copy_institution()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      BEGIN
        SELECT i.response_deadline_days INTO NEW.institution_response_deadline_days
          FROM institution i WHERE i.id = NEW.institution_id;
        RETURN NEW;
      END $function$;

CREATE OR REPLACE TRIGGER loan_product_institution_copy BEFORE INSERT OR UPDATE OF institution_id,
  institution_response_deadline_days ON loan_product
  FOR EACH ROW
  EXECUTE FUNCTION loan_product_copy_institution();

CREATE OR REPLACE FUNCTION institution_copy_to_products()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      BEGIN
        UPDATE loan_product SET institution_response_deadline_days = NEW.response_deadline_days
          WHERE institution_id = NEW.id;
        RETURN NULL;
      END $function$;

CREATE OR REPLACE TRIGGER institution_response_deadline_copied AFTER UPDATE OF response_deadline_days ON institution
  FOR EACH ROW
  WHEN (old.response_deadline_days IS DISTINCT FROM new.response_deadline_days)
  EXECUTE FUNCTION institution_copy_to_products();
