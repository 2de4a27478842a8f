import type { FragmentDefinitionNode, GraphQLResolveInfo, SelectionSetNode } from 'graphql';
import { Kind } from 'graphql';

/**
 * Whether the selection below the field being resolved reaches `path` (field names, not aliases),
 * through fragments of any type. Directives are not evaluated, so a field under `@skip` still
 * counts: a yes may be more than needed, a no is certain. For reading a column only when asked.
 */
export function selects(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>, path: readonly string[]): boolean {
  return info.fieldNodes.some((node) => reaches(node.selectionSet, path, 0, info.fragments));
}

function reaches(
  selectionSet: SelectionSetNode | undefined,
  path: readonly string[],
  depth: number,
  fragments: Record<string, FragmentDefinitionNode>,
): boolean {
  if (!selectionSet) return false;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (
        selection.name.value === path[depth] &&
        (depth === path.length - 1 || reaches(selection.selectionSet, path, depth + 1, fragments))
      )
        return true;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      if (reaches(selection.selectionSet, path, depth, fragments)) return true;
    } else if (reaches(fragments[selection.name.value]?.selectionSet, path, depth, fragments)) {
      return true;
    }
  }
  return false;
}
