import fc from 'fast-check';
import {
  buildSchema,
  execute,
  GraphQLFieldResolver,
  GraphQLObjectType,
  OperationDefinitionNode,
  parse,
  validate,
} from 'graphql';
import { measureOperation } from '../src/common/abuse-limits';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../src/common/pagination';

/**
 * The cost limit's measure is never below what a query can really touch. A small schema in the
 * API's conventions (Node, nodes(ids:), connections with first/last/edges/nodes, plain lists with
 * a declared bound) is executed with resolvers that return as much as they may — a full page for
 * `first` or `last` (or the default), one item per ID, a plain list's declared most — and every
 * field resolved is counted.
 * Generated queries use variables with and without defaults, given or left out, literal and
 * variable lists, fragments, inline fragments and aliases.
 */
const schema = buildSchema(`
  interface Node { id: ID! }
  type Thing implements Node {
    id: ID!
    name: String!
    tags: [String!]!
    parts: [Part!]!
    children(first: Int, after: String, last: Int, before: String): ThingConnection!
  }
  type Part { name: String! weight: Int! }
  type ThingEdge { node: Thing! cursor: String! }
  type PageInfo { hasNextPage: Boolean! }
  type ThingConnection { edges: [ThingEdge!]! nodes: [Thing!]! pageInfo: PageInfo! totalCount: Int! }
  type Query {
    node(id: ID!): Node
    nodes(ids: [ID!]!): [Node]!
    things(first: Int, after: String, last: Int, before: String): ThingConnection!
  }
`);
/** What MaxItems declares on a field of the API's schema. */
const PARTS = 4;
(schema.getType('Thing') as GraphQLObjectType).getFields().parts.extensions = { maxItems: PARTS };

const thing = { __typename: 'Thing' };
let resolved = 0;
/** Counts each field resolved and returns the most the field may return. */
const greedy: GraphQLFieldResolver<unknown, unknown, Record<string, any>> = (source, args, _context, info) => {
  resolved++;
  if (source && typeof source === 'object' && info.fieldName in source)
    return (source as Record<string, unknown>)[info.fieldName];
  const type = String(info.returnType).replace(/[[\]!]/g, '');
  if (type === 'ThingConnection') {
    if (args.first != null && args.last != null) throw new Error('first and last');
    const size = args.first ?? args.last ?? DEFAULT_PAGE_SIZE;
    if (size < 0 || size > MAX_PAGE_SIZE) throw new Error('page size out of range');
    const page = Array.from({ length: size }, () => thing);
    return { edges: page.map((node) => ({ node, cursor: 'c' })), nodes: page, pageInfo: {}, totalCount: 1 };
  }
  if (info.fieldName === 'nodes' && info.parentType.name === 'Query') return args.ids.map(() => thing);
  if (info.fieldName === 'node') return thing;
  if (info.fieldName === 'tags') return Array.from({ length: 10 }, () => 't');
  if (info.fieldName === 'parts') return Array.from({ length: PARTS }, () => ({ name: 'p', weight: 1 }));
  if (type === 'PageInfo') return {};
  if (type === 'ThingEdge' || type === 'Thing') return thing;
  return type === 'Int' ? 1 : type === 'Boolean' ? false : 'x';
};

/** A page size: a literal, a variable (given, defaulted or absent), or nothing. */
type Size = { kind: 'none' } | { kind: 'literal'; value: number } | { kind: 'variable'; name: string };
/** Which end a page is counted from. */
type End = 'first' | 'last';
interface Built {
  /** Fields with arguments get unique aliases, so that the document stays valid (no overlapping fields). */
  aliases: number;
  variables: Map<string, { type: string; defaultValue?: string; given?: unknown }>;
  fragments: Map<string, string>;
}

// Mostly small pages, so that executing the most a query may return stays quick; sometimes the largest.
const pageSize = fc.oneof(
  fc.integer({ min: 0, max: 6 }),
  fc.constant(MAX_PAGE_SIZE),
  fc.integer({ min: 0, max: MAX_PAGE_SIZE }),
);
const idList = fc.array(fc.constant('VGhpbmc6MQ=='), { minLength: 0, maxLength: 120 });

