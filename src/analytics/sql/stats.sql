-- The exact analytics rollup (src/analytics/README.md): where a fact lands in each grain, the fact
-- functions the triggers and the rebuild share, the statement triggers that record every change, the
-- guards that keep counted facts final, and stats_compact / stats_rebuild.
--
-- The current definition of each function and trigger: change it here, then add a migration that calls
-- applySqlDefinitions() (src/common/database/sql-definitions.ts). A test checks the database against this file.

CREATE OR REPLACE FUNCTION stats_grain_day(grain text, day date)
 RETURNS date
 LANGUAGE sql
 IMMUTABLE
AS $function$ SELECT CASE WHEN grain IN ('D', 'ND') THEN day WHEN grain = 'NT' THEN '-infinity'::date ELSE
    date_trunc('month', day)::date END $function$;

CREATE OR REPLACE FUNCTION stats_grain_region(grain text, region_code character)
 RETURNS character
 LANGUAGE sql
 IMMUTABLE
AS $function$ SELECT CASE WHEN grain IN ('ND', 'NM', 'NT') THEN '000000' ELSE region_code END $function$;

CREATE OR REPLACE FUNCTION stats_grain_industry(grain text, industry_code character)
 RETURNS character
 LANGUAGE sql
 IMMUTABLE
AS $function$ SELECT CASE WHEN grain IN ('ND', 'NM', 'NT') THEN '000' ELSE industry_code END $function$;

CREATE OR REPLACE FUNCTION stats_day(at timestamp with time zone)
 RETURNS date
 LANGUAGE sql
 STABLE
AS $function$ SELECT (at AT TIME ZONE 'Asia/Shanghai')::date $function$;

CREATE OR REPLACE FUNCTION stats_registered_facts(enterprises bigint[], excluded bigint[])
 RETURNS SETOF stats_fact
 LANGUAGE plpgsql
 STABLE
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$ BEGIN RETURN QUERY
      SELECT stats_day(e.registered_at), 'registered', e.region_code, e.industry_code, 0::bigint, ''::text, -1,
          count(*), 0::numeric, 0::numeric
      FROM enterprise e WHERE (enterprises IS NULL OR e.id = ANY(enterprises)) AND e.id NOT IN (SELECT unnest(excluded))
      GROUP BY 1, 3, 4; END $function$;

CREATE OR REPLACE FUNCTION stats_requested_facts(requests bigint[], excluded bigint[])
 RETURNS SETOF stats_fact
 LANGUAGE plpgsql
 STABLE
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$ BEGIN RETURN QUERY
      SELECT stats_day(r.posted_at), 'requested', e.region_code, e.industry_code, i.institution_id, g.guarantee_type,
          -1, count(*), sum(r.amount), 0::numeric
      FROM (SELECT r.id, 0::bigint AS institution_id FROM financing_request r WHERE requests IS NULL OR r.id =
          ANY(requests)
            UNION ALL
            SELECT DISTINCT a.financing_request_id, a.institution_id FROM application a
            WHERE (requests IS NULL OR a.financing_request_id = ANY(requests)) AND a.id NOT IN (SELECT
                unnest(excluded))) i
      JOIN financing_request r ON r.id = i.id JOIN enterprise e ON e.id = r.enterprise_id
      CROSS JOIN LATERAL (SELECT DISTINCT t FROM unnest(ARRAY[''] || r.acceptable_guarantee_types::text[]) t)
          g(guarantee_type)
      GROUP BY 1, 3, 4, 5, 6; END $function$;

CREATE OR REPLACE FUNCTION stats_accepted_facts(requests bigint[], excluded bigint[])
 RETURNS SETOF stats_fact
 LANGUAGE plpgsql
 STABLE
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$ BEGIN RETURN QUERY
      SELECT stats_day(f.accepted_at), 'accepted', e.region_code, e.industry_code, f.institution_id, f.guarantee_type,
          -1, count(*), sum(r.amount), 0::numeric
      FROM (SELECT DISTINCT ON (a.financing_request_id, k.institution_id, k.guarantee_type) a.financing_request_id,
          a.accepted_at, k.institution_id, k.guarantee_type
            FROM application a JOIN loan_product p ON p.id = a.loan_product_id
            CROSS JOIN LATERAL (VALUES (0::bigint, ''::text), (a.institution_id, ''), (0, p.guarantee_type::text),
                (a.institution_id, p.guarantee_type::text)) k(institution_id, guarantee_type)
            WHERE a.accepted_at IS NOT NULL AND (requests IS NULL OR a.financing_request_id = ANY(requests)) AND a.id
                NOT IN (SELECT unnest(excluded))
            ORDER BY a.financing_request_id, k.institution_id, k.guarantee_type, a.accepted_at, a.id) f
      JOIN financing_request r ON r.id = f.financing_request_id JOIN enterprise e ON e.id = r.enterprise_id
      GROUP BY 1, 3, 4, 5, 6; END $function$;

