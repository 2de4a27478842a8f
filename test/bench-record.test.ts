// bench/record.ts places a bench's section in BENCHMARKS.md: pure text in, text out, no database and no bench run.
import fs from 'node:fs';
import path from 'node:path';
import { READINGS_MARK, withSection } from '../bench/record';

const doc = (...blocks: string[]) => `${blocks.join('\n\n')}\n`;
const headings = (text: string) => text.split('\n').filter((line) => line.startsWith('## '));

const INTRO = '# Benchmarks\n\nIntro.';
const TARGETS = '## Targets at a glance\n\nTable.';
const API_HEADING = '## bench:api (scale 1, embedded PostgreSQL)';
const API = `${API_HEADING}\n\nOld figures.\n\n${READINGS_MARK}\n\nReading of the old run.`;
const FIGURES = "## Figures behind the code's choices\n\n- One figure.";
const HISTORY = '## History\n\n- **2026-11-28** — first runs.';

describe('withSection (bench/record.ts)', () => {
  it('puts a section recorded for the first time after the last bench section, History staying last', () => {
    const notify = `## bench:notify (scale 1, embedded PostgreSQL)\n\nNew figures.\n\n${READINGS_MARK}`;
    const out = withSection(doc(INTRO, TARGETS, API, FIGURES, HISTORY), headings(notify)[0], notify);
    expect(headings(out)).toEqual([
      '## Targets at a glance',
      API_HEADING,
      '## bench:notify (scale 1, embedded PostgreSQL)',
      "## Figures behind the code's choices",
      '## History',
    ]);
    expect(out).toBe(doc(INTRO, TARGETS, API, notify, FIGURES, HISTORY));
  });

  it('puts the first bench section before History when there is none yet, and at the end without History', () => {
    const api = `## bench:api (scale 1, embedded PostgreSQL)\n\nFigures.\n\n${READINGS_MARK}`;
    expect(withSection(doc(INTRO, HISTORY), headings(api)[0], api)).toBe(doc(INTRO, api, HISTORY));
    expect(withSection(doc(INTRO), headings(api)[0], api)).toBe(doc(INTRO, api));
  });

  it('rewrites a section in place and keeps the readings written under its mark', () => {
    const fresh = `## bench:api (scale 1, embedded PostgreSQL)\n\nNew figures.\n\n${READINGS_MARK}`;
    const out = withSection(doc(INTRO, API, FIGURES, HISTORY), headings(fresh)[0], fresh);
    expect(out).toBe(doc(INTRO, `${fresh}\n\nReading of the old run.`, FIGURES, HISTORY));
  });

  it('tells a scale from another: scale 0.1 is a section of its own beside scale 1', () => {
    const small = `## bench:api (scale 0.1, embedded PostgreSQL)\n\nFigures.\n\n${READINGS_MARK}`;
    const out = withSection(doc(INTRO, API, HISTORY), headings(small)[0], small);
    expect(out).toBe(doc(INTRO, API, small, HISTORY));
  });

  it('leaves History the last section of BENCHMARKS.md itself', () => {
    const text = fs.readFileSync(path.join(__dirname, '..', 'BENCHMARKS.md'), 'utf8');
    const all = headings(text);
    expect(all[all.length - 1]).toBe('## History');
    const lastBench = all.map((h) => h.startsWith('## bench:')).lastIndexOf(true);
    expect(all.slice(0, lastBench).filter((h) => !h.startsWith('## bench:'))).toEqual(['## Targets at a glance']);
  });

  it('changes nothing in BENCHMARKS.md when a section is rewritten with the figures it holds', () => {
    const text = fs.readFileSync(path.join(__dirname, '..', 'BENCHMARKS.md'), 'utf8');
    for (const heading of headings(text).filter((h) => h.startsWith('## bench:'))) {
      const start = text.indexOf(`${heading}\n`);
      const figures = text.slice(start, text.indexOf(READINGS_MARK, start) + READINGS_MARK.length);
      expect(withSection(text, heading, figures)).toBe(text);
    }
  });
});
