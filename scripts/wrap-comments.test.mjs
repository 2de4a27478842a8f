// `node --test scripts/`: what scripts/wrap-comments.mjs does to long comments, and that it never touches code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wrapComments } from './wrap-comments.mjs';

const words = (n, from = 0) => Array.from({ length: n }, (_, i) => `word${i + from}`).join(' ');
const longest = (text) => Math.max(...text.split('\n').map((line) => [...line].length));

test('a long // comment flows into the next line of its paragraph', () => {
  const source = `  // ${words(20)}\n  // ${words(2, 20)}\nconst a = 1;\n`;
  const wrapped = wrapComments('a.ts', source);
  assert.ok(longest(wrapped) <= 120);
  assert.equal(wrapped.split('\n').length, source.split('\n').length);
  assert.deepEqual(wrapped.replace(/\s*\/\/ /g, ' ').trim(), source.replace(/\s*\/\/ /g, ' ').trim());
});

test('a paragraph ends at a list item, a tag or a blank comment line', () => {
  for (const next of ['- item', '@param x', '']) {
    const wrapped = wrapComments('a.ts', `// ${words(20)}\n${`// ${next}`.trimEnd()}\n`);
    assert.equal(wrapped.split('\n').at(-2), `// ${next}`.trimEnd());
    assert.ok(longest(wrapped) <= 120);
  }
});

test('a one-line /** */ comment becomes a block; lines inside a block wrap with their star', () => {
  const single = wrapComments('a.ts', `  /** ${words(20)} */\n  f(): void;\n`);
  assert.match(single, /^ {2}\/\*\*\n( {3}\* \S.*\n)+ {3}\*\/\n {2}f\(\): void;\n$/);
  assert.ok(longest(single) <= 120);
  const block = wrapComments('a.ts', `/**\n * ${words(20)}\n */\nconst a = 1;\n`);
  assert.match(block, /^\/\*\*\n \* word0 .*\n \* .*word19\n \*\/\n/);
  const opening = wrapComments('a.ts', `/** ${words(20)}\n * more */\nconst a = 1;\n`);
  assert.match(opening, /^\/\*\* word0 .*\n \* .*word19 more \*\/\nconst a = 1;\n$/);
});

test('a long trailing comment moves above its code', () => {
  const wrapped = wrapComments('a.ts', `    call(x); // ${words(20)}\n`);
  assert.match(wrapped, /^ {4}\/\/ word0 .*\n {4}\/\/ .*word19\n {4}call\(x\);\n$/);
});

test('strings, templates, regexes and directives stay as they are', () => {
  const source = [
    `const s = '// ${words(20)}';`,
    `const t = \`first line`,
    `  // ${words(20)}`,
    `  end\`; // ${words(20)}`,
    `const r = /\\/\\/ ${words(18)}/;`,
    `// eslint-disable-next-line no-console -- ${words(20)}`,
    `console.log(s, t, r);`,
    `const u = \`\${a}`,
    `  tail\`; // ${words(20)}`,
    '',
  ].join('\n');
  assert.equal(wrapComments('a.ts', source), source);
  assert.equal(wrapComments('a.js', source), source);
});

test('a word longer than a line keeps a line of its own', () => {
  const url = `https://example.org/${'x'.repeat(130)}`;
  const wrapped = wrapComments('a.ts', `// see ${url} for ${words(3)}\n`);
  assert.equal(wrapped, `// see\n// ${url}\n// for ${words(3)}\n`);
});