/** A selection on Thing, built from random choices, nested at most `depth` connections deep. */
function selectionArbitrary(depth: number): fc.Arbitrary<(b: Built) => string> {
  const leaf = fc.constantFrom('id', 'name', 'tags', '__typename', 'parts { name weight }');
  const aliasOf = fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined });
  const field = fc.tuple(leaf, aliasOf).map(
    ([name, alias]) =>
      (_b: Built) =>
        `${alias ? `${alias}_${name.split(' ')[0]}: ` : ''}${name}`,
  );
  if (depth === 0)
    return fc.array(field, { minLength: 1, maxLength: 3 }).map((fields) => (b) => fields.map((f) => f(b)).join(' '));
  const child = fc
    .tuple(sizeArbitrary(), selectionArbitrary(depth - 1), fc.boolean())
    .map(([size, inner, viaEdges]) => (b: Built) => {
      const body = inner(b);
      const page = viaEdges ? `edges { node { ${body} } }` : `nodes { ${body} }`;
      return `c${b.aliases++}: children${sizeArgument(size, b)} { ${page} totalCount }`;
    });
  const fragment = fc.tuple(selectionArbitrary(depth - 1), fc.boolean()).map(([inner, inline]) => (b: Built) => {
    const body = inner(b);
    if (inline) return `... on Thing { ${body} }`;
    const name = `F${b.fragments.size}`;
    b.fragments.set(name, `fragment ${name} on Thing { ${body} }`);
    return `...${name}`;
  });
  return fc
    .array(fc.oneof(field, child, fragment), { minLength: 1, maxLength: 3 })
    .map((parts) => (b) => parts.map((p) => p(b)).join(' '));
}

type SizeChoice = { size: Size; end: End; given?: number; defaultValue?: number };

function sizeArbitrary(): fc.Arbitrary<SizeChoice> {
  const end = fc.constantFrom<End>('first', 'last');
  return fc.oneof(
    fc.constant({ size: { kind: 'none' } as Size, end: 'first' as End }),
    fc.tuple(pageSize, end).map(([value, e]) => ({ size: { kind: 'literal', value } as Size, end: e })),
    fc
      .tuple(fc.option(pageSize, { nil: undefined }), fc.option(pageSize, { nil: undefined }), end)
      .map(([given, defaultValue, e]) => ({
        size: { kind: 'variable', name: '' } as Size,
        end: e,
        given,
        defaultValue,
      })),
  );
}

function sizeArgument(choice: SizeChoice, b: Built): string {
  if (choice.size.kind === 'none') return '';
  if (choice.size.kind === 'literal') return `(${choice.end}: ${choice.size.value})`;
  const name = `n${b.variables.size}`;
  b.variables.set(name, {
    type: 'Int',
    defaultValue: choice.defaultValue === undefined ? undefined : String(choice.defaultValue),
    given: choice.given,
  });
  return `(${choice.end}: $${name})`;
}

const rootArbitrary = fc.array(
  fc.oneof(
    fc.tuple(sizeArbitrary(), selectionArbitrary(1)).map(
      ([size, inner]) =>
        (b: Built) =>
          `t${b.aliases++}: things${sizeArgument(size, b)} { nodes { ${inner(b)} } pageInfo { hasNextPage } }`,
    ),
    fc
      .tuple(idList, fc.constantFrom('literal', 'given', 'default'), selectionArbitrary(1))
      .map(([ids, how, inner]) => (b: Built) => {
        const list = JSON.stringify(ids);
        let argument = list;
        if (how !== 'literal') {
          const name = `ids${b.variables.size}`;
          b.variables.set(
            name,
            how === 'given' ? { type: '[ID!]!', given: ids } : { type: '[ID!]', defaultValue: list },
          );
          argument = `$${name}`;
        }
        return `n${b.aliases++}: nodes(ids: ${argument}) { id ... on Thing { ${inner(b)} } }`;
      }),
  ),
  { minLength: 1, maxLength: 3 },
);

