import type { ApolloServerOptionsWithGateway } from '@apollo/server';
import {
  DocumentNode,
  execute,
  ExecutionResult,
  FragmentDefinitionNode,
  GraphQLError,
  GraphQLSchema,
  Kind,
  OperationDefinitionNode,
  SelectionSetNode,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import { codedError } from './errors';

type Gateway = ApolloServerOptionsWithGateway<never>['gateway'];
type Executor = Awaited<ReturnType<Gateway['load']>>['executor'];

/**
 * Executes queries compiled by graphql-jit: each distinct document is compiled once into a
 * function that calls the same resolvers (so every access rule stays where it is) without
 * graphql-js's per-field interpretation, on the one public schema; introspection is left to
 * graphql-js, the reference for it. The compiled function hangs off the parsed document, which
 * Apollo's document store already keeps per query text; nothing here holds rows.
 *
 * Variables are coerced by graphql-js first, so a bad variable gets graphql-js's exact error
 * (Apollo answers it BAD_USER_INPUT, 400). Mutations and subscriptions run through graphql-js:
 * graphql-jit does not apply the defaults of input fields nested in lists, and mutations are
 * not where reads spend their time.
 */
export function compiledExecution(schema: GraphQLSchema): Gateway {
  const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | null>>();

  const compiledFor = (
    document: DocumentNode,
    operation: OperationDefinitionNode,
    operationName: string | undefined,
  ): CompiledQuery | null => {
    let byName = compiled.get(document);
    if (!byName) compiled.set(document, (byName = new Map()));
    const key = operationName ?? '';
    if (!byName.has(key)) {
      // Introspection is rare: graphql-js answers it.
      const query = introspects(document, operation) ? null : compileQuery(schema, document, operationName);
      byName.set(key, query && isCompiledQuery(query) ? query : null);
    }
    return byName.get(key)!;
  };

  const executor: Executor = async (request) => {
    const { document, operationName, operation, context } = request as unknown as {
      document: DocumentNode;
      operationName?: string;
      operation: OperationDefinitionNode | undefined;
      context: unknown;
    };
    // Apollo leaves resolving the operation to a gateway: no operation of that name is the client's mistake.
    if (!operation) {
      const asked = (request.request as { operationName?: string }).operationName;
      // The name is not repeated back: nothing the client sent is echoed.
      const message = asked
        ? 'No operation in the document has the given operationName.'
        : 'Must provide operation name if query contains multiple operations.';
      return { errors: [codedError('OPERATION_RESOLUTION_FAILURE', message, { status: 400 })] } as never;
    }
    const variables = (request.request.variables ?? {}) as Record<string, unknown>;
    const interpreted = () =>
      execute({ schema, document, contextValue: context, variableValues: variables, operationName }) as
        Promise<ExecutionResult> | ExecutionResult;
    if (operation.operation !== 'query') return interpreted() as never;
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables, { maxErrors: 50 });
    if (coerced.errors) return { errors: coerced.errors } as never;
    const query = compiledFor(document, operation, operationName);
    if (!query) return interpreted() as never;
    return withGraphQLErrors(await query.query(undefined, context, variables)) as never;
  };

  return {
    async load() {
      return { schema, executor };
    },
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => undefined;
    },
    async stop() {},
  };
}

/** Whether an operation reads `__schema` or `__type` (only possible at its root). */
function introspects(document: DocumentNode, operation: OperationDefinitionNode): boolean {
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  const seen = new Set<string>();
  const reads = (selectionSet: SelectionSetNode): boolean =>
    selectionSet.selections.some((selection) => {
      if (selection.kind === Kind.FIELD)
        return selection.name.value === '__schema' || selection.name.value === '__type';
      if (selection.kind === Kind.INLINE_FRAGMENT) return reads(selection.selectionSet);
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || seen.has(name)) return false;
      seen.add(name);
      return reads(fragment.selectionSet);
    });
  return reads(operation.selectionSet);
}

/**
 * graphql-jit's errors look like graphql-js's but are built without `extensions` where the
 * original error has none — exactly the unexpected ones. Apollo then fails while formatting them
 * and answers a bare "Internal server error" without calling `formatError`, so they never reached
 * the log. Rebuilt as graphql-js errors (message, path, locations, original error), they take the
 * same way as every other error (and a database timeout among them becomes a retryable 503).
 */
export function withGraphQLErrors<T extends ExecutionResult>(result: T): T {
  if (!result.errors?.length) return result;
  const errors = result.errors.map((error) => {
    if (error.extensions && typeof error.toJSON === 'function') return error;
    const rebuilt = new GraphQLError(error.message, {
      path: error.path,
      originalError: error.originalError ?? undefined,
      extensions: error.extensions ?? {},
    });
    if (error.locations) Object.defineProperty(rebuilt, 'locations', { value: error.locations, enumerable: true });
    return rebuilt;
  });
  return { ...result, errors };
}
