import { BREAK, DocumentNode, GraphQLError, visit } from 'graphql';

/**
 * NUL is no character any input of this API needs, and PostgreSQL refuses it in text: refused
 * for every string a request carries — literals in the document and variable values — before
 * anything executes, whatever the argument's type.
 */
export const nulRefusal = () =>
  new GraphQLError('Text input must not contain NUL characters (U+0000)', {
    extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
  });

export function documentHasNul(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    StringValue(node) {
      if (node.value.includes('\u0000')) {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

export function valueHasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(valueHasNul);
  if (value && typeof value === 'object')
    return Object.entries(value).some(([key, item]) => key.includes('\u0000') || valueHasNul(item));
  return false;
}
