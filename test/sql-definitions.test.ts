import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { BASE_GRADE, BASE_SCORE } from '../src/credit/scoring-model';
import { OPEN_REQUEST_STATUSES } from '../src/financing/financing-request.entity';
import { readSqlDefinitions } from '../src/common/database/sql-definitions';
import { createTestDatabase, TestDatabase } from './support/database';

/**
 * The SQL functions and triggers of the migrated database are exactly those of the definition files
 * beside their modules: no function or trigger lives only in a migration, and re-applying the files
 * changes no live definition (a later migration that replaced one inline would show here).
 */
let database: TestDatabase;
let client: Client;
beforeAll(async () => {
  database = await createTestDatabase();
  client = new Client({ connectionString: database.url });
  await client.connect();
});
afterAll(async () => {
  await client?.end();
  await database?.drop();
});

async function liveDefinitions(): Promise<Record<string, string>> {
  const { rows } = await client.query(
    `SELECT 'function ' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS name,
            pg_get_functiondef(p.oid) AS definition
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
     UNION ALL
     SELECT 'trigger ' || tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal`,
  );
  return Object.fromEntries(rows.map((row) => [row.name, row.definition]));
}

const declared = (pattern: RegExp) =>
  readSqlDefinitions().flatMap(({ sql }) => [...sql.matchAll(pattern)].map((match) => match[1]));

describe('SQL definitions live in one file each', () => {
  it('defines every function and trigger of the database in a file, and nothing else', async () => {
    const live = Object.keys(await liveDefinitions());
    const names = (kind: string) =>
      live.filter((name) => name.startsWith(`${kind} `)).map((name) => name.split(/[ (]/)[1]);
    expect(declared(/^CREATE OR REPLACE FUNCTION (\w+)\(/gm).sort()).toEqual(names('function').sort());
    expect(declared(/^CREATE OR REPLACE TRIGGER (\w+) /gm).sort()).toEqual(names('trigger').sort());
  });

  it('holds the live definitions: applying the files again changes none', async () => {
    const before = await liveDefinitions();
    await client.query('BEGIN');
    try {
      for (const { sql } of readSqlDefinitions()) await client.query(sql);
      expect(await liveDefinitions()).toEqual(before);
    } finally {
      await client.query('ROLLBACK');
    }
  });
});

describe('constants shared by TypeScript and SQL', () => {
  const sources = (folder: string): string[] =>
    fs.readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) return sources(file);
      return /\.(ts|sql)$/.test(entry.name) ? [file] : [];
    });

  it('writes the base score and grade and the open request statuses out only where they are defined', () => {
    const repeated = [
      new RegExp(`coalesce\\(\\w+\\.score, ${BASE_SCORE}\\)|coalesce\\(\\w+\\.grade, '${BASE_GRADE}'\\)`),
      new RegExp(OPEN_REQUEST_STATUSES.map((status) => `'${status}'`).join(',\\s*')),
    ];
    const offending = sources(path.join(__dirname, '..', 'src')).filter((file) => {
      const text = fs.readFileSync(file, 'utf8');
      return repeated.some((pattern) => pattern.test(text));
    });
    expect(offending).toEqual([]);
  });
});
