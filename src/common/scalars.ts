import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { isMoneyString, isRateString, money, rate } from './decimal';
import { codedError } from './errors';

function decimalScalar(options: {
  name: string;
  description: string;
  accepts: (value: string) => boolean;
  normalize: (value: string) => string;
  rule: string;
}): GraphQLScalarType<string, string> {
  // Messages state the rule only; they never repeat the value that was sent.
  const reject = (): never => {
    throw codedError('BAD_USER_INPUT', `${options.name} ${options.rule}`);
  };
  const parse = (value: unknown): string => {
    if (typeof value !== 'string' || !options.accepts(value)) return reject();
    return options.normalize(value);
  };
  return new GraphQLScalarType<string, string>({
    name: options.name,
    description: options.description,
    serialize(value) {
      if (typeof value === 'string') return options.normalize(value);
      if (typeof value === 'bigint') return options.normalize(value.toString());
      throw new GraphQLError(`${options.name} cannot represent a non-decimal value`);
    },
    parseValue: parse,
    parseLiteral(ast) {
      if (ast.kind !== Kind.STRING) return reject();
      return parse(ast.value);
    },
  });
}

export const MoneyScalar = decimalScalar({
  name: 'Money',
  description:
    'An exact amount of money in yuan (元), as a decimal string with at most 2 decimal places, e.g. "1130000.00". ' +
    'Never a number: floats cannot hold money exactly.',
  accepts: isMoneyString,
  normalize: money.normalize,
  rule:
    'must be a string holding a non-negative decimal with at most 2 decimal places ' +
    'and 15 integer digits, e.g. "2500.00"',
});

export const RateScalar = decimalScalar({
  name: 'Rate',
  description:
    'An exact annual interest rate (年化利率) in percent, as a decimal string with at most 4 decimal places, ' +
    'e.g. "4.10" for 4.10% a year.',
  accepts: isRateString,
  normalize: rate.normalize,
  rule: 'must be a string holding a percentage between 0 and 100 with at most 4 decimal places, e.g. "4.10"',
});

export const DateScalar = new GraphQLScalarType<string, string>({
  name: 'Date',
  description:
    'A calendar date (ISO 8601, YYYY-MM-DD) from 1000-01-01 to 2999-12-31, ' +
    'in China Standard Time where a day boundary matters.',
  serialize(value) {
    if (typeof value === 'string') return value.slice(0, 10);
    if (value instanceof Date) return value.toISOString().slice(0, 10);
    throw new GraphQLError('Date cannot represent this value');
  },
  parseValue: parseDate,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) return parseDate(undefined);
    return parseDate(ast.value);
  },
});

/**
 * The dates the platform deals in. Bounded so that a day after the last (an inclusive `to` is
 * read up to the next midnight) is still a date PostgreSQL and this code can write.
 */
export const EARLIEST_DATE = '1000-01-01';
export const LATEST_DATE = '2999-12-31';

function parseDate(value: unknown): string {
  const inRange = typeof value === 'string' && value >= EARLIEST_DATE && value <= LATEST_DATE;
  if (inRange && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const date = new Date(`${value}T00:00:00Z`);
    if (!Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value) return value;
  }
  const rule = `a valid calendar date as YYYY-MM-DD, from ${EARLIEST_DATE} to ${LATEST_DATE}`;
  throw codedError('BAD_USER_INPUT', `Date must be a string holding ${rule}`);
}
