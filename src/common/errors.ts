import { GraphQLError } from 'graphql';

/**
 * Every code the server answers with, in `extensions.code` of a GraphQL error or in a payload's
 * `userErrors { code }`, with what it means and what the client should do. The one source of the
 * schema enum `ErrorCode` and of the TypeScript type: a code not listed here does not compile.
 */
export const ERROR_CODES = {
  // Request-level (extensions.code): the request or a field was refused.
  BAD_REQUEST:
    'The HTTP request is not a GraphQL request (malformed JSON, wrong method or media type). Fix the request.',
  GRAPHQL_PARSE_FAILED: 'The document is not valid GraphQL syntax. Fix the document.',
  GRAPHQL_VALIDATION_FAILED:
    'The document does not fit the schema (unknown field, wrong argument, bad literal). Fix the document.',
  OPERATION_RESOLUTION_FAILURE: 'The document has no operation of the given operationName, or needs one.',
  PERSISTED_QUERY_NOT_FOUND: 'The persisted query hash is not known: send the full document.',
  PERSISTED_QUERY_NOT_SUPPORTED: 'Persisted queries are not supported: send the full document.',
  BAD_USER_INPUT:
    'An argument or input field is malformed (see `field` or `validationErrors`). Correct it; nothing changed.',
  UNAUTHENTICATED:
    'No identified caller: sign in and send `Authorization: Bearer <token>` (HTTP 401 when a token was ' +
    'sent and refused: sign in again or refresh the session).',
  FORBIDDEN: 'The signed-in account may not do this (wrong role or party). Another account is needed.',
  NOT_FOUND: 'No such object, or one the caller may not see: both answer alike. Check the ID.',
  ENTERPRISE_NOT_VERIFIED:
    'The enterprise account is not verified yet (实名认证): verify it (operator review or identity assertion).',
  QUERY_TOO_DEEP: 'The query is nested too deeply. Split it into several queries.',
  QUERY_TOO_COSTLY: 'The query could touch too many items. Ask for smaller pages.',
  TOO_MANY_ALIASES: 'The query uses too many aliases. Split it into several queries.',
  TOO_MANY_DEFINITIONS: 'The document defines too many operations and fragments. Send fewer.',
  TOO_MANY_CONNECTIONS:
    'Too many open WebSocket connections from this address or account. Close one, or reuse one connection.',
  TOO_MANY_SUBSCRIPTIONS: 'Too many subscriptions on one WebSocket connection. Complete one before starting another.',
  TOO_MANY_IDS: 'More IDs than one call takes (`nodes`: 100). Ask in several calls.',
  RATE_LIMITED: 'Too many requests or failed sign-ins (HTTP 429). Wait for `Retry-After` seconds, then retry.',
  SIGN_IN_BUSY: 'Sign-in is busy hashing passwords (HTTP 503). Retry after `Retry-After` seconds.',
  SERVICE_UNAVAILABLE:
    'A transient condition (HTTP 503): retry after `Retry-After` seconds; a mutation with its idempotencyKey ' +
    'then has one effect.',
  INTERNAL_SERVER_ERROR: 'An unexpected error; it is logged with the request id. Report it with `X-Request-Id`.',
  // Business rules (userErrors): nothing was changed.
  INVALID_CREDENTIALS: 'The email or password is not correct.',
  ACCOUNT_DISABLED: 'The account was disabled by an operator or its institution admin; ask them to enable it.',
  INVALID_REFRESH_TOKEN: 'The refresh token is unknown, used or expired: sign in again.',
  WEAK_PASSWORD: 'The password is too short, too common or too close to the email: choose another.',
  EMAIL_TAKEN: 'The email already has an account; use another address (or sign in with that account).',
  INVALID_INVITATION:
    'The invitation token is unknown, used, revoked or expired: ask the institution’s admin for a new invitation.',
  TOO_MANY_PENDING_INVITATIONS:
    'The institution has as many invitations waiting for an answer as it may: revoke some or let them expire first.',
  OWN_ACCOUNT: 'An account cannot disable or enable itself; ask another admin or an operator.',
  INSTITUTION_NAME_TAKEN: 'An institution with this name already exists.',
  ESTABLISHED_IN_FUTURE: 'The enterprise’s date established lies in the future.',
  IDENTITY_VERIFIER_NOT_CONFIGURED:
    'This platform accepts no identity assertions; ask the platform operator to verify the enterprise.',
  IDENTITY_ASSERTION_REJECTED: 'The signed identity assertion was refused (see the message); get a fresh one.',
  USCC_ALREADY_VERIFIED: 'Another registration of this USCC is verified; an operator can reassign it.',
  NOT_VERIFIED: 'The registration to move from is not the verified one of its USCC.',
  DIFFERENT_USCC: 'The two registrations claim different USCCs.',
  SAME_REGISTRATION: 'Both IDs name the same registration.',
  INVALID_AMOUNT: 'The amount must be above zero.',
  VALID_UNTIL_PAST: 'validUntil lies in the past; give today or a later date.',
  REQUEST_HAS_CREDIT: 'Credit was granted on this financing request; it can no longer be withdrawn.',
  REQUEST_WITHDRAWN: 'The financing request was withdrawn; post a new one.',
  REQUEST_EXPIRED: 'The financing request is past its validUntil date; post a new one.',
  NOT_ELIGIBLE: 'The financing request does not meet the product’s criteria (the message names them).',
  ALREADY_APPLIED: 'This financing request already has an application to this product.',
  RESPONSE_DEADLINE_PASSED: 'The institution’s response deadline has passed; the application expires.',
  INVALID_TRANSITION:
    'The object is not in a state that allows this step (the message says which state it is in and what ' +
    'can be done); read it again.',
  GRANT_AWAITS_APPROVAL:
    'The credit grant awaits its second approval (four-eyes): another staff member approves it with ' +
    'approveCreditGrant before disbursing.',
  BORROWER_NOT_VERIFIED:
    'The borrower’s registration lost its verification (revoked or moved by the operator): nothing more is ' +
    'accepted, granted or disbursed on its applications.',
  GRANT_PENDING: 'A grant on this application already awaits its second approval; approve that one.',
  GRANT_NOT_PENDING: 'This grant does not await approval (already approved).',
  MAKER_CANNOT_CHECK: 'The staff member who proposed a grant cannot approve it; another staff member must.',
  AMOUNT_OUTSIDE_PRODUCT_LIMITS: 'The amount lies outside the product’s minimum and maximum.',
  RATE_OUTSIDE_PRODUCT_RANGE: 'The annual rate lies outside the product’s rate range.',
  TERM_OUTSIDE_PRODUCT_RANGE: 'The term lies outside the product’s term range.',
  GRANTS_EXCEED_REQUEST: 'The grants on this financing request would exceed the amount it asked for.',
  DISBURSEMENT_EXCEEDS_GRANT: 'The tranches would exceed the granted amount.',
  DISBURSED_BEFORE_GRANT: 'disbursedOn lies before the day the credit was granted.',
  PRODUCT_RETIRED: 'A retired product cannot change.',
  INVALID_AMOUNT_RANGE: 'minAmount must be above zero and not exceed maxAmount.',
  INVALID_TERM_RANGE: 'minTermMonths must not exceed maxTermMonths.',
  INVALID_RATE_RANGE: 'minRate must not exceed maxRate.',
  DUPLICATE_GRADE_RATE: 'A credit grade has more than one rate.',
  GRADE_RATE_OUTSIDE_RANGE: 'A grade’s rate lies outside the product’s rate range.',
  REASON_REQUIRED: 'Declining needs a reason the enterprise can read.',
  NOT_AUTHORIZED: 'The institution holds no authorisation to revoke.',
  IDEMPOTENCY_KEY_REUSED: 'The idempotency key was used for a different request; use a new key.',
  INVALID_URL: 'The webhook URL must be an absolute https URL without credentials.',
  URL_NOT_ALLOWED: 'The webhook URL points at a private, loopback or link-local address.',
  INVALID_EVENT_TYPES: 'The webhook names no event type, or an unknown one.',
  INVALID_OVERLAP: 'overlapHours must be 0 to 168.',
  INVALID_SCHEDULE: 'The holiday schedule is not valid (the message says why).',
} as const satisfies Record<string, string>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes by name (`ErrorCode.NOT_FOUND`); also registered as the schema enum `ErrorCode`. */
export const ErrorCode = Object.fromEntries(Object.keys(ERROR_CODES).map((code) => [code, code])) as {
  readonly [Code in ErrorCode]: Code;
};

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/** A GraphQL error with a listed code (and, for refusals of the whole request, its HTTP status). */
export function codedError(
  code: ErrorCode,
  message: string,
  http?: { status: number; headers?: Map<string, string> },
): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...(http ? { http } : {}) } });
}

