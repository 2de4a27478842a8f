// Keeps measured figures out of code comments and module READMEs (ADR 0019, 0108): a timing, rate, size or share that
// reads as measured belongs in BENCHMARKS.md with its date and command; the comment or README says why without it.
// Checks the comments of src/**/*.ts and src/**/*.sql and every src/**/README.md outside fenced code.
// A figure counts as measured when it is a rate (`…/s`, "per second"), a duration in µs or ns, a duration with
// decimals (`0.8 ms`), a decimal multiple (`1.8×`), or any duration, size, share or multiple in a sentence that also
// reads as a measurement (`~`, `≈`, about, took, costs, saved, faster, p50, CPU, →, a date, a bench, …). Rules of
// the domain and configured limits ("decays 100 %, 80 % …", "retried after 1 s, 2 s, 4 s", "a body of up to 1 MB")
// carry no such word and pass; one that does goes to ALLOWED below with its reason. Counts without a unit ("155,690
// of 1,000,000 requests") are not recognised: a reviewer still reads for them.
// Usage: node scripts/check-no-figures.mjs [file …]
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './source-files.mjs';
import { parse } from './wrap-comments.mjs';

/**
 * Sentences that may keep a figure: `{ file, text, why }`, `text` a piece of the sentence, `why` the rule of the
 * domain or the configured limit it states. A stale entry (nothing matches it any more) fails the check too, so the
 * list stays what it says. Empty today: every rule in src words its figures without a measuring word.
 */
export const ALLOWED = [];

const NUMBER = String.raw`(?<![\w.,/-])\d[\d,]*(?:\.\d+)?`;
const RANGE = String.raw`${NUMBER}(?:\s?[–-]\s?\d[\d,]*(?:\.\d+)?)?`;
const RATE = String.raw`(?:\s?(?:[\p{L}-]+\s){0,3}[\p{L}-]*\/s\b|\s(?:[\p{L}-]+\s){0,2}per second\b)`;
const DURATION = String.raw`\s?(?:ns|µs|μs|us|ms|s|seconds?|minutes?)\b`;
const SIZE = String.raw`\s?(?:B|KB|MB|GB|TB|KiB|MiB|GiB|TiB|bytes)\b`;
const SHARE = String.raw`\s?%`;
const MULTIPLE = String.raw`[×x](?![\p{L}\d])`;
/** A figure with a unit: group 1 the number (or range), group 2 the unit. */
const FIGURE = new RegExp(`(${RANGE})(${RATE}|${DURATION}|${SIZE}|${SHARE}|${MULTIPLE})`, 'gu');
/** Units that are measured whatever the sentence says. */
const ALWAYS = [
  (number, unit) => /\/s$|per second$/.test(unit),
  (number, unit) => /^\s?(ns|µs|μs|us)$/.test(unit),
  (number, unit) => /\.\d/.test(number) && /^\s?(ms|s|seconds?)$/.test(unit),
  (number, unit) => /\.\d/.test(number) && /^[×x]$/.test(unit),
];
/** Words that make a figure read as measured rather than as a rule. */
const MEASURED = new RegExp(
  [
    String.raw`[~≈→]`,
    String.raw`\b(?:about|around|roughly|nearly|almost|took|takes|cost|costs|saved|saves|spent|spends|measured)\b`,
    String.raw`\b(?:faster|slower|quicker|p50|p90|p95|p99|median|probe|harness|A/B|bench\w*|throughput|latency)\b`,
    String.raw`\b(?:on this machine|in a run|per request|CPU|of a core)\b`,
    String.raw`\b20\d\d-\d\d-\d\d\b`,
  ].join('|'),
  'iu',
);
/** Where a sentence ends: after . ; ! ? and a space, at a blank line, before a list item or table row. */
const SENTENCE_END = /[.;!?](?=\s)|\n[ \t]*\n|\n(?=[ \t]*(?:[-*+|]|\d+\.)\s)/g;

