import { EntityManager } from 'typeorm';
import { chinaDate } from '../common/clock';
import { anniversariesReached, scoresChanged } from '../matching/changes';
import {
  BASE_GRADE,
  BASE_SCORE,
  boundaryCrossedSql,
  gradeOrBaseSql,
  SCORING_MODEL_VERSION,
  scoreOrBaseSql,
  scoresSql,
} from './scoring-model';

/**
 * Recomputes the scores of the given enterprises as of today (China time), keeps the matchable
 * requests' copies in step, and queues a match refresh for each changed score with open requests.
 * Returns the enterprises whose score changed.
 */
export async function recomputeCreditProfiles(
  manager: EntityManager,
  enterpriseIds: string[],
  asOf = chinaDate(new Date()),
): Promise<string[]> {
  if (enterpriseIds.length === 0) return [];
  asOf = await noEarlierThanDailyRescoring(manager, asOf);
  await lockCreditProfiles(manager, enterpriseIds, asOf);
  const changed: Array<{ enterprise_id: string; score: number; grade: string; dishonest_debtor: boolean }> =
    await manager.query(
      `WITH scored AS (${scoresSql('$1::date', '$2::bigint[]')}),
     previous AS (SELECT enterprise_id, score, grade, flags FROM credit_profile WHERE enterprise_id =
       ANY($2::bigint[])),
     upserted AS (
       INSERT INTO credit_profile (enterprise_id, score, grade, flags, model_version, as_of, computed_at)
       SELECT enterprise_id, score, grade, flags, $3, $1::date, now() FROM scored
       ON CONFLICT (enterprise_id) DO UPDATE SET score = excluded.score, grade = excluded.grade, flags = excluded.flags,
         model_version = excluded.model_version, as_of = excluded.as_of, computed_at = excluded.computed_at
       RETURNING enterprise_id, score, grade, flags
     )
     -- An enterprise without a profile yet is matched as the base score and grade, with no flags.
     SELECT u.enterprise_id::text, u.score, u.grade, 'DISHONEST_DEBTOR' = ANY(u.flags) AS dishonest_debtor
     FROM upserted u LEFT JOIN previous p USING (enterprise_id)
     WHERE (${scoreOrBaseSql('p')}, ${gradeOrBaseSql('p')}, coalesce(p.flags, '{}'::varchar[]))
       IS DISTINCT FROM (u.score, u.grade, u.flags)`,
      [asOf, enterpriseIds, SCORING_MODEL_VERSION],
    );
  const changedIds = changed.map((row) => row.enterprise_id);
  // The open requests' copies of the scores and their match refreshes are matching's (a request
  // posted meanwhile waits for this transaction in holdCreditProfile, and copies the new score).
  await scoresChanged(manager, changed);
  return changedIds;
}

/**
 * Two imports for one enterprise must not both score it from a snapshot without the other's
 * records: each locks the enterprises' profile rows first and the second waits until the first
 * commits, then reads both. Row locks take no lock-table slot, so a batch of 20,000 enterprises
 * locks just those (an advisory lock per enterprise would not fit in the lock table): two batches
 * of different enterprises rescore side by side. One statement in id order both creates a base
 * profile for an enterprise without one and locks the existing ones: `DO UPDATE … WHERE false`
 * updates nothing but locks every conflicting row (FOR NO KEY UPDATE, as no key column is set).
 * So two batches never wait on each other in a cycle, and the pass costs what a lock alone does,
 * less than an INSERT … DO NOTHING followed by a SELECT … FOR UPDATE (BENCHMARKS.md).
 */
async function lockCreditProfiles(manager: EntityManager, enterpriseIds: string[], asOf: string): Promise<void> {
  await manager.query(
    `INSERT INTO credit_profile (enterprise_id, score, grade, flags, model_version, as_of, computed_at)
     SELECT id, $2, $3, '{}', $4, $5::date, now() FROM (SELECT DISTINCT unnest($1::bigint[]) AS id) ids ORDER BY id
     ON CONFLICT (enterprise_id) DO UPDATE SET as_of = credit_profile.as_of WHERE false`,
    [enterpriseIds, BASE_SCORE, BASE_GRADE, SCORING_MODEL_VERSION, asOf],
  );
}

