import { DataSource, EntityManager } from 'typeorm';
import { Actor } from '../common/actor';
import { ForbiddenError, NotFoundError } from '../common/errors';
import { money, rate } from '../common/decimal';
import { Keyset, keysetSql, PageRequest, pageShape, positionalBinder } from '../common/pagination';
import { regionName } from '../common/reference/regions';
import { LoanProduct } from '../product/loan-product.entity';
import {
  CRITERIA_SQL,
  ELIGIBLE_SQL,
  KEYED_ELIGIBLE_SQL,
  MATCH_DEPTH,
  MATCH_SCORE_SQL,
  MATCHING_MODEL_VERSION,
  QUOTED_RATE_SQL,
  REASONS_SQL,
  REQUEST_MATCH_KEYS_SQL,
  requestFactsSql,
  REVERSE_KEYED_ELIGIBLE_SQL,
  YEARS_IN_BUSINESS_SQL,
} from './matching-model';
import { chinaToday, Clock, systemClock } from '../common/clock';
import { MatchingJobKind } from './matching-job.entity';
import { OPEN_REQUEST_STATUSES_SQL } from '../financing/financing-request.entity';
import { preparedQuery, preparedQueryIn } from '../common/database/prepared';
import { withTransaction } from '../common/database/transaction';
import { emitSql } from '../notifications/outbox';
import { groupedBy } from '../common/loaders';
import type { RetentionTarget } from '../common/retention';

export interface RankedMatch {
  financingRequestId: string;
  loanProductId: string;
  matchScore: string;
  quotedRate: string;
  reasons: Record<string, unknown>;
}

/** The requests that fit a product, best first: by score, then the request's ID. */
export const REVERSE_MATCH_KEYSET: Keyset = { name: 'ReverseMatch', keys: ['decimal', 'id'] };

export interface FailedCriterion {
  criterion: string;
  message: string;
  /** What would make it pass, e.g. "a term of at most 12 months". */
  wouldPassWith: string | null;
}

export interface ProductFit {
  financingRequestId: string;
  loanProductId: string;
  eligible: boolean;
  quotedRate: string;
  matchScore: string | null;
  failedCriteria: FailedCriterion[];
}

const criteriaColumns = CRITERIA_SQL.map(([criterion, predicate]) => `(${predicate}) AS "ok_${criterion}"`).join(
  ',\n      ',
);

/** What a fit is built from: the request `req` beside the product `p`. */
const FIT_COLUMNS = `p.id AS product_key, p.id::text AS product_id, req.amount::text AS amount, req.term_months,
      req.guarantees, req.max_rate::text AS max_rate, req.region_code, req.industry_code, req.scale, req.credit_score,
      req.credit_grade, req.years_in_business, req.annual_revenue::text AS annual_revenue, p.status,
      p.min_amount::text AS min_amount, p.max_amount::text AS max_amount, p.min_term_months, p.max_term_months,
      p.guarantee_type, p.eligible_regions, p.eligible_industries, p.eligible_scales, p.min_credit_score,
      p.min_years_in_business, p.min_annual_revenue::text AS min_annual_revenue,
      (${QUOTED_RATE_SQL})::text AS quoted_rate,
      CASE WHEN ${ELIGIBLE_SQL} THEN ${MATCH_SCORE_SQL} END::text AS match_score,
      ${criteriaColumns}`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a raw row of the fit query
type FitRow = Record<string, any>;

/** The published products, or those of them the request `req` fails. */
const publishedFitsSql = (onlyIneligible: boolean) =>
  `p.status = 'PUBLISHED' ${onlyIneligible ? `AND NOT (${ELIGIBLE_SQL})` : ''}`;

function toProductFit(requestId: string, row: FitRow): ProductFit {
  const failedCriteria = CRITERIA_SQL.filter(([criterion]) => !row[`ok_${criterion}`]).map(([criterion]) =>
    explainFailure(criterion, row),
  );
  return {
    financingRequestId: requestId,
    loanProductId: row.product_id,
    eligible: failedCriteria.length === 0,
    quotedRate: row.quoted_rate,
    matchScore: row.match_score,
    failedCriteria,
  };
}

/** Finished jobs (done, or given up with their last error) go MATCHING_JOB_RETENTION_DAYS after they finished. */
export const MATCHING_JOB_RETENTION: RetentionTarget = {
  table: 'matching_job',
  key: ['id'],
  since: 'finished_at',
  done: 'finished_at IS NOT NULL',
};

