import { ClassType, Field, ObjectType } from 'type-graphql';
import { BusinessRuleError } from './errors';
import { MaxItems } from './pagination';

@ObjectType({ simpleResolvers: true, description: 'A business rule refused the mutation; nothing was changed.' })
export class UserError {
  @Field(() => [String], { nullable: true, description: 'Path to the input field at fault, e.g. ["input", "amount"].' })
  field: string[] | null;

  @Field(() => String, { description: 'What was refused and why, in words for people.' })
  message: string;

  @Field(() => String, { description: 'Stable machine-readable code, e.g. DISBURSEMENT_EXCEEDS_GRANT.' })
  code: string;
}

/** A refused mutation reports the one rule that refused it (toPayload). */
export const MAX_USER_ERRORS = 1;

/** Mutation payload type `<name>Payload` with one nullable result field and `userErrors`. */
export function PayloadType<T extends object>(name: string, resultField: string, resultType: () => ClassType<T>, description: string) {
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
