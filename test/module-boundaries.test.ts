import fs from 'node:fs';
import path from 'node:path';

/**
 * The dependency rules between domain modules (src/<module>/), checked on the source:
 * - a module may use another's entities and GraphQL types, but its services, resolvers and other
 *   code only one way: those imports form no cycle;
 * - a table is written by the module that owns it; `matchable_request` and `matching_job` by
 *   matching, which the others tell what changed (src/matching/changes.ts).
 */
const SRC = path.join(__dirname, '..', 'src');
const modules = fs
  .readdirSync(SRC)
  .filter((name) => name !== 'common' && fs.statSync(path.join(SRC, name)).isDirectory());
const sources = modules.flatMap((module) =>
  fs
    .readdirSync(path.join(SRC, module))
    .filter((file) => file.endsWith('.ts'))
    .map((file) => ({ module, file, text: fs.readFileSync(path.join(SRC, module, file), 'utf8') })),
);

/** Shared model: entities and GraphQL types may be imported by any module. */
const SHARED_MODEL = /\.(entity|types)$/;

function serviceEdges(): Map<string, Set<string>> {
  const edges = new Map(modules.map((module) => [module, new Set<string>()]));
  for (const { module, text } of sources) {
    for (const [, target, file] of text.matchAll(/from '\.\.\/([a-z-]+)\/([a-z.-]+)'/g)) {
      if (target !== 'common' && target !== module && !SHARED_MODEL.test(file)) edges.get(module)!.add(target);
    }
  }
  return edges;
}

function findCycle(edges: Map<string, Set<string>>): string[] | null {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (module: string): string[] | null => {
    if (state.get(module) === 'done') return null;
    if (state.get(module) === 'visiting') return [...stack.slice(stack.indexOf(module)), module];
    state.set(module, 'visiting');
    stack.push(module);
    for (const next of edges.get(module) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(module, 'done');
    return null;
  };
  for (const module of edges.keys()) {
    const cycle = visit(module);
    if (cycle) return cycle;
  }
  return null;
}

describe('module boundaries', () => {
  it('modules use each other one way only (entities and GraphQL types aside)', () => {
    expect(findCycle(serviceEdges())).toBeNull();
  });

  it('matchable_request and matching_job are written by the matching module only', () => {
    const writes = /\b(INSERT INTO|UPDATE|DELETE FROM)\s+(matchable_request|matching_job)\b/;
    const writers = sources.filter(({ module, text }) => module !== 'matching' && writes.test(text));
    expect(writers.map(({ module, file }) => `${module}/${file}`)).toEqual([]);
  });

  it('outbox_event is written by the notifications module only (the others call emit or emitSql)', () => {
    const writes = /\b(INSERT INTO|UPDATE|DELETE FROM)\s+outbox_event\b/;
    const writers = sources.filter(({ module, text }) => module !== 'notifications' && writes.test(text));
    expect(writers.map(({ module, file }) => `${module}/${file}`)).toEqual([]);
  });

  it('mail_outbox is written by the mail module only (the others call MailOutbox.queue)', () => {
    const writes = /\b(INSERT INTO|UPDATE|DELETE FROM)\s+mail_outbox\b/;
    const writers = sources.filter(({ module, text }) => module !== 'mail' && writes.test(text));
    expect(writers.map(({ module, file }) => `${module}/${file}`)).toEqual([]);
    expect(sources.some(({ module, text }) => module === 'mail' && writes.test(text))).toBe(true);
  });

  it('the check sees a cycle when there is one', () => {
    const edges = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['a'])],
    ]);
    expect(findCycle(edges)).toEqual(['a', 'b', 'a']);
  });
});