/**
 * The matching engine: eligibility in one SQL statement over indexed columns, ranking by the
 * versioned model, stored matches, explanations, reverse matching and the refreshes.
 */
export class MatchingService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock = systemClock,
  ) {}

  /** The China date that years in business and `validUntil` are counted to. */
  private today(): string {
    return chinaToday(this.clock);
  }

  /**
   * Recomputes and stores the top matches of the given open requests, in the caller's transaction:
   * one statement ranks all of them (each by the forward match's definition, rankedProductsSql) and
   * writes only what changed, a match whose score, rate or reasons moved updated in place, one no
   * longer ranked deleted. The requests are locked first, in id order (src/lending/lock-order.ts:
   * requests before matches).
   */
  async refreshRequestMatches(manager: EntityManager, requestIds: string[]): Promise<void> {
    if (requestIds.length === 0) return;
    await manager.query(
      `WITH locked AS (SELECT id FROM financing_request WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE)
       UPDATE financing_request r SET matches_refreshed_at = now() FROM locked WHERE r.id = locked.id`,
      [requestIds],
    );
    // The statement's estimated cost grows with the batch and switches JIT compilation on, which
    // costs more than the statement saves from it (EXPLAIN ANALYZE): off for the rest of this transaction.
    if (requestIds.length > 1) await manager.query(`SET LOCAL jit = off`);
    await manager.query(REFRESH_REQUESTS_SQL, [requestIds, MATCHING_MODEL_VERSION, this.today()]);
  }

  /** The best `limit` eligible products for one open request, ranked: the forward-matching query itself. */
  async topMatches(
    requestId: string,
    limit = MATCH_DEPTH,
    manager?: EntityManager,
  ): Promise<Array<{ loan_product_id: string; match_score: string }>> {
    const text = `SELECT id::text AS request_id, loan_product_id::text, match_score::text, quoted_rate::text
      FROM (${forwardMatchSql('$1', limit, '$2::date')}) top`;
    if (manager) return manager.query(text, [requestId, this.today()]);
    return preparedQuery(this.dataSource, `match-forward-${limit}`, text, [requestId, this.today()]);
  }

  /**
   * After a product is published, changed, suspended or retired: drop its stored matches, then,
   * if it is published, rank it into every open request it fits where it beats the request's
   * current last match. Returns how many fitting requests were processed.
   */
  async refreshProductMatches(productId: string, outer?: EntityManager): Promise<number> {
    const inTransaction = <T>(work: (manager: EntityManager) => Promise<T>) =>
      outer ? work(outer) : withTransaction(this.dataSource, work);
    return inTransaction(async (manager) => {
      const [{ previous }] = await preparedQueryIn<{ previous: string[] }>(
        manager,
        'match-product-drop-returning',
        `WITH dropped AS (DELETE FROM product_match WHERE loan_product_id = $1 RETURNING financing_request_id)
         SELECT coalesce(array_agg(financing_request_id), '{}')::bigint[] AS previous FROM dropped`,
        [productId],
      );
      // Prepared: the worker refreshes products one after another, and planning this statement
      // is a large part of its cost for a product that fits few requests.
      const parameters = [productId, MATCHING_MODEL_VERSION, this.today(), previous];
      const name = 'match-product-refresh-announcing';
      const [{ fitting }] = await preparedQueryIn<{ fitting: number }>(manager, name, REFRESH_PRODUCT_SQL, parameters);
      return fitting;
    });
  }

  /** Matches are current when computed and no refresh that could change them is still queued. */
  async matchesAreCurrent(requestIds: readonly string[]): Promise<boolean[]> {
    const rows: Array<{ id: string; current: boolean }> = await this.dataSource.query(
      `SELECT r.id::text, r.matches_refreshed_at IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM matching_job j WHERE j.finished_at IS NULL
                              AND (j.kind = 'PRODUCT_CHANGED' OR (j.kind <> 'PRODUCT_CHANGED'
                                AND j.subject_id = r.enterprise_id))) AS current
       FROM financing_request r WHERE r.id = ANY($1::bigint[])`,
      [[...requestIds]],
    );
    return requestIds.map((id) => Boolean(rows.find((row) => row.id === id)?.current));
  }

  /**
   * How each request fits its product, eligible or not (unpublished too), with every failed
   * criterion and what would make it pass; null where the request or product is missing. One
   * statement for all the pairs. On `manager`: the transaction's inside a mutation (applying
   * checks the fit), the DataSource's for a query.
   */
  async productFitsOf(
    manager: EntityManager,
    pairs: ReadonlyArray<{ requestId: string; productId: string }>,
  ): Promise<Array<ProductFit | null>> {
    const rows: FitRow[] = await manager.query(
      `SELECT k.position::text AS position, ${FIT_COLUMNS}
       FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS k(request_id, product_id, position)
       JOIN (${requestFactsSql('$3::date')} WHERE r.id = ANY($1::bigint[])) req ON req.id = k.request_id
       JOIN loan_product p ON p.id = k.product_id`,
      [pairs.map((pair) => pair.requestId), pairs.map((pair) => pair.productId), this.today()],
    );
    const byPosition = new Map(rows.map((row) => [Number(row.position), row]));
    return pairs.map((pair, index) => {
      const row = byPosition.get(index + 1);
      return row ? toProductFit(pair.requestId, row) : null;
    });
  }

  /**
   * For each request, a page of how it fits the published products (by product ID), eligible or
   * not, or only those it fails, in fetch order: one statement for all the requests (a lateral page
   * each).
   */
  async productFitPages(
    requestIds: readonly string[],
    page: PageRequest,
    onlyIneligible: boolean,
  ): Promise<ProductFit[][]> {
    const params: unknown[] = [[...requestIds], this.today(), page.limit + 1];
    const keyset = keysetSql(page, [{ sql: 'p.id' }], positionalBinder(params));
    const rows: Array<FitRow & { request_id: string }> = await this.dataSource.query(
      `SELECT req.id::text AS request_id, fit.*
       FROM (${requestFactsSql('$2::date')} WHERE r.id = ANY($1::bigint[])) req
       CROSS JOIN LATERAL (
         SELECT ${FIT_COLUMNS}
         FROM loan_product p
         WHERE ${publishedFitsSql(onlyIneligible)} AND ${keyset.where}
         ORDER BY ${keyset.orderBy} LIMIT $3) fit
       ORDER BY req.id, ${keyset.orderBy.replace(/\bp\.id\b/g, 'fit.product_key')}`,
      params,
    );
    const groups = groupedBy(requestIds, rows, (row) => row.request_id);
    return groups.map((group, index) => group.map((row) => toProductFit(requestIds[index], row)));
  }

  /** How many published products each request fits, or fails (for `totalCount`); one statement. */
  async countProductFits(requestIds: readonly string[], onlyIneligible: boolean): Promise<number[]> {
    const rows: Array<{ id: string; n: number }> = await this.dataSource.query(
      `SELECT req.id::text AS id, fits.n
       FROM (${requestFactsSql('$2::date')} WHERE r.id = ANY($1::bigint[])) req
       CROSS JOIN LATERAL (
         SELECT count(*)::int AS n FROM loan_product p
         WHERE ${publishedFitsSql(onlyIneligible)}) fits`,
      [[...requestIds], this.today()],
    );
    const byId = new Map(rows.map((row) => [row.id, row.n]));
    return requestIds.map((id) => byId.get(id) ?? 0);
  }

  /** How many open requests fit each product (for `totalCount`); one statement for all. */
  async countMatchingRequests(productIds: readonly string[]): Promise<number[]> {
    const text = `SELECT target.id::text AS id, fits.n FROM unnest($1::bigint[]) AS target(id)
       CROSS JOIN LATERAL (SELECT count(*)::int AS n FROM ${reverseMatchFrom('$2::date', 'target.id')}) fits`;
    const parameters = [[...productIds], this.today()];
    const name = 'match-reverse-counts';
    const rows = await preparedQuery<{ id: string; n: number }>(this.dataSource, name, text, parameters);
    const byId = new Map(rows.map((row) => [row.id, row.n]));
    return productIds.map((id) => byId.get(id) ?? 0);
  }

  /** Whether the actor may see the requests that fit a product: its own institution, operators, the system. */
  mayReverseMatch(actor: Actor, product: LoanProduct): boolean {
    if (actor.kind === 'INSTITUTION') return product.institutionId === actor.institutionId;
    return actor.kind === 'OPERATOR' || actor.kind === 'SYSTEM';
  }

  /** Reverse matching (for banks): the open requests that fit a product, best first (REVERSE_MATCH_KEYSET). */
  async matchingRequests(
    actor: Actor,
    productId: string,
    page: PageRequest,
  ): Promise<{ rows: Array<RankedMatch & { position: number }> }> {
    const product = await this.dataSource.getRepository(LoanProduct).findOneBy({ id: productId });
    if (!product) throw new NotFoundError('LoanProduct');
    if (!this.mayReverseMatch(actor, product)) {
      throw new ForbiddenError('Only the institution that owns the product sees the requests that fit it');
    }
    const [rows] = await this.matchingRequestPages([productId], page);
    return { rows };
  }

  /**
   * A page of the open requests that fit each product, best first (REVERSE_MATCH_KEYSET), in fetch
   * order: one statement for all the products, each ranked over all its fitting requests, then a
   * keyset page of them (a lateral page per product). Who may see them is the caller's check
   * (`mayReverseMatch`).
   */
  async matchingRequestPages(
    productIds: readonly string[],
    page: PageRequest,
  ): Promise<Array<Array<RankedMatch & { position: number }>>> {
    const params: unknown[] = [[...productIds], page.limit + 1, this.today()];
    const columns = [
      { sql: 'ranked."matchScore"::numeric', descending: true },
      { sql: 'ranked."financingRequestId"::bigint' },
    ];
    const keyset = keysetSql(page, columns, positionalBinder(params));
    // A generic plan is as good as a custom one here: each product's keys are read from its row in
    // either case, and the index scan on them is parameterized by that row. The rank orders the
    // page as the keyset does.
    const rows = await preparedQuery<RankedMatch & { position: number }>(
      this.dataSource,
      `match-reverse-pages-${pageShape(page)}`,
      `SELECT m.* FROM unnest($1::bigint[]) AS target(id)
       CROSS JOIN LATERAL (
         SELECT * FROM (
         SELECT req.financing_request_id::text AS "financingRequestId", p.id::text AS "loanProductId",
                ${MATCH_SCORE_SQL}::text AS "matchScore", ${QUOTED_RATE_SQL}::text AS "quotedRate",
                ${REASONS_SQL} AS reasons,
                row_number() OVER (ORDER BY ${MATCH_SCORE_SQL} DESC, req.financing_request_id ASC)::int AS position
         FROM ${reverseMatchFrom('$3::date', 'target.id')}) ranked
         WHERE ${keyset.where}
         ORDER BY ${keyset.orderBy}
         LIMIT $2) m
       ORDER BY target.id, m.position ${page.backward ? 'DESC' : 'ASC'}`,
      params,
    );
    return groupedBy(productIds, rows, (row) => row.loanProductId);
  }

  /** Queue a refresh that must not run inside the caller's mutation. */
  async enqueue(manager: EntityManager, kind: MatchingJobKind, subjectIds: string[]): Promise<void> {
    if (subjectIds.length === 0) return;
    await manager.query(`INSERT INTO matching_job (kind, subject_id) SELECT $1, unnest($2::bigint[])`, [
      kind,
      subjectIds,
    ]);
  }

  /**
   * Works queued jobs until none is left (or `limit` were done). Jobs are taken with
   * FOR UPDATE SKIP LOCKED, so several workers may run; duplicates of a job are folded into it.
   * Jobs of one kind are taken together (JOBS_PER_TRANSACTION): score changes are re-matched in
   * one set-based refresh (a bulk credit import queues one per rescored enterprise), product
   * changes one product after another in one transaction. While more than one batch is left, up to
   * BATCHES_IN_FLIGHT batches are worked at once, each in its own transaction.
   */
  async workQueuedJobs(limit = 100, stopping: () => boolean = () => false): Promise<number> {
    let reserved = 0;
    let done = 0;
    const work = async () => {
      while (reserved < limit && !stopping()) {
        // A batch's share of the limit is claimed before its jobs are taken, so that batches in
        // flight together never take more than `limit` jobs.
        const quota = Math.min(limit - reserved, MAX_JOBS_PER_TRANSACTION);
        reserved += quota;
        const taken = await this.workBatch(quota);
        reserved -= quota - taken;
        done += taken;
        if (taken === 0) break;
      }
    };
    await Promise.all(Array.from({ length: BATCHES_IN_FLIGHT }, work));
    return done;
  }

  /** Takes up to `quota` queued jobs of one kind and works them in one transaction; returns how many were taken. */
  private workBatch(quota: number): Promise<number> {
    return withTransaction(this.dataSource, async (manager) => {
      const [next]: QueuedJob[] = await manager.query(
        `SELECT id::text, kind, subject_id::text FROM matching_job WHERE finished_at IS NULL ORDER BY id
          LIMIT 1 FOR UPDATE SKIP LOCKED`,
      );
      if (!next) return 0;
      const batch: QueuedJob[] = [next];
      const size = Math.min(JOBS_PER_TRANSACTION[next.kind], quota);
      if (size > 1) {
        batch.push(
          ...(await manager.query(
            `SELECT id::text, kind, subject_id::text FROM matching_job WHERE finished_at IS NULL AND kind = $1
              AND id > $2
             ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED`,
            [next.kind, next.id, size - 1],
          )),
        );
      }
      // A failing job must not poison the transaction that records its failure, nor the jobs
      // batched with it. Products are refreshed one statement each, so each runs under its own
      // savepoint and a failure is recorded for its job alone; a failed batch of score changes
      // (one statement for all) is tried again as its first job alone.
      if (next.kind === MatchingJobKind.PRODUCT_CHANGED) {
        const firstOfEachProduct = [...new Map(batch.map((job) => [job.subject_id, job])).values()];
        for (const job of firstOfEachProduct) await this.runJobs(manager, [job]);
        return batch.length;
      }
      if (batch.length > 1 && (await this.runJobs(manager, batch))) return batch.length;
      await this.runJobs(manager, [next]);
      return 1;
    });
  }

  /**
   * Runs jobs of one kind (product changes: one) under a savepoint; records the first job's failure. Returns whether
   * they ran.
   */
  private async runJobs(manager: EntityManager, jobs: QueuedJob[]): Promise<boolean> {
    const [first] = jobs;
    const subjects = [...new Set(jobs.map((job) => job.subject_id))];
    await manager.query('SAVEPOINT matching_job');
    try {
      // Duplicates committed by now are folded in (the refresh below sees what they changed); one
      // committed later may carry a change the refresh did not see, so it stays queued.
      const folded: Array<{ id: string }> = await manager.query(
        `SELECT id::text FROM matching_job WHERE finished_at IS NULL AND kind = $1
          AND subject_id = ANY($2::bigint[]) FOR UPDATE SKIP LOCKED`,
        [first.kind, subjects],
      );
      if (first.kind === MatchingJobKind.PRODUCT_CHANGED) await this.refreshProductMatches(first.subject_id, manager);
      else await this.refreshEnterpriseMatches(manager, subjects);
      await manager.query(
        `UPDATE matching_job SET finished_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])`,
        [folded.map((job) => job.id)],
      );
      await manager.query('RELEASE SAVEPOINT matching_job');
      return true;
    } catch (error) {
      await manager.query('ROLLBACK TO SAVEPOINT matching_job');
      if (jobs.length > 1) return false;
      await manager.query(`UPDATE matching_job SET attempts = attempts + 1, last_error = $2 WHERE id = $1`, [
        first.id,
        String(error instanceof Error ? error.message : error).slice(0, 500),
      ]);
      if (
        Number((await manager.query(`SELECT attempts FROM matching_job WHERE id = $1`, [first.id]))[0].attempts) >= 5
      ) {
        await manager.query(`UPDATE matching_job SET finished_at = now() WHERE id = $1`, [first.id]);
      }
      return false;
    }
  }

  private async refreshEnterpriseMatches(manager: EntityManager, enterpriseIds: string[]): Promise<void> {
    // A need past its validUntil, not yet swept, keeps the matches it expires with (financing README).
    const requests: Array<{ id: string }> = await manager.query(
      `SELECT financing_request_id::text AS id FROM matchable_request
       WHERE enterprise_id = ANY($1::bigint[]) AND valid_until >= $2::date`,
      [enterpriseIds, this.today()],
    );
    await this.refreshRequestMatches(
      manager,
      requests.map((row) => row.id),
    );
  }
}

