-- Match keys (src/matching/README.md): the keys a product and a request share when the product may
-- fit the request, indexed on both sides so that forward and reverse matching read candidates by key.
--
-- The current definition of each function and trigger: change it here, then add a migration that calls
-- applySqlDefinitions() (src/common/database/sql-definitions.ts). A test checks the database against this file.

CREATE OR REPLACE FUNCTION loan_term_band(months integer)
 RETURNS integer
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ SELECT width_bucket(months, ARRAY[7, 13, 25, 37, 61, 121]) $function$;

CREATE OR REPLACE FUNCTION loan_product_match_keys(regions character varying[], industries character varying[],
    guarantee guarantee_type, min_term integer, max_term integer)
 RETURNS text[]
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
        SELECT array_agg(region || '|' || industry || '|' || guarantee::text || '|' || band)
        FROM unnest(CASE WHEN cardinality(regions) = 0 THEN '{*}'::varchar[] ELSE regions END) AS region,
             unnest(CASE WHEN cardinality(industries) = 0 THEN '{*}'::varchar[] ELSE industries END) AS industry,
             generate_series(public.loan_term_band(min_term), public.loan_term_band(max_term)) AS band
      $function$;

CREATE OR REPLACE FUNCTION loan_product_grade_rates_in_range(grade_rates jsonb, min_rate numeric, max_rate numeric)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
        SELECT coalesce(bool_and(value::numeric BETWEEN min_rate AND max_rate), true) FROM jsonb_each_text(grade_rates)
      $function$;

CREATE OR REPLACE FUNCTION financing_request_match_keys(region character, industry character, guarantees character
    varying[], term_months integer)
 RETURNS text[]
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
        SELECT array_agg(r || '|' || i || '|' || g || '|' || public.loan_term_band(term_months))
        FROM unnest(ARRAY['*', region, left(region, 4) || '00', left(region, 2) || '0000']) AS r,
             unnest(ARRAY['*', left(industry, 1), industry]) AS i,
             unnest(guarantees) AS g
      $function$;
