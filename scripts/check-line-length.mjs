// Lines of at most 120 characters in every source file, comments and string literals included (Prettier wraps
// neither). `npm run format` re-wraps long comments; long strings and SQL are split by hand.
// Usage: node scripts/check-line-length.mjs [file …]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { lineLength, MAX_LINE_LENGTH, ROOT, sourceFiles } from './source-files.mjs';

// Migrations up to this one predate the rule: they are history (mostly TypeORM's generated DDL), already applied,
// and re-wrapping their SQL would change nothing but the risk. Later migrations are checked like any code.
const LAST_UNCHECKED_MIGRATION = 1795990000000;

const exempt = (file) => {
  const migration = /^migrations\/(\d+)-/.exec(file);
  return migration !== null && Number(migration[1]) <= LAST_UNCHECKED_MIGRATION;
};

const long = [];
const files = sourceFiles(process.argv.slice(2)).filter((file) => !exempt(file));
for (const file of files) {
  const lines = readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  lines.forEach((line, index) => {
    const length = lineLength(line);
    if (length > MAX_LINE_LENGTH) long.push(`${file}:${index + 1}: ${length} characters`);
  });
}
if (long.length > 0) {
  console.error(long.join('\n'));
  console.error(`${long.length} lines are longer than ${MAX_LINE_LENGTH} characters (split them by hand).`);
  process.exit(1);
}
console.log(`Line length: ${files.length} files, no line longer than ${MAX_LINE_LENGTH} characters.`);