CREATE OR REPLACE FUNCTION stats_granted_facts(grants bigint[], excluded bigint[])
 RETURNS SETOF stats_fact
 LANGUAGE plpgsql
 STABLE
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$ BEGIN RETURN QUERY
      SELECT stats_day(g.approved_at), 'granted', e.region_code, e.industry_code, k.institution_id, k.guarantee_type,
             stats_day(g.approved_at) - stats_day(r.posted_at), count(*), sum(g.amount), sum(g.amount * g.annual_rate)
      FROM credit_grant g JOIN application a ON a.id = g.application_id JOIN loan_product p ON p.id = a.loan_product_id
      JOIN financing_request r ON r.id = g.financing_request_id JOIN enterprise e ON e.id = r.enterprise_id
      CROSS JOIN LATERAL (VALUES (0::bigint, ''::text), (a.institution_id, ''), (0, p.guarantee_type::text),
          (a.institution_id, p.guarantee_type::text)) k(institution_id, guarantee_type)
      WHERE g.status = 'APPROVED' AND (grants IS NULL OR g.id = ANY(grants)) AND g.id NOT IN (SELECT unnest(excluded))
      GROUP BY 1, 3, 4, 5, 6, 7; END $function$;

CREATE OR REPLACE FUNCTION stats_first_grant_facts(enterprises bigint[], excluded bigint[])
 RETURNS SETOF stats_fact
 LANGUAGE plpgsql
 STABLE
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$ BEGIN RETURN QUERY
      SELECT stats_day(f.approved_at), 'first_grant', e.region_code, e.industry_code, k.institution_id,
          k.guarantee_type, -1, count(*), 0::numeric, 0::numeric
      FROM (SELECT DISTINCT ON (r.enterprise_id) r.enterprise_id, g.approved_at, a.institution_id,
          p.guarantee_type::text AS guarantee_type
            FROM credit_grant g JOIN application a ON a.id = g.application_id JOIN loan_product p ON p.id =
                a.loan_product_id
            JOIN financing_request r ON r.id = g.financing_request_id
            WHERE g.status = 'APPROVED' AND (enterprises IS NULL OR r.enterprise_id = ANY(enterprises)) AND g.id NOT IN
                (SELECT unnest(excluded))
            ORDER BY r.enterprise_id, g.approved_at, g.id) f
      JOIN enterprise e ON e.id = f.enterprise_id
      CROSS JOIN LATERAL (VALUES (0::bigint, ''::text), (f.institution_id, ''), (0, f.guarantee_type),
          (f.institution_id, f.guarantee_type)) k(institution_id, guarantee_type)
      GROUP BY 1, 3, 4, 5, 6; END $function$;

CREATE OR REPLACE FUNCTION stats_disbursed_facts(disbursements bigint[], excluded bigint[])
 RETURNS SETOF stats_fact
 LANGUAGE plpgsql
 STABLE
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$ BEGIN RETURN QUERY
      SELECT d.disbursed_on, 'disbursed', e.region_code, e.industry_code, k.institution_id, k.guarantee_type, -1,
          count(*), sum(d.amount), 0::numeric
      FROM disbursement d JOIN credit_grant g ON g.id = d.credit_grant_id JOIN application a ON a.id = g.application_id
      JOIN loan_product p ON p.id = a.loan_product_id JOIN financing_request r ON r.id = g.financing_request_id JOIN
          enterprise e ON e.id = r.enterprise_id
      CROSS JOIN LATERAL (VALUES (0::bigint, ''::text), (a.institution_id, ''), (0, p.guarantee_type::text),
          (a.institution_id, p.guarantee_type::text)) k(institution_id, guarantee_type)
      WHERE (disbursements IS NULL OR d.id = ANY(disbursements)) AND d.id NOT IN (SELECT unnest(excluded))
      GROUP BY 1, 3, 4, 5, 6; END $function$;

