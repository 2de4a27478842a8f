import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config';

/**
 * The files holding the current definition of every SQL function and trigger, beside their modules,
 * in the order they are applied. They are read from the project root, so from ts-jest and from
 * `dist/` alike; every statement is CREATE OR REPLACE, so applying them again changes nothing.
 */
export const SQL_DEFINITION_FILES = [
  'src/common/database/sql/append-only.sql',
  'src/analytics/sql/stats.sql',
  'src/matching/sql/match-keys.sql',
  'src/product/sql/institution-copy.sql',
  'src/lending/sql/audit-trail.sql',
  'src/financing/sql/event-trail.sql',
  'src/credit/sql/credit-record-integrity.sql',
  'src/auth/sql/account-changes.sql',
  'src/calendar/sql/holiday-schedules.sql',
  'src/enterprise/sql/verification.sql',
  'src/notifications/sql/outbox.sql',
];

export function readSqlDefinitions(): Array<{ file: string; sql: string }> {
  return SQL_DEFINITION_FILES.map((file) => ({ file, sql: fs.readFileSync(path.join(projectRoot, file), 'utf8') }));
}

/**
 * Applies every definition file (in a migration: a changed file takes effect with the next migration).
 * A file that starts with `-- Requires table: <name>` (or `-- Requires column: <table>.<column>`) is left
 * out while that table (or column) does not exist yet: an earlier migration applying the files runs
 * before the migration that creates it.
 */
export async function applySqlDefinitions(runner: {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a QueryRunner or DataSource: query() answers any
  query(sql: string, parameters?: unknown[]): Promise<any>;
}): Promise<void> {
  for (const { sql } of readSqlDefinitions()) {
    const required = /^-- Requires table: (\w+)$/m.exec(sql)?.[1];
    if (required && !(await runner.query(`SELECT to_regclass($1) AS found`, [required]))[0].found) continue;
    const column = /^-- Requires column: (\w+)\.(\w+)$/m.exec(sql);
    if (column && !(await columnExists(runner, column[1], column[2]))) continue;
    await runner.query(sql);
  }
}

async function columnExists(
  runner: Parameters<typeof applySqlDefinitions>[0],
  table: string,
  column: string,
): Promise<boolean> {
  const rows = await runner.query(
    `SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1
       AND column_name = $2`,
    [table, column],
  );
  return rows.length > 0;
}
