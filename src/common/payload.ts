import { ClassType, Field, ObjectType, registerEnumType } from 'type-graphql';
import { BusinessRuleError, ERROR_CODES, ErrorCode } from './errors';
import { MaxItems } from './pagination';

registerEnumType(ErrorCode, {
  name: 'ErrorCode',
  description:
    'Every code the API answers with: in `userErrors { code }` of a mutation payload (a business rule ' +
    'refused it; nothing changed) and in `extensions.code` of a GraphQL error. Each says what to do.',
  valuesConfig: Object.fromEntries(
    Object.entries(ERROR_CODES).map(([code, description]) => [code, { description }]),
  ) as Record<ErrorCode, { description: string }>,
});

@ObjectType({ simpleResolvers: true, description: 'A business rule refused the mutation; nothing was changed.' })
export class UserError {
  @Field(() => [String], { nullable: true, description: 'Path to the input field at fault, e.g. ["input", "amount"].' })
  field: string[] | null;

  @Field(() => String, { description: 'What was refused and why, in words for people.' })
  message: string;

  @Field(() => ErrorCode, { description: 'Stable machine-readable code, e.g. DISBURSEMENT_EXCEEDS_GRANT.' })
  code: ErrorCode;
}

/** A refused mutation reports the one rule that refused it (toPayload). */
export const MAX_USER_ERRORS = 1;

/** Mutation payload type `<name>Payload` with one nullable result field and `userErrors`. */
export function PayloadType<T extends object>(
  name: string,
  resultField: string,
  resultType: () => ClassType<T>,
  description: string,
) {
  @ObjectType(`${name}Payload`, { simpleResolvers: true, description })
  class Payload {
    @Field(() => [UserError], { description: 'Empty when the mutation succeeded.' })
    @MaxItems(MAX_USER_ERRORS)
    userErrors: UserError[];
  }
  Field(resultType, {
    nullable: true,
    description: 'The result; null when a business rule refused the mutation (see userErrors).',
  })(Payload.prototype, resultField);
  return Payload;
}

/**
 * For payloads whose result is several fields rather than one: the service's answer with empty
 * `userErrors`, or `refused` with the business rule that refused it.
 */
export async function withUserErrors<T extends object, R extends object = T>(
  run: () => Promise<T>,
  refused: R,
): Promise<(T | R) & { userErrors: UserError[] }> {
  try {
    return { ...(await run()), userErrors: [] };
  } catch (error) {
    if (!(error instanceof BusinessRuleError)) throw error;
    return { ...refused, userErrors: [{ field: error.field, message: error.message, code: error.code }] };
  }
}

/** Runs a service call and maps a refused business rule to `userErrors`. */
export async function toPayload<T>(resultField: string, run: () => Promise<T>): Promise<Record<string, unknown>> {
  try {
    return { [resultField]: await run(), userErrors: [] };
  } catch (error) {
    if (error instanceof BusinessRuleError) {
      return { [resultField]: null, userErrors: [{ field: error.field, message: error.message, code: error.code }] };
    }
    throw error;
  }
}