interface QueuedJob {
  id: string;
  kind: MatchingJobKind;
  subject_id: string;
}

/** Jobs of one kind worked together in one transaction (one commit for them all). */
const JOBS_PER_TRANSACTION: Readonly<Record<MatchingJobKind, number>> = {
  [MatchingJobKind.SCORE_CHANGED]: 200,
  [MatchingJobKind.YEARS_IN_BUSINESS_CHANGED]: 200,
  // Each product is its own statement, and a product open to the whole country fits many requests: fewer.
  [MatchingJobKind.PRODUCT_CHANGED]: 20,
};
const MAX_JOBS_PER_TRANSACTION = Math.max(...Object.values(JOBS_PER_TRANSACTION));

/**
 * Batches worked at once by one worker, each on its own connection: a batch is one statement that
 * keeps one database core busy, and this machine class has two. Batches lock their requests in id
 * order, so two batches that share a request wait for each other rather than deadlock.
 */
const BATCHES_IN_FLIGHT = 2;

/**
 * The one definition of a request's matches: the eligible products of the request row `req` (a FROM
 * item shaped like requestFactsSql, with its match keys), best first, at most `limit`.
 */
function rankedProductsSql(req: string, limit: number): string {
  return `
    SELECT req.id, p.id AS loan_product_id, ${MATCH_SCORE_SQL} AS match_score, ${QUOTED_RATE_SQL} AS quoted_rate,
           ${REASONS_SQL} AS reasons
    FROM ${req}
    CROSS JOIN loan_product p
    WHERE ${KEYED_ELIGIBLE_SQL}
    ORDER BY 3 DESC, 4 ASC, p.id ASC
    LIMIT ${limit}`;
}

