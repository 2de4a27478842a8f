import { FragmentDefinitionNode, Kind, OperationDefinitionNode, parse } from 'graphql';
import { selects } from '../src/common/selection';

/** The info of the first root field of `query`, as a resolver of that field would see it. */
function infoOf(query: string) {
  const document = parse(query);
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  )!;
  const fragments = Object.fromEntries(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((f) => [f.name.value, f]),
  );
  const field = operation.selectionSet.selections[0];
  if (field.kind !== Kind.FIELD) throw new Error('expected a field');
  return { fieldNodes: [field], fragments };
}

describe('selects: whether a query asks for a field below the one being resolved', () => {
  const reasons = ['edges', 'node', 'reasons'];
  it('finds a field by name through aliases, inline and named fragments', () => {
    expect(selects(infoOf(`{ matches { edges { node { reasons { expectedRate } } } } }`), reasons)).toBe(true);
    expect(selects(infoOf(`{ matches { e: edges { n: node { r: reasons { expectedRate } } } } }`), reasons)).toBe(true);
    expect(
      selects(
        infoOf(`{ matches { edges { ... on MatchEdge { node { ... { reasons { creditGrade } } } } } } }`),
        reasons,
      ),
    ).toBe(true);
    expect(
      selects(
        infoOf(
          `{ matches { ...Page } } fragment Page on MatchConnection { edges { node { ...Why } } }` +
            ` fragment Why on Match { reasons { creditGrade } }`,
        ),
        reasons,
      ),
    ).toBe(true);
  });

  it('says no only when the path is absent (a skipped field still counts)', () => {
    expect(selects(infoOf(`{ matches { edges { node { rank quotedRate } } nodes { rank } } }`), reasons)).toBe(false);
    expect(selects(infoOf(`{ matches { edges { cursor } reasons: totalCount } }`), reasons)).toBe(false);
    expect(selects(infoOf(`{ matches { nodes { reasons { creditGrade } } } }`), reasons)).toBe(false);
    expect(selects(infoOf(`{ matches { edges { node { reasons @skip(if: true) { creditGrade } } } } }`), reasons)).toBe(
      true,
    );
  });
});