/**
 * `asOf`, or the last day the daily rescoring processed if that is later: a profile scored as of an
 * earlier day (an import begun before China midnight, committed after that day's run, or a process
 * whose clock is behind) would keep a boundary the job will not visit again. The job's row is held
 * (key share) to commit: a run in progress ends first, and one starting meanwhile skips its turn and
 * sees these records on the next.
 */
async function noEarlierThanDailyRescoring(manager: EntityManager, asOf: string): Promise<string> {
  const [job]: Array<{ as_of: string }> = await manager.query(
    `SELECT greatest($1::date, last_date)::text AS as_of FROM calendar_job WHERE job = $2 FOR KEY SHARE`,
    [asOf, DAILY_RESCORING_JOB],
  );
  return job?.as_of ?? asOf;
}

/** What a daily rescoring did: enterprises rescored, and those whose score, grade or flags changed. */
export interface DailyRescoring {
  rescored: number;
  changed: number;
}

/** The job-run row of the daily rescoring (table calendar_job). */
const DAILY_RESCORING_JOB = 'credit-rescoring';

/**
 * Scores age with the calendar (README.md beside this file): rescores, as of `today`, exactly the
 * enterprises with a record that crossed a boundary — became effective, moved a decay step, or
 * expired — on a China day after the last run, up to `today`, and so catches up after downtime. One
 * transaction holds the job's row: a process finding it taken (another is running) or already at
 * `today` does nothing, so it runs once per day across processes. The first run counts from the
 * oldest profile's date. Returns the enterprises rescored (`null`: another process holds the job)
 * and those whose score, grade or flags changed (re-matching is queued for their open needs).
 */
export async function rescoreDueProfiles(manager: EntityManager, today: string): Promise<DailyRescoring | null> {
  const [job]: Array<{ since: string | null; done: boolean }> = await manager.query(
    `SELECT coalesce(last_date, (SELECT min(as_of) - 1 FROM credit_profile))::text AS since,
            coalesce(last_date >= $2::date, false) AS done
     FROM calendar_job WHERE job = $1 FOR UPDATE SKIP LOCKED`,
    [DAILY_RESCORING_JOB, today],
  );
  if (!job) return null;
  if (job.done) return { rescored: 0, changed: 0 };
  const due: Array<{ id: string }> = job.since
    ? await manager.query(
        `SELECT DISTINCT r.enterprise_id::text AS id FROM credit_record r
         WHERE ${boundaryCrossedSql('$1::date', '$2::date')}`,
        [job.since, today],
      )
    : [];
  const changed = await recomputeCreditProfiles(
    manager,
    due.map((row) => row.id),
    today,
  );
  // Years in business age on the same days: needs whose enterprise passed a product's minimum are re-matched.
  if (job.since) await anniversariesReached(manager, job.since, today);
  await manager.query(`UPDATE calendar_job SET last_date = $2::date WHERE job = $1`, [DAILY_RESCORING_JOB, today]);
  return { rescored: due.length, changed: changed.length };
}

/**
 * Before a copy of an enterprise's score is taken (a request posted): a rescoring in progress holds
 * the profile and copies the new score into the open requests it sees, which a request not yet
 * committed is not among. Waiting for it here (FOR SHARE, kept until commit) means the copy reads
 * the new score. An enterprise without a profile (registered before scoring) is scored now, which
 * waits for a rescoring in progress that is creating one and leaves the profile locked.
 */
export async function holdCreditProfile(manager: EntityManager, enterpriseId: string, asOf: string): Promise<void> {
  const [{ locked }]: Array<{ locked: boolean }> = await manager.query(
    `SELECT EXISTS (SELECT 1 FROM credit_profile WHERE enterprise_id = $1 FOR SHARE) AS locked`,
    [enterpriseId],
  );
  if (!locked) await recomputeCreditProfiles(manager, [enterpriseId], asOf);
}