/** The open requests of `facts` (shaped like requestFactsSql) not past their validUntil on `today`, with their keys. */
const openWithKeys = (facts: string, today: string) => `SELECT facts.*, ${REQUEST_MATCH_KEYS_SQL} AS match_keys
  FROM (${facts} AND r.status IN ${OPEN_REQUEST_STATUSES_SQL} AND r.valid_until >= ${today}) facts`;

/**
 * Eligible products of one open request not past its validUntil (`requestId` and `today`, the China
 * date, are SQL expressions), best first.
 */
function forwardMatchSql(requestId: string, limit: number, today: string): string {
  const facts = `${requestFactsSql(today)} WHERE r.id = ${requestId}`;
  return rankedProductsSql(`(${openWithKeys(facts, today)} OFFSET 0) req`, limit);
}

/**
 * Re-ranks the open requests `$1` (bigint[]) on `$3` (the China date) and writes each one's top
 * MATCH_DEPTH with model version `$2`: a match ranked again is updated only where its score, rate or
 * reasons moved, one no longer ranked is deleted, a new one is inserted and announced (REQUEST_MATCHED).
 * The ranking runs per request (LATERAL) on the forward match's definition; the subqueries on
 * product_match read it as before the statement, so "new" means not stored before this refresh.
 * Stored matches are updated in place (UPDATE … FROM) and only new ones go through the upsert: an
 * upsert locks every conflicting row it meets, a write of its own even where nothing changed. The
 * upsert stays for a row another transaction inserted since (a product's refresh).
 */
