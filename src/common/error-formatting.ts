import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ArgumentValidationError } from 'type-graphql';
import type { ValidationError } from 'class-validator';
import { transientKind, unavailable } from './database/transaction';
import { ErrorCode } from './errors';

/** Codes whose messages are written for clients; anything else is masked. */
const CLIENT_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'BAD_USER_INPUT',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'QUERY_TOO_DEEP',
  'QUERY_TOO_COSTLY',
  'TOO_MANY_ALIASES',
  'TOO_MANY_DEFINITIONS',
  'TOO_MANY_SUBSCRIPTIONS',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
  'SIGN_IN_BUSY',
  'ENTERPRISE_NOT_VERIFIED',
  'TOO_MANY_IDS',
]);

const NAME = '[_A-Za-z][_0-9A-Za-z]{0,63}';
const CLEAN_PATH = new RegExp(`^\\$?${NAME}(?:\\.${NAME}|\\[\\d{1,6}\\])*$`);

/**
 * graphql-js quotes the offending value in many messages ("got invalid value 0.123 at …",
 * "found 0.1", "non-integer value: 1.5"). Clients get the rule and the field path, never the
 * value they sent.
 */
export function withoutEchoedInput(message: string): string {
  const variable = new RegExp(`^Variable "(\\$${NAME})" got invalid value ([\\s\\S]*)$`).exec(message);
  if (variable) {
    const rest = variable[2];
    let cut = -1;
    let path = '';
    for (let at = rest.lastIndexOf(' at "'); at >= 0; at = rest.lastIndexOf(' at "', at - 1)) {
      const end = rest.indexOf('"; ', at + 5);
      const candidate = end > 0 ? rest.slice(at + 5, end) : '';
      if (CLEAN_PATH.test(candidate)) {
        cut = end + 3;
        path = candidate;
        break;
      }
      if (at === 0) break;
    }
    const inner = cut > 0 ? rest.slice(cut) : rest.slice(rest.indexOf('; ') + 2);
    return `Variable "${variable[1]}" has an invalid value${path ? ` at "${path}"` : ''}: ${innerRule(inner)}`;
  }
  const literal = /^Expected value of type "([^"]+)", found [\s\S]*?(?:; ([\s\S]*)|\.)$/.exec(message);
  if (literal) return `Expected value of type "${literal[1]}"${literal[2] ? `: ${innerRule(literal[2])}` : ''}`;
  return innerRule(message);
}

function innerRule(message: string): string {
  let match = /^(Int|Float|String|Boolean|ID) cannot represent ([^:]*?)(?::[\s\S]*)?$/.exec(message);
  if (match) return `${match[1]} cannot represent ${match[2]}`;
  match = /^Enum "([^"]+)" cannot represent non-enum value[\s\S]*$/.exec(message);
  if (match) return `Enum "${match[1]}" cannot represent this value.`;
  match = /^Value [\s\S]* does not exist in "([^"]+)" enum[\s\S]*$/.exec(message);
  if (match) return `Value does not exist in "${match[1]}" enum.`;
  match = /^Field "([^"]*)" is not defined by type "([^"]+)"[\s\S]*$/.exec(message);
  if (match) {
    const field = new RegExp(`^${NAME}$`).test(match[1]) ? `"${match[1]}"` : 'given';
    return `Field ${field} is not defined by type "${match[2]}".`;
  }
  match = /^Expected type "([^"]+)" to be an object\.?$/.exec(message);
  if (match) return message;
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

function flattenValidationErrors(
  errors: ValidationError[],
  prefix: string,
): Array<{ field: string; messages: string[] }> {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/**
 * Whether an error is the server's to log (a defect or an outage) rather than a client's mistake:
 * anything answered as INTERNAL_SERVER_ERROR or SERVICE_UNAVAILABLE.
 */
export function isServerError(error: GraphQLError): boolean {
  if (unwrapResolverError(error) instanceof ArgumentValidationError) return false;
  const code = error.extensions?.code;
  return typeof code !== 'string' || code === 'SERVICE_UNAVAILABLE' || !CLIENT_CODES.has(code);
}

/** Apollo `formatError`: typed codes, field paths, no stack traces, no SQL, no echoed input. */
export function formatGraphQLError(
  formatted: GraphQLFormattedError,
  error: unknown,
  options: { production?: boolean } = {},
): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof ArgumentValidationError) {
    return {
      message: 'The input is not valid',
      locations: formatted.locations,
      path: formatted.path,
      extensions: {
        code: 'BAD_USER_INPUT' satisfies ErrorCode,
        validationErrors: flattenValidationErrors(original.extensions.validationErrors as ValidationError[], 'input'),
      },
    };
  }
  const code = String(formatted.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
  // A read that met a timeout or a database going away (mutations get this from withTransaction):
  // retryable, HTTP 503 (server.ts, retryableIsUnavailable); the request pipeline logs it as one line.
  const transient = code === 'INTERNAL_SERVER_ERROR' ? transientKind(original) : null;
  if (transient) {
    const { message, extensions } = unavailable(transient);
    return { message, locations: formatted.locations, path: formatted.path, extensions: { code: extensions.code } };
  }
  if (!CLIENT_CODES.has(code)) {
    // The detail goes to the server log only (the request pipeline's onError, src/server.ts).
    return {
      message: 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' satisfies ErrorCode },
    };
  }
  const field = formatted.extensions?.field;
  const message = withoutEchoedInput(formatted.message);
  return {
    // In production, no "Did you mean …?": the schema is not for guessing.
    message: options.production ? message.replace(/ Did you mean [^?]*\?/g, '') : message,
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code, ...(typeof field === 'string' ? { field } : {}) },
  };
}
