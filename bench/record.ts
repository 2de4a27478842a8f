import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../src/common/config';

/** Below it, the readings written by hand: kept when a run rewrites the figures above it. */
export const READINGS_MARK = '<!-- Figures above are rewritten by each run; the dated readings below are kept. -->';

const NEW_FILE =
  '# Benchmarks\n\nFigures from one run each, as the command printed them. ' +
  'Targets live in the issues; tests never assert timings.\n';

/** Writes one benchmark's latest figures into BENCHMARKS.md, replacing its previous section at the same scale. */
export function recordBenchmark(
  name: string,
  command: string,
  scale: number,
  tableLines: string[],
  machine: string,
  /** What it ran on where that is neither DATABASE_URL's server nor the embedded PostgreSQL. */
  databaseLabel?: string,
): void {
  const file = path.join(projectRoot, 'BENCHMARKS.md');
  const database = databaseLabel ?? (process.env.DATABASE_URL ? 'DATABASE_URL server' : 'embedded PostgreSQL');
  const heading = `## ${name} (scale ${scale}, ${database})`;
  const section = [
    heading,
    '',
    `Command: \`${process.env.DATABASE_URL ? `DATABASE_URL=${redacted(process.env.DATABASE_URL)} ` : ''}${command}\` ` +
      `— run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine}.`,
    '',
    ...tableLines,
    '',
    READINGS_MARK,
  ].join('\n');
  const content = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : NEW_FILE;
  fs.writeFileSync(file, withSection(content, heading, section));
}

/**
 * BENCHMARKS.md with `section` in place of the one under `heading`, keeping that one's hand-written readings. A
 * section recorded for the first time goes after the last `## bench:` section, so the hand-written sections that
 * follow the figures (History last) stay at the end; with no bench section yet, before History.
 */
export function withSection(content: string, heading: string, section: string): string {
  const headings = [...content.matchAll(/^## .*$/gm)].map((match) => ({ text: match[0], at: match.index }));
  const nextAfter = (at: number) => headings.find((h) => h.at > at)?.at ?? content.length;
  const old = headings.find((h) => h.text === heading);
  let result: string;
  if (old) {
    const end = nextAfter(old.at);
    const previous = content.slice(old.at, end);
    // The readings written by hand under the figures stay; each names the run it reads.
    const mark = previous.indexOf(READINGS_MARK);
    const readings = mark >= 0 ? previous.slice(mark + READINGS_MARK.length).trim() : '';
    result = join(content.slice(0, old.at), section + (readings ? `\n\n${readings}` : ''), content.slice(end));
  } else {
    const lastBench = headings.filter((h) => h.text.startsWith('## bench:')).pop();
    const history = headings.find((h) => h.text === '## History');
    const at = lastBench ? nextAfter(lastBench.at) : (history?.at ?? content.length);
    result = join(content.slice(0, at), section, content.slice(at));
  }
  return result.endsWith('\n') ? result : `${result}\n`;
}

/** `before`, `middle` and `after` as Markdown blocks: one blank line between each, none doubled. */
function join(before: string, middle: string, after: string): string {
  const head = before.trimEnd();
  const tail = after.trim();
  return `${head ? `${head}\n\n` : ''}${middle}\n${tail ? `\n${tail}\n` : ''}`;
}

function redacted(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
