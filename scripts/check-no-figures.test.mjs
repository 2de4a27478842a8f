// `node --test scripts/`: scripts/check-no-figures.mjs flags measured figures in comments and READMEs, not rules.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkFile, figuresIn } from './check-no-figures.mjs';

const figures = (text) => figuresIn(text).map((found) => found.figure);

test('measured figures are flagged: rates, µs, decimal durations, and figures in a sentence that measures', () => {
  assert.deepEqual(figures('Two lanes: 10,100/s with one batch in flight, 11,600/s with two.'), [
    '10,100/s',
    '11,600/s',
  ]);
  assert.deepEqual(figures('Drained 514 open requests re-matched/s.'), ['514 open requests re-matched/s']);
  assert.deepEqual(figures('The foreign key costs 20 µs per record.'), ['20 µs']);
  assert.deepEqual(figures('It re-planned every call (0.8 ms of planning for 0.1 ms of execution).'), [
    '0.8 ms',
    '0.1 ms',
  ]);
  assert.deepEqual(figures('JIT compilation takes longer (~70 ms) than it saves.'), ['70 ms']);
  assert.deepEqual(figures('Dropping it saved 5 % of the server.'), ['5 %']);
  assert.deepEqual(figures('The wrapper was 15–20 % of a nested list’s CPU.'), ['15–20 %']);
  assert.deepEqual(figures('A/B 9 → 8 ms per request.'), ['8 ms']);
  assert.deepEqual(figures('Forward p50 4 ms on the first pass.'), ['4 ms']);
  assert.deepEqual(figures('Batches of 100,000 records were 25 % quicker (2026-11-29).'), ['25 %']);
  assert.deepEqual(figures('Ranked at 1.8× the old rate.'), ['1.8×']);
});

test('rules of the domain and configured limits pass', () => {
  const rules = [
    'Time decay: 100 % at age 0 (its first year), 80 % at 1, 60 % at 2, 40 % at 3, 20 % at 4.',
    'A failing pair waits 1 s, 2 s, 4 s … up to 15 minutes before its next attempt.',
    '503 once the request’s body (up to 1 MB) has been read.',
    'Score = 600 + Σ, clamped to 0–1000; BBB ≥ 600.',
    'responsiveness: 15 × (10 − response deadline in working days, 1–10) / 9',
    'the rice mill of 依兰县 granted 1,130,000.00 at 4.10%',
    '`npm start` runs it every second; a batch holds 20,000 records and 5 retries.',
    'An IPv4 address as an IPv6 socket reports it (::ffff:10.0.0.1) is the IPv4 address.',
    'GB/T 4754-2017: 20 sections, each a range of two-digit divisions.',
    'Node v20.20.2 and PostgreSQL 15 on 2 cores.',
  ];
  for (const rule of rules) assert.deepEqual(figures(rule), [], rule);
});

test('in TypeScript only comments are read, a sentence running over line comments included', () => {
  const source = [
    "const label = 'took ~70 ms'; // the label, not a measurement",
    '/** A lock as one statement. */',
    'function lock() {',
    '  // Two statements took',
    '  // ~0.15 s here.',
    '  return `costs ~5 % of the CPU`;',
    '}',
    '',
  ].join('\n');
  const found = checkFile('src/x.ts', source, []);
  assert.deepEqual(
    found.map(({ line, figure }) => [line, figure]),
    [[5, '0.15 s']],
  );
});

test('in a README fenced code is skipped, and an allowed sentence stands', () => {
  const readme = [
    '# Module',
    '',
    '```sql',
    "SELECT 'took 2.5 s';",
    '```',
    '',
    'A product change is ranked at ~20,000 requests/s.',
    '',
    '- Retries back off from 30 s, about doubling each time.',
    '',
  ].join('\n');
  const allowed = [{ file: 'src/m/README.md', text: 'Retries back off', why: 'the retry schedule' }];
  const found = checkFile('src/m/README.md', readme, allowed);
  assert.deepEqual(
    found.map(({ line, figure, allowed: entry }) => [line, figure, entry?.why]),
    [
      [7, '20,000 requests/s', undefined],
      [9, '30 s', 'the retry schedule'],
    ],
  );
});

test('in SQL only -- comments are read, not quoted text', () => {
  const sql = [
    '-- Folds the deltas; it took',
    '-- ~7 ms for 20 of them.',
    "SELECT 'a -- took ~9 ms' AS label; -- costs ~3 ms",
    "RAISE EXCEPTION 'took 2.5 s';",
    '',
  ].join('\n');
  assert.deepEqual(
    checkFile('src/m/sql/m.sql', sql, []).map(({ line, figure }) => [line, figure]),
    [
      [2, '7 ms'],
      [3, '3 ms'],
    ],
  );
});