/** [start, end) spans of the text to read as prose: a TS or SQL file's comments, a README outside fenced code. */
export function proseSpans(file, text) {
  if (file.endsWith('.md')) {
    const spans = [];
    let start = 0;
    for (const fence of text.matchAll(/^```.*\n[\s\S]*?^```.*$/gm)) {
      spans.push([start, fence.index]);
      start = fence.index + fence[0].length;
    }
    spans.push([start, text.length]);
    return spans;
  }
  // Line comments one under the other are one text: a sentence often runs over several.
  const merged = [];
  for (const [start, end] of file.endsWith('.sql') ? sqlComments(text) : parse(file, text).comments) {
    const last = merged[merged.length - 1];
    if (last && /^\s*$/.test(text.slice(last[1], start)) && !text.slice(last[1], start).includes('\n\n')) last[1] = end;
    else merged.push([start, end]);
  }
  return merged;
}

/** `--` comments of a SQL file as [start, end): those where the text before them on the line closes its quotes. */
function sqlComments(text) {
  const comments = [];
  for (const line of text.matchAll(/^.*$/gm)) {
    const outsideQuotes = [...line[0].matchAll(/--/g)].find(
      (dashes) => (line[0].slice(0, dashes.index).split("'").length - 1) % 2 === 0,
    );
    if (outsideQuotes) comments.push([line.index + outsideQuotes.index, line.index + line[0].length]);
  }
  return comments;
}

/** The measured-looking figures of `text` within `spans`: offset, the figure and its sentence. */
export function figuresIn(text, spans = [[0, text.length]]) {
  const found = [];
  for (const [spanStart, spanEnd] of spans) {
    // Comment markers become spaces (offsets unchanged), so that they neither start list items nor hide words.
    const prose = text
      .slice(spanStart, spanEnd)
      .replace(/^([ \t]*)(\/\/+|--+|\/\*+|\*+\/|\*)/gm, (all, indent, marker) => indent + ' '.repeat(marker.length))
      .replace(/\*\/$/, '  ');
    const ends = [...prose.matchAll(SENTENCE_END)].map((end) => end.index + 1);
    let start = 0;
    for (const end of [...ends, prose.length]) {
      const sentence = prose.slice(start, end);
      for (const match of sentence.matchAll(FIGURE)) {
        const [figure, number, unit] = match;
        if (ALWAYS.some((measured) => measured(number, unit)) || MEASURED.test(sentence)) {
          found.push({
            offset: spanStart + start + match.index,
            figure,
            sentence: sentence.replace(/\s+/g, ' ').trim(),
          });
        }
      }
      start = end;
    }
  }
  return found;
}

/** The findings of one file with their line numbers; `allowed` says which ALLOWED entry lets one stand. */
export function checkFile(file, text, allowList = ALLOWED) {
  return figuresIn(text, proseSpans(file, text)).map((finding) => ({
    ...finding,
    file,
    line: text.slice(0, finding.offset).split('\n').length,
    allowed: allowList.find((entry) => entry.file === file && finding.sentence.includes(entry.text)),
  }));
}

/** src/**\/*.ts, src/**\/*.sql and src/**\/README.md, relative to the root. */
export function checkedFiles(dir = 'src') {
  const found = [];
  for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const relative = `${dir}/${entry.name}`;
    if (entry.isDirectory()) found.push(...checkedFiles(relative));
    else if (/\.(ts|sql)$/.test(entry.name) || entry.name === 'README.md') found.push(relative);
  }
  return found.sort();
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const args = process.argv.slice(2);
  const files = args.length > 0 ? args.map((file) => path.relative(ROOT, path.resolve(file))) : checkedFiles();
  const findings = files.flatMap((file) => checkFile(file, readFileSync(path.join(ROOT, file), 'utf8')));
  const flagged = findings.filter((finding) => !finding.allowed);
  const used = new Set(findings.map((finding) => finding.allowed).filter(Boolean));
  const stale = args.length > 0 ? [] : ALLOWED.filter((entry) => !used.has(entry));
  for (const finding of flagged) {
    console.error(`${finding.file}:${finding.line}: "${finding.figure}" in: ${finding.sentence}`);
  }
  for (const entry of stale) console.error(`ALLOWED entry matches nothing any more: ${entry.file}: "${entry.text}"`);
  if (flagged.length > 0 || stale.length > 0) {
    console.error(
      `${flagged.length} measured-looking figures in comments or module READMEs: move them to BENCHMARKS.md with ` +
        'their date and command and say why without them (a rule of the domain goes to ALLOWED in ' +
        'scripts/check-no-figures.mjs with its reason).',
    );
    process.exit(1);
  }
  console.log(`Figures: ${files.length} files, no measured figure in comments or module READMEs.`);
}