CREATE OR REPLACE FUNCTION stats_record_change(facts text, scope bigint[], changed bigint[])
 RETURNS void
 LANGUAGE plpgsql
AS $function$
      BEGIN
        IF cardinality(scope) = 0 THEN RETURN; END IF;
        IF changed IS NULL THEN
          EXECUTE format($sql$INSERT INTO stats_delta (day, measure, region_code, industry_code, institution_id,
              guarantee_type, lead_days, count, amount, amount_rate)
            SELECT * FROM %I($1, '{}')$sql$, facts) USING scope;
          RETURN;
        END IF;
        EXECUTE format($sql$
          INSERT INTO stats_delta (day, measure, region_code, industry_code, institution_id, guarantee_type, lead_days,
              count, amount, amount_rate)
          SELECT day, measure, region_code, industry_code, institution_id, guarantee_type, lead_days, sum(count),
              sum(amount), sum(amount_rate)
          FROM (SELECT * FROM %1$I($1, '{}')
                UNION ALL
                SELECT day, measure, region_code, industry_code, institution_id, guarantee_type, lead_days, -count,
                    -amount, -amount_rate FROM %1$I($1, $2)) f
          GROUP BY 1, 2, 3, 4, 5, 6, 7
          HAVING sum(count) <> 0 OR sum(amount) <> 0 OR sum(amount_rate) <> 0 $sql$, facts) USING scope, changed;
      END $function$;

CREATE OR REPLACE FUNCTION stats_lock(namespace integer, keys bigint[])
 RETURNS void
 LANGUAGE plpgsql
AS $function$
      BEGIN
        IF cardinality(keys) > 1000 THEN
          PERFORM pg_advisory_xact_lock((namespace::bigint << 48));
        ELSE
          PERFORM pg_advisory_xact_lock_shared((namespace::bigint << 48));
          PERFORM pg_advisory_xact_lock((namespace::bigint << 48) + k) FROM (SELECT DISTINCT unnest(keys) AS k ORDER BY
              1) s;
        END IF;
      END $function$;

CREATE OR REPLACE FUNCTION stats_on_enterprise_insert()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      DECLARE ids bigint[] := ARRAY(SELECT id FROM new_rows);
      BEGIN PERFORM stats_record_change('stats_registered_facts', ids, NULL); RETURN NULL; END $function$;

CREATE OR REPLACE FUNCTION stats_on_request_insert()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      DECLARE ids bigint[] := ARRAY(SELECT id FROM new_rows);
      BEGIN PERFORM stats_record_change('stats_requested_facts', ids, NULL); RETURN NULL; END $function$;

CREATE OR REPLACE FUNCTION stats_on_application_insert()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      DECLARE
        requests bigint[] := ARRAY(SELECT DISTINCT financing_request_id FROM new_rows);
        ids bigint[] := ARRAY(SELECT id FROM new_rows);
        accepted bigint[] := ARRAY(SELECT id FROM new_rows WHERE accepted_at IS NOT NULL);
      BEGIN
        PERFORM stats_lock(1, requests);
        PERFORM stats_record_change('stats_requested_facts', requests, ids);
        IF cardinality(accepted) > 0 THEN
          PERFORM stats_record_change('stats_accepted_facts', ARRAY(SELECT DISTINCT financing_request_id FROM new_rows
              WHERE accepted_at IS NOT NULL), accepted);
        END IF;
        RETURN NULL;
      END $function$;

CREATE OR REPLACE FUNCTION stats_on_application_update()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      DECLARE
        accepted bigint[] := ARRAY(SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE o.accepted_at IS
            NULL AND n.accepted_at IS NOT NULL);
        requests bigint[];
      BEGIN
        IF cardinality(accepted) = 0 THEN RETURN NULL; END IF;
        requests := ARRAY(SELECT DISTINCT financing_request_id FROM new_rows WHERE id = ANY(accepted));
        PERFORM stats_lock(1, requests);
        PERFORM stats_record_change('stats_accepted_facts', requests, accepted);
        RETURN NULL;
      END $function$;

CREATE OR REPLACE FUNCTION stats_record_grants(approved bigint[])
 RETURNS void
 LANGUAGE plpgsql