/** The JSON body of a refusal answered outside GraphQL execution (HTTP middleware). */
export function errorBody(code: ErrorCode, message: string): string {
  return JSON.stringify({ errors: [{ message, extensions: { code } }] });
}

/** Seconds a client is told to wait before retrying a request refused for a transient condition. */
export const RETRY_AFTER_SECONDS = 1;

export class BadInputError extends GraphQLError {
  constructor(message: string, field?: string) {
    super(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, ...(field ? { field } : {}) } });
  }
}

export class UnauthenticatedError extends GraphQLError {
  constructor(message = 'Sign in first: this operation needs a signed-in account') {
    super(message, { extensions: { code: ErrorCode.UNAUTHENTICATED } });
  }
}

export class ForbiddenError extends GraphQLError {
  constructor(message = 'This account may not perform this operation') {
    super(message, { extensions: { code: ErrorCode.FORBIDDEN } });
  }
}

/**
 * A permission refusal of its own kind: the enterprise account acts for a USCC only once its
 * claim is verified (实名认证); until then it may read what it entered and nothing more.
 */
export class EnterpriseNotVerifiedError extends GraphQLError {
  constructor() {
    super('The enterprise is not verified yet (实名认证): this needs a verified enterprise', {
      extensions: { code: ErrorCode.ENTERPRISE_NOT_VERIFIED },
    });
  }
}

