// Proves that a reformat changed only layout and comments: compares each source file's syntax tree (string values,
// template text, names and numbers, but no comments, commas, semicolons or parentheses) with the version at a git
// revision. Exits non-zero, naming the files, when any tree differs.
// Usage: node scripts/same-code.mjs [revision, default HEAD]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { ROOT, sourceFiles } from './source-files.mjs';

// Punctuation Prettier adds or drops without changing meaning; the tree's shape still shows any regrouping.
const LAYOUT = new Set([
  ts.SyntaxKind.CommaToken,
  ts.SyntaxKind.SemicolonToken,
  ts.SyntaxKind.OpenParenToken,
  ts.SyntaxKind.CloseParenToken,
  ts.SyntaxKind.ParenthesizedExpression,
]);

/** The file's syntax tree as text, one token or node kind a line. */
export function shape(file, text) {
  const kind = file.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const out = [];
  const visit = (node) => {
    if (node.kind >= ts.SyntaxKind.FirstJSDocNode && node.kind <= ts.SyntaxKind.LastJSDocNode) return;
    const children = node.getChildren(source);
    const shown = !LAYOUT.has(node.kind);
    if (shown) out.push(ts.SyntaxKind[node.kind] + (children.length === 0 ? ` ${value(node, source)}` : ' {'));
    for (const child of children) visit(child);
    if (shown && children.length > 0) out.push('}');
  };
  visit(source);
  return out.join('\n');
}

function value(node, source) {
  if (ts.isStringLiteral(node) || ts.isIdentifier(node) || ts.isPrivateIdentifier(node))
    return JSON.stringify(node.text);
  if (ts.isNumericLiteral(node)) return String(Number(node.text));
  if (ts.isTemplateLiteralToken?.(node) || 'rawText' in node) return JSON.stringify(node.rawText ?? node.text);
  if (ts.isJsxText?.(node)) return JSON.stringify(node.text);
  return JSON.stringify(node.getText(source));
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname;
if (isMain) {
  const revision = process.argv[2] ?? 'HEAD';
  const differing = [];
  let compared = 0;
  for (const file of sourceFiles()) {
    let before;
    try {
      before = execFileSync('git', ['show', `${revision}:${file}`], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
    } catch {
      continue; // new since the revision
    }
    compared++;
    if (shape(file, before) !== shape(file, readFileSync(path.join(ROOT, file), 'utf8'))) differing.push(file);
  }
  for (const file of differing) console.error(`${file}: its code differs from ${revision}`);
  console.log(`${compared} files compared with ${revision}: ${differing.length} differ beyond layout and comments.`);
  process.exit(differing.length > 0 ? 1 : 0);
}