function build(parts: Array<(b: Built) => string>) {
  const b: Built = { aliases: 0, variables: new Map(), fragments: new Map() };
  const selections = parts.map((p) => p(b)).join(' ');
  const definitions = [...b.variables].map(
    ([name, v]) => `$${name}: ${v.type}${v.defaultValue !== undefined ? ` = ${v.defaultValue}` : ''}`,
  );
  const header = definitions.length ? `(${definitions.join(', ')})` : '';
  const text = `query${header} { ${selections} } ${[...b.fragments.values()].join(' ')}`;
  const variables = Object.fromEntries(
    [...b.variables].filter(([, v]) => v.given !== undefined).map(([name, v]) => [name, v.given]),
  );
  return { text, variables };
}

describe('cost limit', () => {
  it('is never below what a generated query can touch (variables, defaults, fragments, aliases)', async () => {
    await fc.assert(
      fc.asyncProperty(rootArbitrary, async (parts) => {
        const { text, variables } = build(parts);
        const document = parse(text);
        const operation = document.definitions.find((d) => d.kind === 'OperationDefinition') as OperationDefinitionNode;
        const invalid = validate(schema, document);
        if (invalid.length) throw new Error(`${text}: ${invalid[0].message}`);
        resolved = 0;
        const result = await execute({
          schema,
          document,
          variableValues: variables,
          fieldResolver: greedy as GraphQLFieldResolver<unknown, unknown>,
        });
        if (result.errors) throw new Error(`${text}: ${result.errors[0].message}`);
        const { cost } = measureOperation(schema, document, operation, variables);
        if (cost < resolved)
          throw new Error(`${text} ${JSON.stringify(variables)}: cost ${cost} < ${resolved} fields resolved`);
      }),
      { numRuns: 200 },
    );
  });

  it('costs a defaulted variable at its default and nodes(ids:) at the length of its list', () => {
    const measure = (text: string, variables: Record<string, unknown> = {}) => {
      const document = parse(text);
      return measureOperation(schema, document, document.definitions[0] as OperationDefinitionNode, variables).cost;
    };
    // things, then nodes and id once per item of the page.
    expect(measure(`query($n: Int = 100) { things(first: $n) { nodes { id } } }`)).toBe(1 + 2 * 100);
    expect(measure(`query($n: Int = 100) { things(first: $n) { nodes { id } } }`, { n: 3 })).toBe(1 + 2 * 3);
    expect(measure(`query($n: Int) { things(first: $n) { nodes { id } } }`)).toBe(1 + 2 * DEFAULT_PAGE_SIZE);
    const ids = Array.from({ length: 100 }, () => 'VGhpbmc6MQ==');
    expect(measure(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids })).toBe(1 + 100);
    expect(measure(`{ nodes(ids: ${JSON.stringify(ids)}) { id } }`)).toBe(1 + 100);
  });

  it('costs a page counted from the end (last) like one from the start, defaults included', () => {
    const measure = (text: string, variables: Record<string, unknown> = {}) => {
      const document = parse(text);
      return measureOperation(schema, document, document.definitions[0] as OperationDefinitionNode, variables).cost;
    };
    expect(measure(`{ things(last: 100) { nodes { id } } }`)).toBe(1 + 2 * 100);
    expect(measure(`query($n: Int = 100) { things(last: $n) { nodes { id } } }`)).toBe(1 + 2 * 100);
    expect(measure(`query($n: Int) { things(last: $n, before: "x") { nodes { id } } }`, { n: 7 })).toBe(1 + 2 * 7);
    expect(measure(`{ things(first: 3, last: 90) { nodes { id } } }`)).toBe(1 + 2 * 90);
  });

  it('costs a plain list of objects at its declared bound', () => {
    const document = parse(`{ things(first: 10) { nodes { parts { name weight } } } }`);
    const { cost } = measureOperation(schema, document, document.definitions[0] as OperationDefinitionNode, {});
    // things, nodes, then per thing: parts and, per part, its two fields.
    expect(cost).toBe(1 + 10 + 10 * (1 + PARTS * 2));
  });
});
