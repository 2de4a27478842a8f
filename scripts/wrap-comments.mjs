// Re-wraps comments longer than 120 characters at word boundaries, keeping their indentation and markers; Prettier
// leaves comments alone. Part of `npm run format`; code and strings are never touched (TypeScript's parser tells
// comments from strings). Words a line cannot hold (a long URL) stay whole.
// Usage: node scripts/wrap-comments.mjs [--check] [file …]
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { lineLength, MAX_LINE_LENGTH, ROOT, sourceFiles } from './source-files.mjs';

// Comments whose text is read by a tool: moving a word to the next line would change what they mean.
const DIRECTIVE = /^\s*(eslint|@ts-|prettier-ignore|istanbul|c8 |jshint|global |\/ <reference|#region|#endregion)/;
// A line that starts its own item: a continuation never flows into it.
const ITEM_START = /^(\s|[-*+•] |\d+[.)] |@|```|\||$)/;

const LITERALS = new Set([
  ts.SyntaxKind.StringLiteral,
  ts.SyntaxKind.NoSubstitutionTemplateLiteral,
  ts.SyntaxKind.TemplateHead,
  ts.SyntaxKind.TemplateMiddle,
  ts.SyntaxKind.TemplateTail,
]);

/**
 * Every comment of a file as [start, end) offsets, found through the parser so strings and regexes never count, and
 * the spans of its string and template literals (a line may start inside one).
 */
export function parse(file, text) {
  const kind = file.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const ranges = new Map();
  const literals = [];
  const add = (list) => list?.forEach((range) => ranges.set(range.pos, range.end));
  const visit = (node) => {
    add(ts.getLeadingCommentRanges(text, node.pos));
    add(ts.getTrailingCommentRanges(text, node.end));
    if (LITERALS.has(node.kind)) literals.push([node.getStart(source), node.end]);
    for (const child of node.getChildren(source)) visit(child);
  };
  visit(source);
  return { comments: [...ranges].sort((a, b) => a[0] - b[0]), literals };
}

/**
 * Splits text at spaces into lines of at most `firstWidth` (the first) and `width` (the others) characters; a longer
 * word keeps a line of its own.
 */
function wrapWords(text, firstWidth, width = firstWidth) {
  const lines = [];
  let current = '';
  for (const word of text.split(' ').filter(Boolean)) {
    const limit = lines.length === 0 ? firstWidth : width;
    if (current && lineLength(current) + 1 + lineLength(word) > limit) {
      lines.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) lines.push(current);
  return lines;
}

/**
 * How each line sits in a comment: `line` (only a // comment), `block` (inside a multi-line /* comment),
 * `single-block` (a whole /* … *\/ on its own line) or `trailing` (a // comment after code, at `column`).
 */
function classify(text, { comments, literals }) {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const kinds = new Array(starts.length).fill(null);
  const lineOf = (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  };
  const inLiteral = (offset) => literals.some(([start, end]) => start < offset && offset < end);
  for (const [start, end] of comments) {
    const first = lineOf(start);
    const last = lineOf(end - 1);
    const before = text.slice(starts[first], start);
    const alone = before.trim() === '';
    if (text.startsWith('//', start)) {
      if (alone) kinds[first] = { kind: 'line' };
      else if (!inLiteral(starts[first])) kinds[first] = { kind: 'trailing', column: start - starts[first] };
    } else if (first === last) {
      const after = text.slice(end, starts[first + 1] === undefined ? text.length : starts[first + 1] - 1);
      if (alone && after.trim() === '') kinds[first] = { kind: 'single-block' };
    } else if (alone) {
      for (let line = first; line <= last; line++) kinds[line] = { kind: 'block', first: line === first };
    }
  }
  return kinds;
}

/** The file's text with its long comments wrapped. */
export function wrapComments(file, text) {
  const lines = text.split('\n');
  const kinds = classify(text, parse(file, text));
  const out = [];
  // Words carried over from a wrapped line into the next line of the same comment.
  let carry = null;
  for (let index = 0; index < lines.length; index++) {
    let line = lines[index];
    const kind = kinds[index];
    if (carry) {
      line = carry.prefix + carry.words + ' ' + line.slice(carry.prefix.length);
      carry = null;
    }
    if (lineLength(line) <= MAX_LINE_LENGTH || !kind) {
      out.push(line);
      continue;
    }
    let match;
    if (kind.kind === 'line' && (match = /^(\s*\/\/+ ?)(.*)$/.exec(line)) && !DIRECTIVE.test(match[2])) {
      carry = wrapInto(out, match[1], match[1], match[2], lines[index + 1], kinds[index + 1], 'line');
    } else if (kind.kind === 'block' && !kind.first && (match = /^(\s*\* ?)(.*)$/.exec(line))) {
      const closing = /^(.*?) ?\*\/\s*$/.exec(match[2]);
      if (DIRECTIVE.test(match[2]) || (!closing && match[2].includes('*/'))) out.push(line);
      else if (closing) closeBlock(out, match[1], closing[1]);
      else carry = wrapInto(out, match[1], match[1], match[2], lines[index + 1], kinds[index + 1], 'block');
    } else if (kind.kind === 'block' && kind.first && (match = /^(\s*)(\/\*\*? )(.*)$/.exec(line))) {
      const continuation = `${match[1]} * `;
      if (match[3].includes('*/') || DIRECTIVE.test(match[3])) out.push(line);
      else
        carry = wrapInto(out, match[1] + match[2], continuation, match[3], lines[index + 1], kinds[index + 1], 'block');
    } else if (kind.kind === 'single-block' && (match = /^(\s*)(\/\*\*?) (.*?) ?\*\/\s*$/.exec(line))) {
      if (DIRECTIVE.test(match[3])) out.push(line);
      else {
        out.push(`${match[1]}${match[2]}`);
        for (const part of wrapWords(match[3], MAX_LINE_LENGTH - lineLength(`${match[1]} * `))) {
          out.push(`${match[1]} * ${part}`);
        }
        out.push(`${match[1]} */`);
      }
    } else if (kind.kind === 'trailing') {
      const code = line.slice(0, kind.column).trimEnd();
      const comment = /^\/\/+ ?(.*)$/.exec(line.slice(kind.column));
      if (lineLength(code) > MAX_LINE_LENGTH || !comment || DIRECTIVE.test(comment[1])) out.push(line);
      else {
        // Above the code it explains, at the code's indentation.
        const indent = /^\s*/.exec(line)[0];
        for (const part of wrapWords(comment[1], MAX_LINE_LENGTH - lineLength(`${indent}// `))) {
          out.push(`${indent}// ${part}`);
        }
        out.push(code);
      }
    } else out.push(line);
  }
  return out.join('\n');
}