const REFRESH_REQUESTS_SQL = `
  WITH target AS (${openWithKeys(`${requestFactsSql('$3::date')} WHERE r.id = ANY($1::bigint[])`, '$3::date')}),
  ranked AS (
    SELECT top.* FROM target CROSS JOIN LATERAL (${rankedProductsSql('(SELECT target.*) req', MATCH_DEPTH)}) top
  ), moved AS (
    UPDATE product_match m
      SET match_score = ranked.match_score, quoted_rate = ranked.quoted_rate, reasons = ranked.reasons,
          model_version = $2
    FROM ranked
    WHERE m.financing_request_id = ranked.id AND m.loan_product_id = ranked.loan_product_id
      AND (m.match_score, m.quoted_rate, m.reasons, m.model_version)
        IS DISTINCT FROM (ranked.match_score, ranked.quoted_rate, ranked.reasons, $2)
  ), written AS (
    INSERT INTO product_match AS m
      (financing_request_id, loan_product_id, match_score, quoted_rate, reasons, model_version)
    SELECT id, loan_product_id, match_score, quoted_rate, reasons, $2 FROM ranked
    WHERE NOT EXISTS (SELECT 1 FROM product_match m
                      WHERE m.financing_request_id = ranked.id AND m.loan_product_id = ranked.loan_product_id)
    ON CONFLICT (financing_request_id, loan_product_id) DO UPDATE
      SET match_score = excluded.match_score, quoted_rate = excluded.quoted_rate, reasons = excluded.reasons,
          model_version = excluded.model_version
      WHERE (m.match_score, m.quoted_rate, m.reasons, m.model_version)
        IS DISTINCT FROM (excluded.match_score, excluded.quoted_rate, excluded.reasons, excluded.model_version)
    RETURNING m.financing_request_id, m.loan_product_id
  ), fresh AS (
    SELECT w.financing_request_id, w.loan_product_id, p.institution_id
    FROM written w JOIN loan_product p ON p.id = w.loan_product_id
  ), dropped AS (
    DELETE FROM product_match m WHERE m.financing_request_id = ANY($1::bigint[])
      AND NOT EXISTS (SELECT 1 FROM ranked
                      WHERE ranked.id = m.financing_request_id AND ranked.loan_product_id = m.loan_product_id)
  )
  ${newMatchEventsSql('fresh')}`;

