// Splits lines longer than 120 characters inside SQL template literals at a space, where SQL ignores the added line
// break: never inside a quoted string or identifier, a `--` comment or a ${…} substitution. A template counts as
// SQL when its text starts with an SQL keyword; historic migrations are left alone. Not part of `npm run format`: run
// it once, then review the diff.
// Usage: node scripts/wrap-sql.mjs [--check] [file …]
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { historicMigration, lineLength, MAX_LINE_LENGTH, ROOT, sourceFiles } from './source-files.mjs';

// prettier-ignore
const SQL_KEYWORDS = [
  'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'WITH', 'CREATE', 'ALTER', 'DROP', 'COMMENT ON', 'DO', 'SET', 'VACUUM',
  'ANALYZE', 'LOCK', 'TRUNCATE', 'EXPLAIN', 'REFRESH', 'UNION', 'FROM', 'WHERE', 'AND', 'OR', 'JOIN', 'LEFT JOIN',
  'GROUP BY', 'ORDER BY', 'VALUES', 'ON CONFLICT', 'RETURNING', 'CASE', 'WHEN', 'LIMIT',
];
const CLAUSE =
  /^(FROM|WHERE|JOIN|LEFT|CROSS|AND|OR|ORDER|GROUP|HAVING|UNION|VALUES|SELECT|ON|RETURNING|LIMIT|WHEN|ELSE)\b/;
const SQL_START = new RegExp(`^\\s*\\(?\\s*(${SQL_KEYWORDS.join('|')})\\b`);

/**
 * The offsets in `text` where a line break may go: spaces in the raw text of untagged SQL templates, outside quotes,
 * comments and substitutions.
 */
export function sqlBreaks(file, text) {
  const kind = file.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const breaks = new Set();
  // A template inside another's substitution (SQL built from pieces) is left whole: split, it reads worse.
  const visit = (node, nested) => {
    if (ts.isTemplateExpression(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      if (!nested && !ts.isTaggedTemplateExpression(node.parent)) template(node);
      nested = true;
    }
    ts.forEachChild(node, (child) => visit(child, nested));
  };
  const template = (node) => {
    // The raw chunks as [start, end) offsets between the backticks, `${` and `}`.
    const chunks = ts.isNoSubstitutionTemplateLiteral(node)
      ? [[node.getStart(source) + 1, node.end - 1]]
      : [
          [node.head.getStart(source) + 1, node.head.end - 2],
          ...node.templateSpans.map((span) => {
            const literal = span.literal;
            const tail = ts.isTemplateTail(literal);
            return [literal.getStart(source) + 1, literal.end - (tail ? 1 : 2)];
          }),
        ];
    if (!SQL_START.test(text.slice(chunks[0][0], chunks[0][1]))) return;
    let quote = null; // ', " or E' (backslash escapes) while inside one
    let comment = null; // -- or /*
    for (const [start, end] of chunks) {
      for (let i = start; i < end; i++) {
        const c = text[i];
        if (comment === '--') {
          if (c === '\n') comment = null;
        } else if (comment === '/*') {
          if (c === '*' && text[i + 1] === '/') {
            comment = null;
            i++;
          }
        } else if (quote) {
          if (quote === "E'" && c === '\\') i++;
          else if (c === quote.at(-1)) quote = null;
        } else if (c === '-' && text[i + 1] === '-') comment = '--';
        else if (c === '/' && text[i + 1] === '*') comment = '/*';
        else if (c === "'") quote = /[Ee]$/.test(text.slice(i - 1, i)) ? "E'" : "'";
        else if (c === '"') quote = '"';
        else if (c === '\\')
          i++; // a template escape such as \` or \n: never split it
        else if (c === ' ') breaks.add(i);
      }
    }
  };
  visit(source, false);
  return breaks;
}

/** The file's text with its long SQL lines split. */
export function wrapSql(file, text) {
  const breaks = sqlBreaks(file, text);
  const out = [];
  let offset = 0;
  for (const line of text.split('\n')) {
    let rest = line;
    let restOffset = offset;
    const indent = /^\s*/.exec(line)[0] + '  ';
    while (lineLength(rest) > MAX_LINE_LENGTH) {
      // The last allowed space that leaves a line of at most the maximum (code points, as the check counts them).
      // Preferred: after a comma or before a clause keyword, in the last third of the line.
      let cut = -1;
      let preferred = -1;
      let column = 0;
      for (let i = 0; i < rest.length; i++) {
        const code = rest.codePointAt(i);
        if (code > 0xffff) i++;
        column++;
        if (column > MAX_LINE_LENGTH + 1) break;
        if (!breaks.has(restOffset + i) || rest.slice(0, i).trim() === '' || rest[i + 1] === "'") continue;
        cut = i;
        if (column > (MAX_LINE_LENGTH * 2) / 3 && (rest[i - 1] === ',' || CLAUSE.test(rest.slice(i + 1))))
          preferred = i;
      }
      if (preferred >= 0) cut = preferred;
      if (cut < 0) break;
      out.push(rest.slice(0, cut).trimEnd());
      // Skip the spaces at the cut; the continuation starts at the next character.
      let next = cut;
      while (rest[next] === ' ') next++;
      const following = rest.slice(next);
      restOffset += next;
      rest = indent + following;
      restOffset -= indent.length;
      // Offsets of the continuation are those of the original text shifted by the new indentation.
    }
    out.push(rest);
    offset += line.length + 1;
  }
  return out.join('\n');
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  let changed = 0;
  for (const file of sourceFiles(args.filter((arg) => arg !== '--check')).filter((f) => !historicMigration(f))) {
    const full = path.join(ROOT, file);
    const text = readFileSync(full, 'utf8');
    const wrapped = wrapSql(file, text);
    if (wrapped === text) continue;
    changed++;
    if (check) console.log(file);
    else writeFileSync(full, wrapped);
  }
  console.log(`${check ? 'Would split' : 'Split'} long SQL lines in ${changed} files.`);
}
