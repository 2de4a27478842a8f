import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A national all-time grain (NT) in stats_rollup: one row per institution × guarantee type ×
 * measure × lead days, day '-infinity'. Unfiltered platform totals — the question dashboards
 * poll — read these few rows instead of every national month. Compaction and rebuild fold into
 * it like the other grains; the rows are filled from the month grain once, here.
 */
export class StatsAllTimeGrain1795857000000 implements MigrationInterface {
  name = 'StatsAllTimeGrain1795857000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await this.defineGrains(queryRunner, ['D', 'M', 'ND', 'NM', 'NT']);
    // Compaction waits: the month rows copied here and the all-time rows must hold the same deltas.
    await queryRunner.query(`LOCK TABLE stats_rollup, stats_delta IN EXCLUSIVE MODE`);
    await queryRunner.query(`INSERT INTO stats_rollup
      SELECT 'NT', '-infinity'::date, measure, region_code, industry_code, institution_id, guarantee_type, lead_days, sum(count), sum(amount), sum(amount_rate)
      FROM stats_rollup WHERE grain = 'NM' GROUP BY measure, region_code, industry_code, institution_id, guarantee_type, lead_days`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM stats_rollup WHERE grain = 'NT'`);
    await this.defineGrains(queryRunner, ['D', 'M', 'ND', 'NM']);
  }

  /** The grain constraint, where a fact lands in each grain, and the two functions that fold facts into every grain. */
  private async defineGrains(queryRunner: QueryRunner, grains: string[]): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    const list = grains.map((grain) => `'${grain}'`).join(', ');
    const values = grains.map((grain) => `('${grain}')`).join(', ');
    await q(`ALTER TABLE stats_rollup DROP CONSTRAINT stats_rollup_grain_check`);
    await q(`ALTER TABLE stats_rollup ADD CONSTRAINT stats_rollup_grain_check CHECK (grain IN (${list}))`);
    await q(
      `COMMENT ON TABLE stats_rollup IS 'Exact sums of the analytics facts per day (grain D) and month (M) by county and industry division, per day (ND) and month (NM) nationally (region 000000, industry 000)${grains.includes('NT') ? ', and nationally for all time (NT, day -infinity)' : ''}. institution_id 0 and guarantee_type '''' mean any.'`,
    );
    await q(`CREATE OR REPLACE FUNCTION stats_grain_day(grain text, day date) RETURNS date LANGUAGE sql IMMUTABLE AS
      $$ SELECT CASE WHEN grain IN ('D', 'ND') THEN day WHEN grain = 'NT' THEN '-infinity'::date ELSE date_trunc('month', day)::date END $$`);
    await q(`CREATE OR REPLACE FUNCTION stats_grain_region(grain text, region_code char(6)) RETURNS char(6) LANGUAGE sql IMMUTABLE AS
      $$ SELECT CASE WHEN grain IN ('ND', 'NM', 'NT') THEN '000000' ELSE region_code END $$`);
    await q(`CREATE OR REPLACE FUNCTION stats_grain_industry(grain text, industry_code char(3)) RETURNS char(3) LANGUAGE sql IMMUTABLE AS
      $$ SELECT CASE WHEN grain IN ('ND', 'NM', 'NT') THEN '000' ELSE industry_code END $$`);
    // As in StatsRollup, with the grains above.
    await q(`CREATE OR REPLACE FUNCTION stats_compact() RETURNS bigint LANGUAGE plpgsql AS $$
      DECLARE folded bigint;
      BEGIN
        WITH moved AS (DELETE FROM stats_delta RETURNING *),
        summed AS (
          SELECT grain, stats_grain_day(grain, day) AS day, measure, stats_grain_region(grain, region_code), stats_grain_industry(grain, industry_code),
                 institution_id, guarantee_type, lead_days, sum(count) AS count, sum(amount) AS amount, sum(amount_rate) AS amount_rate
          FROM moved CROSS JOIN (VALUES ${values}) g(grain) GROUP BY 1, 2, 3, 4, 5, 6, 7, 8),
        written AS (
          INSERT INTO stats_rollup AS s SELECT * FROM summed
          ON CONFLICT (institution_id, guarantee_type, grain, day, measure, region_code, industry_code, lead_days)
          DO UPDATE SET count = s.count + excluded.count, amount = s.amount + excluded.amount, amount_rate = s.amount_rate + excluded.amount_rate
          RETURNING 1)
        SELECT count(*) INTO folded FROM moved;
        RETURN folded;
      END $$`);
    await q(`CREATE OR REPLACE FUNCTION stats_rebuild() RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        LOCK TABLE stats_rollup, stats_delta IN EXCLUSIVE MODE;
        TRUNCATE stats_rollup, stats_delta;
        INSERT INTO stats_rollup
        SELECT g.grain, stats_grain_day(g.grain, f.day), f.measure, stats_grain_region(g.grain, f.region_code), stats_grain_industry(g.grain, f.industry_code),
               f.institution_id, f.guarantee_type, f.lead_days, sum(f.count), sum(f.amount), sum(f.amount_rate)
        FROM (SELECT * FROM stats_registered_facts(NULL, '{}') UNION ALL SELECT * FROM stats_requested_facts(NULL, '{}')
              UNION ALL SELECT * FROM stats_accepted_facts(NULL, '{}') UNION ALL SELECT * FROM stats_granted_facts(NULL, '{}')
              UNION ALL SELECT * FROM stats_first_grant_facts(NULL, '{}') UNION ALL SELECT * FROM stats_disbursed_facts(NULL, '{}')) f
        CROSS JOIN (VALUES ${values}) g(grain)
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
      END $$`);
  }
}
