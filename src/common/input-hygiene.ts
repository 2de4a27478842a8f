import { BREAK, DocumentNode, visit } from 'graphql';
import { codedError } from './errors';

/**
 * NUL is no character any input of this API needs, and PostgreSQL refuses it in text: refused
 * for every string a request carries — literals in the document and variable values — before
 * anything executes, whatever the argument's type.
 */
export const nulRefusal = () =>
  codedError('BAD_USER_INPUT', 'Text input must not contain NUL characters (U+0000)', { status: 400 });

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

/** Walked with a stack of its own: a JSON body may nest deeper than the call stack goes. */
export function valueHasNul(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'string') {
      if (item.includes('\u0000')) return true;
    } else if (Array.isArray(item)) {
      for (const child of item) pending.push(child);
    } else if (item && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        if (key.includes('\u0000')) return true;
        pending.push(child);
      }
    }
  }
  return false;
}