AS $function$
      DECLARE enterprises bigint[];
      BEGIN
        IF cardinality(approved) = 0 THEN RETURN; END IF;
        enterprises := ARRAY(SELECT DISTINCT r.enterprise_id FROM credit_grant g JOIN financing_request r ON r.id =
            g.financing_request_id WHERE g.id = ANY(approved));
        PERFORM stats_record_change('stats_granted_facts', approved, NULL);
        PERFORM stats_lock(2, enterprises);
        PERFORM stats_record_change('stats_first_grant_facts', enterprises, approved);
      END $function$;

CREATE OR REPLACE FUNCTION stats_on_grant_insert()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      BEGIN PERFORM stats_record_grants(ARRAY(SELECT id FROM new_rows WHERE status = 'APPROVED')); RETURN NULL; END
          $function$;

CREATE OR REPLACE FUNCTION stats_on_grant_update()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      BEGIN
        PERFORM stats_record_grants(ARRAY(SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE o.status <>
            'APPROVED' AND n.status = 'APPROVED'));
        RETURN NULL;
      END $function$;

CREATE OR REPLACE FUNCTION stats_on_disbursement_insert()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      DECLARE ids bigint[] := ARRAY(SELECT id FROM new_rows);
      BEGIN PERFORM stats_record_change('stats_disbursed_facts', ids, NULL); RETURN NULL; END $function$;

CREATE OR REPLACE FUNCTION stats_fact_is_final()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
      BEGIN RAISE EXCEPTION 'the % row % is counted in the statistics and cannot be changed or deleted', TG_TABLE_NAME,
          OLD.id USING ERRCODE = 'restrict_violation'; END $function$;

CREATE OR REPLACE FUNCTION stats_compact()
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
      DECLARE folded bigint;
      BEGIN
        WITH moved AS (DELETE FROM stats_delta RETURNING *),
        summed AS (
          SELECT grain, stats_grain_day(grain, day) AS day, measure, stats_grain_region(grain, region_code),
              stats_grain_industry(grain, industry_code),
                 institution_id, guarantee_type, lead_days, sum(count) AS count, sum(amount) AS amount, sum(amount_rate)
                     AS amount_rate
          FROM moved CROSS JOIN (VALUES ('D'), ('M'), ('ND'), ('NM'), ('NT')) g(grain) GROUP BY 1, 2, 3, 4, 5, 6, 7, 8),
        written AS (
          INSERT INTO stats_rollup AS s SELECT * FROM summed
          ON CONFLICT (institution_id, guarantee_type, grain, day, measure, region_code, industry_code, lead_days)
          DO UPDATE SET count = s.count + excluded.count, amount = s.amount + excluded.amount, amount_rate =
              s.amount_rate + excluded.amount_rate
          RETURNING 1)
        SELECT count(*) INTO folded FROM moved;
        RETURN folded;
      END $function$;

CREATE OR REPLACE FUNCTION stats_rebuild()
 RETURNS void
 LANGUAGE plpgsql
AS $function$
      BEGIN
        LOCK TABLE stats_rollup, stats_delta IN EXCLUSIVE MODE;
        TRUNCATE stats_rollup, stats_delta;
        INSERT INTO stats_rollup
        SELECT g.grain, stats_grain_day(g.grain, f.day), f.measure, stats_grain_region(g.grain, f.region_code),
            stats_grain_industry(g.grain, f.industry_code),
               f.institution_id, f.guarantee_type, f.lead_days, sum(f.count), sum(f.amount), sum(f.amount_rate)
        FROM (SELECT * FROM stats_registered_facts(NULL, '{}') UNION ALL SELECT * FROM stats_requested_facts(NULL, '{}')
              UNION ALL SELECT * FROM stats_accepted_facts(NULL, '{}') UNION ALL SELECT * FROM stats_granted_facts(NULL,
                  '{}')
              UNION ALL SELECT * FROM stats_first_grant_facts(NULL, '{}') UNION ALL SELECT * FROM
                  stats_disbursed_facts(NULL, '{}')) f
        CROSS JOIN (VALUES ('D'), ('M'), ('ND'), ('NM'), ('NT')) g(grain)
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
      END $function$;

CREATE OR REPLACE TRIGGER stats_application_insert AFTER INSERT ON application
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION stats_on_application_insert();

CREATE OR REPLACE TRIGGER stats_application_update AFTER UPDATE ON application
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION stats_on_application_update();

