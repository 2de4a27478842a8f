// The source files that lint and format cover: TypeScript and JavaScript outside build output, data and installs.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const MAX_LINE_LENGTH = 120;

const EXTENSIONS = new Set(['.ts', '.js', '.mjs', '.cjs']);
const SKIPPED = new Set(['node_modules', 'dist', 'coverage', '.data', '.git', 'test/e2e/artifacts']);

/** Relative paths of the files to check: the given ones (as typed), or every source file under the root. */
export function sourceFiles(args = []) {
  if (args.length > 0) return args.map((file) => path.relative(ROOT, path.resolve(file)));
  const found = [];
  const walk = (dir) => {
    for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const relative = dir ? `${dir}/${entry.name}` : entry.name;
      if (SKIPPED.has(entry.name) || SKIPPED.has(relative)) continue;
      if (entry.isDirectory()) walk(relative);
      else if (EXTENSIONS.has(path.extname(entry.name))) found.push(relative);
    }
  };
  walk('');
  return found.sort();
}

// Migrations up to this one predate the line-length rule: they are history (mostly TypeORM's generated DDL), already
// applied, and re-wrapping their SQL would change nothing but the risk. Later migrations are checked like any code.
const LAST_HISTORIC_MIGRATION = 1795990000000;

export const historicMigration = (file) => {
  const migration = /^migrations\/(\d+)-/.exec(file);
  return migration !== null && Number(migration[1]) <= LAST_HISTORIC_MIGRATION;
};

/** A line's length as an editor's column count: code points, so that 中 counts once. */
export const lineLength = (line) => [...line].length;
