// Lines of at most 120 characters in every source file, comments and string literals included (Prettier wraps
// neither). `npm run format` re-wraps long comments; long strings and SQL are split by hand.
// Usage: node scripts/check-line-length.mjs [file …]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { historicMigration, lineLength, MAX_LINE_LENGTH, ROOT, sourceFiles } from './source-files.mjs';

const long = [];
const files = sourceFiles(process.argv.slice(2)).filter((file) => !historicMigration(file));
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