/**
 * Wraps `text` after `firstPrefix`, pushing the lines that fit; what is left flows into the next line when that line
 * continues the same paragraph of the same comment, and is otherwise pushed as lines of its own.
 */
function wrapInto(out, firstPrefix, prefix, text, nextLine, nextKind, kind) {
  const parts = wrapWords(text, MAX_LINE_LENGTH - lineLength(firstPrefix), MAX_LINE_LENGTH - lineLength(prefix));
  out.push(firstPrefix + parts[0]);
  const rest = parts.slice(1);
  if (rest.length === 0) return null;
  const next = nextLine?.startsWith(prefix) ? nextLine.slice(prefix.length) : null;
  const continues =
    nextKind?.kind === kind &&
    next !== null &&
    !ITEM_START.test(next) &&
    !DIRECTIVE.test(next) &&
    !next.startsWith('/');
  for (const part of continues ? rest.slice(0, -1) : rest) out.push(prefix + part);
  return continues ? { prefix, words: rest[rest.length - 1] } : null;
}

/** Pushes the last text of a block comment, wrapped after `prefix`, and its closing `*\/`. */
function closeBlock(out, prefix, text) {
  const parts = wrapWords(text, MAX_LINE_LENGTH - lineLength(prefix));
  const last = `${prefix}${parts.pop()} */`;
  for (const part of parts) out.push(prefix + part);
  if (lineLength(last) <= MAX_LINE_LENGTH) out.push(last);
  else out.push(last.slice(0, -3), `${prefix.replace(/\* ?$/, '')}*/`);
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  let changed = 0;
  for (const file of sourceFiles(args.filter((arg) => arg !== '--check'))) {
    const full = path.join(ROOT, file);
    const text = readFileSync(full, 'utf8');
    const wrapped = wrapComments(file, text);
    if (wrapped === text) continue;
    changed++;
    if (check) console.log(file);
    else writeFileSync(full, wrapped);
  }
  console.log(`${check ? 'Would re-wrap' : 'Re-wrapped'} comments in ${changed} files.`);
}
