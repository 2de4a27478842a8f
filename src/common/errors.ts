import { GraphQLError } from 'graphql';

/** Error codes carried in `extensions.code` of GraphQL errors (malformed input, identity, permission). */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  ENTERPRISE_NOT_VERIFIED: 'ENTERPRISE_NOT_VERIFIED',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
} as const;

/** Seconds a client is told to wait before retrying a request refused for a transient condition. */
export const RETRY_AFTER_SECONDS = 1;

export class BadInputError extends GraphQLError {
  constructor(message: string, field?: string) {
    super(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, ...(field ? { field } : {}) } });
  }
}

export class UnauthenticatedError extends GraphQLError {
  constructor(message = 'This operation needs an identified actor') {
    super(message, { extensions: { code: ErrorCode.UNAUTHENTICATED } });
  }
}

export class ForbiddenError extends GraphQLError {
  constructor(message = 'The acting party may not perform this operation') {
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

/** Also answers for objects that exist but are not visible to the actor: both look alike. */
export class NotFoundError extends GraphQLError {
  constructor(typeName: string) {
    super(`${typeName} not found`, { extensions: { code: ErrorCode.NOT_FOUND } });
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
    readonly code: string,
    message: string,
    readonly field: string[] | null = null,
  ) {
    super(message);
    this.name = 'BusinessRuleError';
  }
}
