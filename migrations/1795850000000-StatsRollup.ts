import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The exact analytics rollup (src/analytics/README.md). Statement-level triggers with transition
 * tables append signed facts to stats_delta inside the transaction that changes the rows of
 * record, so the rollup plus the pending deltas always equals the raw rows; stats_compact()
 * folds deltas into stats_rollup at day and month grain, by county and industry and nationally.
 * Every fact function takes a scope
 * (NULL = everything) and rows to leave out, so one definition serves the triggers (after minus
 * before) and the full rebuild.
 */
export class StatsRollup1795850000000 implements MigrationInterface {
  name = 'StatsRollup1795850000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`CREATE TABLE stats_rollup (
      grain varchar(2) NOT NULL CHECK (grain IN ('D', 'M', 'ND', 'NM')),
      day date NOT NULL,
      measure text NOT NULL,
      region_code char(6) NOT NULL,
      industry_code char(3) NOT NULL,
      institution_id bigint NOT NULL,
      guarantee_type text NOT NULL,
      lead_days int NOT NULL,
      count bigint NOT NULL,
      amount numeric NOT NULL,
      amount_rate numeric NOT NULL,
      PRIMARY KEY (institution_id, guarantee_type, grain, day, measure, region_code, industry_code, lead_days))`);
    await q(
      `COMMENT ON TABLE stats_rollup IS 'Exact sums of the analytics facts per day (grain D) and month (M) by county and industry division, and per day (ND) and month (NM) nationally (region 000000, industry 000). institution_id 0 and guarantee_type '''' mean any.'`,
    );
    // Where a fact of a day lands in each grain: its day or month; its county and industry, or the national
    // placeholders.
    await q(`CREATE FUNCTION stats_grain_day(grain text, day date) RETURNS date LANGUAGE sql IMMUTABLE AS
      $$ SELECT CASE WHEN grain IN ('D', 'ND') THEN day ELSE date_trunc('month', day)::date END $$`);
    await q(`CREATE FUNCTION stats_grain_region(grain text, region_code char(6)) RETURNS char(6) LANGUAGE sql IMMUTABLE AS
      $$ SELECT CASE WHEN grain IN ('ND', 'NM') THEN '000000' ELSE region_code END $$`);
    await q(`CREATE FUNCTION stats_grain_industry(grain text, industry_code char(3)) RETURNS char(3) LANGUAGE sql IMMUTABLE AS
      $$ SELECT CASE WHEN grain IN ('ND', 'NM') THEN '000' ELSE industry_code END $$`);
    await q(`CREATE TABLE stats_delta (
      id bigserial PRIMARY KEY,
      day date NOT NULL,
      measure text NOT NULL,
      region_code char(6) NOT NULL,
      industry_code char(3) NOT NULL,
      institution_id bigint NOT NULL,
      guarantee_type text NOT NULL,
      lead_days int NOT NULL,
      count bigint NOT NULL,
      amount numeric NOT NULL,
      amount_rate numeric NOT NULL)`);
    await q(`CREATE INDEX ix_stats_delta_slice ON stats_delta (institution_id, guarantee_type, day)`);
    // Reads are a few short index ranges: starting parallel workers (~10 ms) costs more than the scans.
    await q(`ALTER TABLE stats_rollup SET (parallel_workers = 0)`);
    await q(`ALTER TABLE stats_delta SET (parallel_workers = 0)`);
    await q(`CREATE TYPE stats_fact AS (day date, measure text, region_code char(6), industry_code char(3), institution_id bigint,
      guarantee_type text, lead_days int, count bigint, amount numeric, amount_rate numeric)`);
    await q(
      `CREATE FUNCTION stats_day(at timestamptz) RETURNS date LANGUAGE sql STABLE AS $$ SELECT (at AT TIME ZONE 'Asia/Shanghai')::date $$`,
    );

    // Facts. Each is attributed four ways to (institution, guarantee type): any/any, own/any, any/own, own/own.
    await q(`CREATE FUNCTION stats_registered_facts(enterprises bigint[], excluded bigint[]) RETURNS SETOF stats_fact
      LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan AS $$ BEGIN RETURN QUERY
      SELECT stats_day(e.registered_at), 'registered', e.region_code, e.industry_code, 0::bigint, ''::text, -1, count(*), 0::numeric, 0::numeric
      FROM enterprise e WHERE (enterprises IS NULL OR e.id = ANY(enterprises)) AND e.id NOT IN (SELECT unnest(excluded))
      GROUP BY 1, 3, 4; END $$`);
    // A need counts once in the any-institution slices and once for each institution it applied to.
    await q(`CREATE FUNCTION stats_requested_facts(requests bigint[], excluded bigint[]) RETURNS SETOF stats_fact
      LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan AS $$ BEGIN RETURN QUERY
      SELECT stats_day(r.posted_at), 'requested', e.region_code, e.industry_code, i.institution_id, g.guarantee_type, -1, count(*), sum(r.amount), 0::numeric
      FROM (SELECT r.id, 0::bigint AS institution_id FROM financing_request r WHERE requests IS NULL OR r.id = ANY(requests)
            UNION ALL
            SELECT DISTINCT a.financing_request_id, a.institution_id FROM application a
            WHERE (requests IS NULL OR a.financing_request_id = ANY(requests)) AND a.id NOT IN (SELECT unnest(excluded))) i
      JOIN financing_request r ON r.id = i.id JOIN enterprise e ON e.id = r.enterprise_id
      CROSS JOIN LATERAL (SELECT DISTINCT t FROM unnest(ARRAY[''] || r.acceptable_guarantee_types::text[]) t) g(guarantee_type)
      GROUP BY 1, 3, 4, 5, 6; END $$`);
    // A need counts as accepted once, on its first acceptance within each attribution.
    await q(`CREATE FUNCTION stats_accepted_facts(requests bigint[], excluded bigint[]) RETURNS SETOF stats_fact
      LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan AS $$ BEGIN RETURN QUERY
      SELECT stats_day(f.accepted_at), 'accepted', e.region_code, e.industry_code, f.institution_id, f.guarantee_type, -1, count(*), sum(r.amount), 0::numeric
      FROM (SELECT DISTINCT ON (a.financing_request_id, k.institution_id, k.guarantee_type) a.financing_request_id, a.accepted_at, k.institution_id, k.guarantee_type
            FROM application a JOIN loan_product p ON p.id = a.loan_product_id
            CROSS JOIN LATERAL (VALUES (0::bigint, ''::text), (a.institution_id, ''), (0, p.guarantee_type::text), (a.institution_id, p.guarantee_type::text)) k(institution_id, guarantee_type)
            WHERE a.accepted_at IS NOT NULL AND (requests IS NULL OR a.financing_request_id = ANY(requests)) AND a.id NOT IN (SELECT unnest(excluded))
            ORDER BY a.financing_request_id, k.institution_id, k.guarantee_type, a.accepted_at, a.id) f
      JOIN financing_request r ON r.id = f.financing_request_id JOIN enterprise e ON e.id = r.enterprise_id
      GROUP BY 1, 3, 4, 5, 6; END $$`);
    // Lead days: China calendar days from posting the need to the grant's approval.
    await q(`CREATE FUNCTION stats_granted_facts(grants bigint[], excluded bigint[]) RETURNS SETOF stats_fact
      LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan AS $$ BEGIN RETURN QUERY
      SELECT stats_day(g.approved_at), 'granted', e.region_code, e.industry_code, k.institution_id, k.guarantee_type,
             stats_day(g.approved_at) - stats_day(r.posted_at), count(*), sum(g.amount), sum(g.amount * g.annual_rate)
      FROM credit_grant g JOIN application a ON a.id = g.application_id JOIN loan_product p ON p.id = a.loan_product_id
      JOIN financing_request r ON r.id = g.financing_request_id JOIN enterprise e ON e.id = r.enterprise_id
      CROSS JOIN LATERAL (VALUES (0::bigint, ''::text), (a.institution_id, ''), (0, p.guarantee_type::text), (a.institution_id, p.guarantee_type::text)) k(institution_id, guarantee_type)
      WHERE g.status = 'APPROVED' AND (grants IS NULL OR g.id = ANY(grants)) AND g.id NOT IN (SELECT unnest(excluded))
      GROUP BY 1, 3, 4, 5, 6, 7; END $$`);
    // 首贷户: an enterprise's first approved grant ever, attributed to that grant's institution and guarantee.
    await q(`CREATE FUNCTION stats_first_grant_facts(enterprises bigint[], excluded bigint[]) RETURNS SETOF stats_fact
      LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan AS $$ BEGIN RETURN QUERY
      SELECT stats_day(f.approved_at), 'first_grant', e.region_code, e.industry_code, k.institution_id, k.guarantee_type, -1, count(*), 0::numeric, 0::numeric
      FROM (SELECT DISTINCT ON (r.enterprise_id) r.enterprise_id, g.approved_at, a.institution_id, p.guarantee_type::text AS guarantee_type
            FROM credit_grant g JOIN application a ON a.id = g.application_id JOIN loan_product p ON p.id = a.loan_product_id
            JOIN financing_request r ON r.id = g.financing_request_id
            WHERE g.status = 'APPROVED' AND (enterprises IS NULL OR r.enterprise_id = ANY(enterprises)) AND g.id NOT IN (SELECT unnest(excluded))
            ORDER BY r.enterprise_id, g.approved_at, g.id) f
      JOIN enterprise e ON e.id = f.enterprise_id
      CROSS JOIN LATERAL (VALUES (0::bigint, ''::text), (f.institution_id, ''), (0, f.guarantee_type), (f.institution_id, f.guarantee_type)) k(institution_id, guarantee_type)
      GROUP BY 1, 3, 4, 5, 6; END $$`);
    await q(`CREATE FUNCTION stats_disbursed_facts(disbursements bigint[], excluded bigint[]) RETURNS SETOF stats_fact
      LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan AS $$ BEGIN RETURN QUERY
      SELECT d.disbursed_on, 'disbursed', e.region_code, e.industry_code, k.institution_id, k.guarantee_type, -1, count(*), sum(d.amount), 0::numeric
      FROM disbursement d JOIN credit_grant g ON g.id = d.credit_grant_id JOIN application a ON a.id = g.application_id
      JOIN loan_product p ON p.id = a.loan_product_id JOIN financing_request r ON r.id = g.financing_request_id JOIN enterprise e ON e.id = r.enterprise_id
      CROSS JOIN LATERAL (VALUES (0::bigint, ''::text), (a.institution_id, ''), (0, p.guarantee_type::text), (a.institution_id, p.guarantee_type::text)) k(institution_id, guarantee_type)
      WHERE (disbursements IS NULL OR d.id = ANY(disbursements)) AND d.id NOT IN (SELECT unnest(excluded))
      GROUP BY 1, 3, 4, 5, 6; END $$`);

    // The change a statement made to one kind of fact: the facts of the scope now, minus the facts
    // of the scope without the changed rows (what they were before); changed NULL: all new.
    await q(`CREATE FUNCTION stats_record_change(facts text, scope bigint[], changed bigint[]) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        IF cardinality(scope) = 0 THEN RETURN; END IF;
        IF changed IS NULL THEN
          EXECUTE format($sql$INSERT INTO stats_delta (day, measure, region_code, industry_code, institution_id, guarantee_type, lead_days, count, amount, amount_rate)
            SELECT * FROM %I($1, '{}')$sql$, facts) USING scope;
          RETURN;
        END IF;
        EXECUTE format($sql$
          INSERT INTO stats_delta (day, measure, region_code, industry_code, institution_id, guarantee_type, lead_days, count, amount, amount_rate)
          SELECT day, measure, region_code, industry_code, institution_id, guarantee_type, lead_days, sum(count), sum(amount), sum(amount_rate)
          FROM (SELECT * FROM %1$I($1, '{}')
                UNION ALL
                SELECT day, measure, region_code, industry_code, institution_id, guarantee_type, lead_days, -count, -amount, -amount_rate FROM %1$I($1, $2)) f
          GROUP BY 1, 2, 3, 4, 5, 6, 7
          HAVING sum(count) <> 0 OR sum(amount) <> 0 OR sum(amount_rate) <> 0 $sql$, facts) USING scope, changed;
      END $$`);
    // "First" facts depend on rows other transactions may be adding at the same moment; per-scope
    // advisory locks make those statements take turns, so each sees the other's committed rows.
    // A bulk statement takes one lock for the whole namespace instead of thousands.
    await q(`CREATE FUNCTION stats_lock(namespace int, keys bigint[]) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        IF cardinality(keys) > 1000 THEN
          PERFORM pg_advisory_xact_lock((namespace::bigint << 48));
        ELSE
          PERFORM pg_advisory_xact_lock_shared((namespace::bigint << 48));
          PERFORM pg_advisory_xact_lock((namespace::bigint << 48) + k) FROM (SELECT DISTINCT unnest(keys) AS k ORDER BY 1) s;
        END IF;
      END $$`);

    // Triggers: one per table and event (transition tables allow a single event each).
    await q(`CREATE FUNCTION stats_on_enterprise_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE ids bigint[] := ARRAY(SELECT id FROM new_rows);
      BEGIN PERFORM stats_record_change('stats_registered_facts', ids, NULL); RETURN NULL; END $$`);
    await q(
      `CREATE TRIGGER stats_enterprise_insert AFTER INSERT ON enterprise REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_on_enterprise_insert()`,
    );
    await q(`CREATE FUNCTION stats_on_request_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE ids bigint[] := ARRAY(SELECT id FROM new_rows);
      BEGIN PERFORM stats_record_change('stats_requested_facts', ids, NULL); RETURN NULL; END $$`);
    await q(
      `CREATE TRIGGER stats_request_insert AFTER INSERT ON financing_request REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_on_request_insert()`,
    );
    await q(`CREATE FUNCTION stats_on_application_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        requests bigint[] := ARRAY(SELECT DISTINCT financing_request_id FROM new_rows);
        ids bigint[] := ARRAY(SELECT id FROM new_rows);
        accepted bigint[] := ARRAY(SELECT id FROM new_rows WHERE accepted_at IS NOT NULL);
      BEGIN
        PERFORM stats_lock(1, requests);
        PERFORM stats_record_change('stats_requested_facts', requests, ids);
        IF cardinality(accepted) > 0 THEN
          PERFORM stats_record_change('stats_accepted_facts', ARRAY(SELECT DISTINCT financing_request_id FROM new_rows WHERE accepted_at IS NOT NULL), accepted);
        END IF;
        RETURN NULL;
      END $$`);
    await q(
      `CREATE TRIGGER stats_application_insert AFTER INSERT ON application REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_on_application_insert()`,
    );
    await q(`CREATE FUNCTION stats_on_application_update() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        accepted bigint[] := ARRAY(SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE o.accepted_at IS NULL AND n.accepted_at IS NOT NULL);
        requests bigint[];
      BEGIN
        IF cardinality(accepted) = 0 THEN RETURN NULL; END IF;
        requests := ARRAY(SELECT DISTINCT financing_request_id FROM new_rows WHERE id = ANY(accepted));
        PERFORM stats_lock(1, requests);
        PERFORM stats_record_change('stats_accepted_facts', requests, accepted);
        RETURN NULL;
      END $$`);
    await q(
      `CREATE TRIGGER stats_application_update AFTER UPDATE ON application REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_on_application_update()`,
    );
    await q(`CREATE FUNCTION stats_record_grants(approved bigint[]) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE enterprises bigint[];
      BEGIN
        IF cardinality(approved) = 0 THEN RETURN; END IF;
        enterprises := ARRAY(SELECT DISTINCT r.enterprise_id FROM credit_grant g JOIN financing_request r ON r.id = g.financing_request_id WHERE g.id = ANY(approved));
        PERFORM stats_record_change('stats_granted_facts', approved, NULL);
        PERFORM stats_lock(2, enterprises);
        PERFORM stats_record_change('stats_first_grant_facts', enterprises, approved);
      END $$`);
    await q(`CREATE FUNCTION stats_on_grant_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM stats_record_grants(ARRAY(SELECT id FROM new_rows WHERE status = 'APPROVED')); RETURN NULL; END $$`);
    await q(
      `CREATE TRIGGER stats_grant_insert AFTER INSERT ON credit_grant REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_on_grant_insert()`,
    );
    await q(`CREATE FUNCTION stats_on_grant_update() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM stats_record_grants(ARRAY(SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE o.status <> 'APPROVED' AND n.status = 'APPROVED'));
        RETURN NULL;
      END $$`);
    await q(
      `CREATE TRIGGER stats_grant_update AFTER UPDATE ON credit_grant REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_on_grant_update()`,
    );
    await q(`CREATE FUNCTION stats_on_disbursement_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE ids bigint[] := ARRAY(SELECT id FROM new_rows);
      BEGIN PERFORM stats_record_change('stats_disbursed_facts', ids, NULL); RETURN NULL; END $$`);
    await q(
      `CREATE TRIGGER stats_disbursement_insert AFTER INSERT ON disbursement REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_on_disbursement_insert()`,
    );

    // The triggers count additions only; the facts they count never change or disappear afterwards.
    await q(`CREATE FUNCTION stats_fact_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'the % row % is counted in the statistics and cannot be changed or deleted', TG_TABLE_NAME, OLD.id USING ERRCODE = 'restrict_violation'; END $$`);
    const guards: Array<[string, string, string]> = [
      [
        'enterprise',
        'UPDATE OF region_code, industry_code, registered_at',
        'NEW.region_code <> OLD.region_code OR NEW.industry_code <> OLD.industry_code OR NEW.registered_at <> OLD.registered_at',
      ],
      ['enterprise', 'DELETE', 'true'],
      [
        'financing_request',
        'UPDATE OF enterprise_id, amount, posted_at, acceptable_guarantee_types',
        'NEW.enterprise_id <> OLD.enterprise_id OR NEW.amount <> OLD.amount OR NEW.posted_at <> OLD.posted_at OR NEW.acceptable_guarantee_types <> OLD.acceptable_guarantee_types',
      ],
      ['financing_request', 'DELETE', 'true'],
      [
        'application',
        'UPDATE OF financing_request_id, loan_product_id, institution_id, accepted_at',
        'NEW.financing_request_id <> OLD.financing_request_id OR NEW.loan_product_id <> OLD.loan_product_id OR NEW.institution_id <> OLD.institution_id OR (OLD.accepted_at IS NOT NULL AND NEW.accepted_at IS DISTINCT FROM OLD.accepted_at)',
      ],
      ['application', 'DELETE', 'true'],
      [
        'credit_grant',
        'UPDATE',
        "OLD.status = 'APPROVED' AND (NEW.status <> OLD.status OR NEW.amount <> OLD.amount OR NEW.annual_rate <> OLD.annual_rate OR NEW.approved_at IS DISTINCT FROM OLD.approved_at OR NEW.application_id <> OLD.application_id)",
      ],
      ['credit_grant', 'DELETE', "OLD.status = 'APPROVED'"],
      [
        'disbursement',
        'UPDATE OF credit_grant_id, amount, disbursed_on',
        'NEW.credit_grant_id <> OLD.credit_grant_id OR NEW.amount <> OLD.amount OR NEW.disbursed_on <> OLD.disbursed_on',
      ],
      ['disbursement', 'DELETE', 'true'],
    ];
    for (const [table, event, when] of guards) {
      await q(
        `CREATE TRIGGER stats_final_${table}_${event.split(' ')[0].toLowerCase()} BEFORE ${event} ON ${table} FOR EACH ROW WHEN (${when}) EXECUTE FUNCTION stats_fact_is_final()`,
      );
    }

    // Folding the pending deltas into every grain; one statement, so readers see before or after.
    await q(`CREATE FUNCTION stats_compact() RETURNS bigint LANGUAGE plpgsql AS $$
      DECLARE folded bigint;
      BEGIN
        WITH moved AS (DELETE FROM stats_delta RETURNING *),
        summed AS (
          SELECT grain, stats_grain_day(grain, day) AS day, measure, stats_grain_region(grain, region_code), stats_grain_industry(grain, industry_code),
                 institution_id, guarantee_type, lead_days, sum(count) AS count, sum(amount) AS amount, sum(amount_rate) AS amount_rate
          FROM moved CROSS JOIN (VALUES ('D'), ('M'), ('ND'), ('NM')) g(grain) GROUP BY 1, 2, 3, 4, 5, 6, 7, 8),
        written AS (
          INSERT INTO stats_rollup AS s SELECT * FROM summed
          ON CONFLICT (institution_id, guarantee_type, grain, day, measure, region_code, industry_code, lead_days)
          DO UPDATE SET count = s.count + excluded.count, amount = s.amount + excluded.amount, amount_rate = s.amount_rate + excluded.amount_rate
          RETURNING 1)
        SELECT count(*) INTO folded FROM moved;
        RETURN folded;
      END $$`);
    // From scratch: after a bulk load with triggers off (session_replication_role = replica), or to check the rollup.
    await q(`CREATE FUNCTION stats_rebuild() RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        LOCK TABLE stats_rollup, stats_delta IN EXCLUSIVE MODE;
        TRUNCATE stats_rollup, stats_delta;
        INSERT INTO stats_rollup
        SELECT g.grain, stats_grain_day(g.grain, f.day), f.measure, stats_grain_region(g.grain, f.region_code), stats_grain_industry(g.grain, f.industry_code),
               f.institution_id, f.guarantee_type, f.lead_days, sum(f.count), sum(f.amount), sum(f.amount_rate)
        FROM (SELECT * FROM stats_registered_facts(NULL, '{}') UNION ALL SELECT * FROM stats_requested_facts(NULL, '{}')
              UNION ALL SELECT * FROM stats_accepted_facts(NULL, '{}') UNION ALL SELECT * FROM stats_granted_facts(NULL, '{}')
              UNION ALL SELECT * FROM stats_first_grant_facts(NULL, '{}') UNION ALL SELECT * FROM stats_disbursed_facts(NULL, '{}')) f
        CROSS JOIN (VALUES ('D'), ('M'), ('ND'), ('NM')) g(grain)
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
      END $$`);
    await q(`SELECT stats_rebuild()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    for (const [table, events] of Object.entries({
      enterprise: ['insert', 'update', 'delete'],
      financing_request: ['insert', 'update', 'delete'],
      application: ['insert', 'update', 'delete'],
      credit_grant: ['insert', 'update', 'delete'],
      disbursement: ['insert', 'update', 'delete'],
    })) {
      for (const event of events) await q(`DROP TRIGGER IF EXISTS stats_final_${table}_${event} ON ${table}`);
    }
    await q(`DROP TRIGGER stats_enterprise_insert ON enterprise`);
    await q(`DROP TRIGGER stats_request_insert ON financing_request`);
    await q(`DROP TRIGGER stats_application_insert ON application`);
    await q(`DROP TRIGGER stats_application_update ON application`);
    await q(`DROP TRIGGER stats_grant_insert ON credit_grant`);
    await q(`DROP TRIGGER stats_grant_update ON credit_grant`);
    await q(`DROP TRIGGER stats_disbursement_insert ON disbursement`);
    for (const fn of [
      'stats_rebuild()',
      'stats_compact()',
      'stats_fact_is_final()',
      'stats_on_disbursement_insert()',
      'stats_on_grant_update()',
      'stats_on_grant_insert()',
      'stats_record_grants(bigint[])',
      'stats_on_application_update()',
      'stats_on_application_insert()',
      'stats_on_request_insert()',
      'stats_on_enterprise_insert()',
      'stats_lock(int, bigint[])',
      'stats_record_change(text, bigint[], bigint[])',
      'stats_disbursed_facts(bigint[], bigint[])',
      'stats_first_grant_facts(bigint[], bigint[])',
      'stats_granted_facts(bigint[], bigint[])',
      'stats_accepted_facts(bigint[], bigint[])',
      'stats_requested_facts(bigint[], bigint[])',
      'stats_registered_facts(bigint[], bigint[])',
      'stats_day(timestamptz)',
      'stats_grain_day(text, date)',
      'stats_grain_region(text, char)',
      'stats_grain_industry(text, char)',
    ]) {
      await q(`DROP FUNCTION ${fn}`);
    }
    await q(`DROP TYPE stats_fact`);
    await q(`DROP TABLE stats_delta`);
    await q(`DROP TABLE stats_rollup`);
  }
}
