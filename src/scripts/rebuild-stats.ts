import 'reflect-metadata';
import { dataSource as cliDataSource } from '../../ormconfig';

/**
 * `npm run stats:rebuild`: recompute the analytics rollup from the rows of record. Needed only after
 * rows were loaded with triggers off (session_replication_role = replica); the triggers keep it
 * exact otherwise. Prints whether the rebuilt rollup differs from the maintained one.
 */
async function main() {
  const dataSource = await cliDataSource;
  await dataSource.initialize();
  try {
    const started = Date.now();
    const [{ differing }] = await dataSource.transaction(async (manager) => {
      await manager.query(`SELECT stats_compact()`);
      await manager.query(
        `CREATE TEMP TABLE maintained ON COMMIT DROP AS SELECT * FROM stats_rollup WHERE count <> 0 OR amount <> 0
          OR amount_rate <> 0`,
      );
      await manager.query(`SELECT stats_rebuild()`);
      return manager.query(`SELECT count(*)::int AS differing FROM (
        (SELECT * FROM maintained EXCEPT ALL SELECT * FROM stats_rollup) UNION ALL (SELECT *
          FROM stats_rollup EXCEPT ALL SELECT * FROM maintained)) d`);
    });
    console.log(
      `Statistics rollup rebuilt in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
        `${differing} row(s) differed from the maintained rollup.`,
    );
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error) => {
  console.error('Failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