CREATE OR REPLACE TRIGGER stats_final_application_delete BEFORE DELETE ON application
  FOR EACH ROW
  WHEN (true)
  EXECUTE FUNCTION stats_fact_is_final();

CREATE OR REPLACE TRIGGER stats_final_application_update BEFORE UPDATE OF financing_request_id, loan_product_id,
    institution_id, accepted_at ON application
  FOR EACH ROW
  WHEN (((new.financing_request_id <> old.financing_request_id) OR (new.loan_product_id <> old.loan_product_id) OR
      (new.institution_id <> old.institution_id) OR ((old.accepted_at IS NOT NULL) AND (new.accepted_at IS DISTINCT FROM
      old.accepted_at))))
  EXECUTE FUNCTION stats_fact_is_final();

CREATE OR REPLACE TRIGGER stats_final_credit_grant_delete BEFORE DELETE ON credit_grant
  FOR EACH ROW
  WHEN ((old.status = 'APPROVED'::credit_grant_status))
  EXECUTE FUNCTION stats_fact_is_final();

CREATE OR REPLACE TRIGGER stats_final_credit_grant_update BEFORE UPDATE ON credit_grant
  FOR EACH ROW
  WHEN (((old.status = 'APPROVED'::credit_grant_status) AND ((new.status <> old.status) OR (new.amount <> old.amount) OR
      (new.annual_rate <> old.annual_rate) OR (new.approved_at IS DISTINCT FROM old.approved_at) OR (new.application_id
      <> old.application_id))))
  EXECUTE FUNCTION stats_fact_is_final();

CREATE OR REPLACE TRIGGER stats_grant_insert AFTER INSERT ON credit_grant
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION stats_on_grant_insert();

CREATE OR REPLACE TRIGGER stats_grant_update AFTER UPDATE ON credit_grant
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION stats_on_grant_update();

CREATE OR REPLACE TRIGGER stats_disbursement_insert AFTER INSERT ON disbursement
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION stats_on_disbursement_insert();

CREATE OR REPLACE TRIGGER stats_final_disbursement_delete BEFORE DELETE ON disbursement
  FOR EACH ROW
  WHEN (true)
  EXECUTE FUNCTION stats_fact_is_final();

CREATE OR REPLACE TRIGGER stats_final_disbursement_update BEFORE UPDATE OF credit_grant_id, amount, disbursed_on ON
    disbursement
  FOR EACH ROW
  WHEN (((new.credit_grant_id <> old.credit_grant_id) OR (new.amount <> old.amount) OR (new.disbursed_on <>
      old.disbursed_on)))
  EXECUTE FUNCTION stats_fact_is_final();

CREATE OR REPLACE TRIGGER stats_enterprise_insert AFTER INSERT ON enterprise
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION stats_on_enterprise_insert();

CREATE OR REPLACE TRIGGER stats_final_enterprise_delete BEFORE DELETE ON enterprise
  FOR EACH ROW
  WHEN (true)
  EXECUTE FUNCTION stats_fact_is_final();

CREATE OR REPLACE TRIGGER stats_final_enterprise_update BEFORE UPDATE OF region_code, industry_code, registered_at ON
    enterprise
  FOR EACH ROW
  WHEN (((new.region_code <> old.region_code) OR (new.industry_code <> old.industry_code) OR (new.registered_at <>
      old.registered_at)))
  EXECUTE FUNCTION stats_fact_is_final();

CREATE OR REPLACE TRIGGER stats_final_financing_request_delete BEFORE DELETE ON financing_request
  FOR EACH ROW
  WHEN (true)
  EXECUTE FUNCTION stats_fact_is_final();

CREATE OR REPLACE TRIGGER stats_final_financing_request_update BEFORE UPDATE OF enterprise_id, amount, posted_at,
    acceptable_guarantee_types ON financing_request
  FOR EACH ROW
  WHEN (((new.enterprise_id <> old.enterprise_id) OR (new.amount <> old.amount) OR (new.posted_at <> old.posted_at) OR
      (new.acceptable_guarantee_types <> old.acceptable_guarantee_types)))
  EXECUTE FUNCTION stats_fact_is_final();

CREATE OR REPLACE TRIGGER stats_request_insert AFTER INSERT ON financing_request
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION stats_on_request_insert();