/** `matchable_request` rows shaped like requestFactsSql(today), for reverse matching. */
const matchableAsReq = (today: string) => `
  SELECT m.financing_request_id, m.financing_request_id AS id, m.enterprise_id, m.amount, m.term_months,
         m.acceptable_guarantee_types AS guarantees, m.max_rate, m.valid_until, m.region_code, m.prefecture_code,
         m.province_code, m.industry_code, m.scale, m.annual_revenue, m.established_on, ${today} AS today,
         ${YEARS_IN_BUSINESS_SQL('m.established_on', today)},
         m.credit_score, m.credit_grade, m.dishonest_debtor
  FROM matchable_request m`;

/**
 * The open requests not past their validUntil on `today` (the China date, a SQL expression) that fit
 * the product whose ID is `product` (a SQL expression), as `req` beside the product `p`: looked up by
 * the product's match keys (`ix_matchable_request_match_keys`), then checked against every other
 * criterion.
 */
const reverseMatchFrom = (today: string, product: string) => `(${matchableAsReq(today)}) req
  CROSS JOIN loan_product p
  WHERE p.id = ${product} AND req.valid_until >= req.today AND ${REVERSE_KEYED_ELIGIBLE_SQL}`;

/** REQUEST_MATCHED for each row of `from` (financing_request_id, loan_product_id, institution_id). */
function newMatchEventsSql(from: string): string {
  return emitSql({
    type: 'REQUEST_MATCHED',
    from,
    institutionId: 'institution_id',
    platform: false,
    payload: {
      financingRequestId: ['FinancingRequest', 'financing_request_id'],
      loanProductId: ['LoanProduct', 'loan_product_id'],
    },
  });
}

