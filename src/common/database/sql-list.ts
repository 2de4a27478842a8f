/**
 * Enum values as a SQL list, for `status IN ${sqlList(...)}`: SQL reads the lists of their one TypeScript
 * definition (a lifecycle table, OPEN_REQUEST_STATUSES) instead of copies. Only for the project's own
 * constants (enum values, never input): they are written into the statement.
 */
export function sqlList(values: readonly string[]): string {
  if (values.some((value) => !/^[A-Z_]+$/.test(value))) throw new Error(`Not a list of enum values: ${values}`);
  return `(${values.map((value) => `'${value}'`).join(', ')})`;
}