/**
 * Also answers for objects that exist but are not visible to the actor: both look alike. The type
 * is named in words ("Financing request not found"), not as the schema spells it.
 */
export class NotFoundError extends GraphQLError {
  constructor(typeName: string) {
    const words = typeName.replace(/(?<=[a-z])(?=[A-Z])/g, ' ').toLowerCase();
    super(`${words.charAt(0).toUpperCase()}${words.slice(1)} not found`, { extensions: { code: ErrorCode.NOT_FOUND } });
  }
}

/**
 * A transient condition (a conflict that outlasted its retries, a timeout, the database down or
 * restarting). The request may be sent again; a lifecycle mutation sent with its idempotency key
 * then has one effect even where a connection was lost during COMMIT. HTTP 503 with Retry-After,
 * whichever path answered the request.
 */
export class ServiceUnavailableError extends GraphQLError {
  constructor(message: string) {
    super(message, {
      extensions: {
        code: ErrorCode.SERVICE_UNAVAILABLE,
        http: { status: 503, headers: new Map([['retry-after', String(RETRY_AFTER_SECONDS)]]) },
      },
    });
  }
}

/**
 * A business rule refused the operation. Services throw it (rolling back their transaction);
 * resolvers turn it into the payload's `userErrors`.
 */
export class BusinessRuleError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field: string[] | null = null,
  ) {
    super(message);
    this.name = 'BusinessRuleError';
  }
}
