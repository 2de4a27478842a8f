import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../src/common/config';

/** Writes one benchmark's latest figures into BENCHMARKS.md, replacing its previous section at the same scale. */
/** Below it, the readings written by hand: kept when a run rewrites the figures above it. */
const READINGS_MARK = '<!-- Figures above are rewritten by each run; the dated readings below are kept. -->';

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
  let content = fs.existsSync(file)
    ? fs.readFileSync(file, 'utf8')
    : '# Benchmarks\n\nFigures from one run each, as the command printed them. ' +
      'Targets live in the issues; tests never assert timings.\n\n';
  const start = content.indexOf(heading);
  if (start >= 0) {
    const next = content.indexOf('\n## ', start + heading.length);
    const old = content.slice(start, next >= 0 ? next + 1 : undefined);
    // The readings written by hand under the figures stay; each names the run it reads.
    const mark = old.indexOf(READINGS_MARK);
    const readings =
      mark >= 0
        ? old
            .slice(mark + READINGS_MARK.length)
            .replace(/^\n+/, '')
            .trimEnd()
        : '';
    content =
      content.slice(0, start) +
      section +
      (readings ? `\n\n${readings}\n` : '\n') +
      (next >= 0 ? `\n${content.slice(next + 1)}` : '');
  } else {
    content = `${content.trimEnd()}\n\n${section}\n`;
  }
  fs.writeFileSync(file, content.endsWith('\n') ? content : `${content}\n`);
}

function redacted(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
