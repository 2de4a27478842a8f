// `node --test scripts/`: scripts/wrap-sql.mjs splits long SQL lines only where SQL ignores a line break.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wrapSql } from './wrap-sql.mjs';

const columns = (n) => Array.from({ length: n }, (_, i) => `column_${i}`).join(', ');
const longest = (text) => Math.max(...text.split('\n').map((line) => [...line].length));
const squeeze = (text) => text.replace(/\s+/g, ' ');

test('a long SQL line splits at spaces, indented under its first line', () => {
  const source = `  await q(\`SELECT ${columns(20)} FROM t WHERE a = $1\`, [a]);\n`;
  const wrapped = wrapSql('a.ts', source);
  assert.ok(longest(wrapped) <= 120);
  assert.equal(squeeze(wrapped), squeeze(source));
  assert.match(wrapped.split('\n')[1], /^ {4}\S/);
});

test('quoted strings, identifiers, comments and substitutions stay whole', () => {
  const quoted = `'${'x '.repeat(70)}'`;
  const identifier = `"${'z '.repeat(70)}"`;
  const comment = `-- ${'y '.repeat(60)}`;
  const substitution = `\${${'w + '.repeat(40)}w}`;
  const first = `  await q(\`COMMENT ON TABLE t IS ${quoted} ${comment}\n`;
  const source = `${first}    SELECT ${identifier}, ${substitution} FROM t\`);\n`;
  const wrapped = wrapSql('a.ts', source);
  for (const whole of [quoted, identifier, comment.trimEnd(), substitution]) assert.ok(wrapped.includes(whole), whole);
  assert.equal(squeeze(wrapped), squeeze(source));
});

test('templates that are not SQL, and tagged templates, stay as they are', () => {
  const source = [
    `const md = \`| ${'cell | '.repeat(30)}\`;`,
    `const tagged = sql\`SELECT ${columns(20)}\`;`,
    `const s = 'SELECT ${columns(20)}';`,
    '',
  ].join('\n');
  assert.equal(wrapSql('a.ts', source), source);
});

test('a template nested in another template’s substitution stays whole', () => {
  const inner = `\`WHEN ${columns(12)} = \${r.x} THEN \${r.points}\``;
  const source = `const c = \`CASE \${rules.map((r) => ${inner}).join(' ')} END\`;\n`;
  assert.ok(wrapSql('a.ts', source).includes(inner));
});