/**
 * Ranks product `$1` into each open request it fits where it beats the request's last kept match,
 * and pushes that last match out where the request already kept MATCH_DEPTH. A product that is
 * not published fits nothing (the PUBLISHED criterion). One statement; returns `fitting`.
 */
const REFRESH_PRODUCT_SQL = `
  WITH candidate AS (
    SELECT req.financing_request_id AS request_id, ${MATCH_SCORE_SQL} AS match_score, ${QUOTED_RATE_SQL} AS quoted_rate,
      ${REASONS_SQL} AS reasons
    FROM ${reverseMatchFrom('$3::date', '$1')}
  ), qualifying AS (
    SELECT c.*, last_kept.loan_product_id AS pushed_out
    FROM candidate c
    LEFT JOIN LATERAL (
      SELECT m.loan_product_id, m.match_score, m.quoted_rate FROM product_match m
      WHERE m.financing_request_id = c.request_id
      ORDER BY m.match_score DESC, m.quoted_rate ASC, m.loan_product_id ASC
      OFFSET ${MATCH_DEPTH - 1} LIMIT 1
    ) last_kept ON TRUE
    WHERE last_kept.loan_product_id IS NULL
       OR (c.match_score, -c.quoted_rate, -$1::bigint) > (last_kept.match_score, -last_kept.quoted_rate,
         -last_kept.loan_product_id)
  ), inserted AS (
    -- Already there only if another transaction ranked this product in since the DELETE (a request
    -- posted meanwhile, a second worker on the same product): the same committed facts, same row.
    INSERT INTO product_match (financing_request_id, loan_product_id, match_score, quoted_rate, reasons, model_version)
    SELECT request_id, $1, match_score, quoted_rate, reasons, $2 FROM qualifying
    ON CONFLICT (financing_request_id, loan_product_id) DO NOTHING
    RETURNING financing_request_id, loan_product_id
  ), fresh AS (
    -- Matched before the refresh dropped the product's matches: no news.
    SELECT i.financing_request_id, i.loan_product_id, p.institution_id
    FROM inserted i JOIN loan_product p ON p.id = i.loan_product_id
    WHERE i.financing_request_id <> ALL($4::bigint[])
  ), announced AS (${newMatchEventsSql('fresh')}
  ), pushed_out AS (
    DELETE FROM product_match m USING qualifying q
    WHERE q.pushed_out IS NOT NULL AND m.financing_request_id = q.request_id AND m.loan_product_id = q.pushed_out
  )
  SELECT count(*)::int AS fitting FROM candidate`;

/** A readable reason for a failed criterion and what would make it pass. */
function explainFailure(criterion: string, row: FitRow): FailedCriterion {
  const fail = (message: string, wouldPassWith: string | null = null) => ({ criterion, message, wouldPassWith });
  switch (criterion) {
    case 'PUBLISHED':
      return fail(`the product is ${String(row.status).toLowerCase()}, not published`);
    case 'AMOUNT':
      return money.units(row.amount) > money.units(row.max_amount)
        ? fail(
            `amount ${money.normalize(row.amount)} > product maximum ${money.normalize(row.max_amount)}`,
            `an amount of at most ${money.normalize(row.max_amount)}`,
          )
        : fail(
            `amount ${money.normalize(row.amount)} < product minimum ${money.normalize(row.min_amount)}`,
            `an amount of at least ${money.normalize(row.min_amount)}`,
          );
    case 'TERM':
      return row.term_months > row.max_term_months
        ? fail(
            `term ${row.term_months} months > product maximum ${row.max_term_months}`,
            `a term of at most ${row.max_term_months} months`,
          )
        : fail(
            `term ${row.term_months} months < product minimum ${row.min_term_months}`,
            `a term of at least ${row.min_term_months} months`,
          );
    case 'GUARANTEE':
      return fail(
        `the product requires ${row.guarantee_type}; the request accepts ${row.guarantees.join(', ')}`,
        `accepting ${row.guarantee_type}`,
      );
    case 'RATE':
      return fail(
        `quoted rate ${rate.normalize(row.quoted_rate)}% > highest acceptable ${rate.normalize(row.max_rate)}%`,
        `a highest acceptable rate of at least ${rate.normalize(row.quoted_rate)}%`,
      );
    case 'REGION':
      return fail(
        `region ${row.region_code} (${regionName(row.region_code) ?? '?'}) ` +
          `is outside the product's regions ${row.eligible_regions.join(', ')}`,
      );
    case 'INDUSTRY':
      return fail(
        `industry ${row.industry_code} is outside the product's industries ${row.eligible_industries.join(', ')}`,
      );
    case 'SCALE':
      return fail(
        `scale ${row.scale} is outside the product's scales ${formatPgArray(row.eligible_scales).join(', ')}`,
      );
    case 'CREDIT_SCORE':
      return fail(
        `credit score ${row.credit_score} < product minimum ${row.min_credit_score}`,
        `a credit score of at least ${row.min_credit_score}`,
      );
    case 'YEARS_IN_BUSINESS':
      return fail(
        `${row.years_in_business} years in business < product minimum ${row.min_years_in_business}`,
        `at least ${row.min_years_in_business} years in business`,
      );
    case 'ANNUAL_REVENUE':
      return fail(
        `annual revenue ${money.normalize(row.annual_revenue)} ` +
          `< product minimum ${money.normalize(row.min_annual_revenue)}`,
        `annual revenue of at least ${money.normalize(row.min_annual_revenue)}`,
      );
    case 'DISHONEST_DEBTOR':
      return fail('the enterprise is listed as a dishonest judgment debtor (失信被执行人)', 'removal from the list');
    default:
      return fail(criterion);
  }
}

function formatPgArray(value: unknown): string[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string')
    return value
      .replace(/^\{|\}$/g, '')
      .split(',')
      .filter(Boolean);
  return [];
}
