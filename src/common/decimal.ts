/**
 * Exact decimal arithmetic for money (yuan, 2 decimals) and rates (percent a year, 4 decimals).
 * Values travel as strings and are compared as BigInt in their smallest unit; no float ever
 * holds an amount or a rate.
 */
const MONEY_PATTERN = /^(0|[1-9]\d{0,14})(\.\d{1,2})?$/;
const RATE_PATTERN = /^(0|[1-9]\d?|100)(\.\d{1,4})?$/;

/**
 * What `money.format` and `rate.format` write: no leading zeros; 2 decimals, a rate up to 2 more without trailing
 * zeros.
 */
const CANONICAL_MONEY = /^(0|[1-9]\d{0,14})\.\d\d$/;
const CANONICAL_RATE = /^(0|[1-9]\d?|100)\.\d\d(?:[1-9]|\d[1-9])?$/;
const NUMERIC_RATE = /^(0|[1-9]\d{0,2})\.\d{4}$/;

export const MONEY_SCALE = 2;
export const RATE_SCALE = 4;

export function isMoneyString(value: string): boolean {
  return MONEY_PATTERN.test(value);
}

export function isRateString(value: string): boolean {
  return RATE_PATTERN.test(value) && toUnits(value, RATE_SCALE) <= 100n * 10n ** BigInt(RATE_SCALE);
}

/** "12.3" with scale 2 → 1230n. Accepts what PostgreSQL returns for NUMERIC too ("12.3000"). */
export function toUnits(value: string, scale: number): bigint {
  const match = /^(-)?(\d+)(?:\.(\d+))?$/.exec(value);
  if (!match) throw new Error('not a decimal string');
  const [, sign, whole, fraction = ''] = match;
  const significant = fraction.replace(/0+$/, '');
  if (significant.length > scale) throw new Error('too many decimal places');
  const units = BigInt(whole) * 10n ** BigInt(scale) + BigInt(fraction.padEnd(scale, '0').slice(0, scale) || '0');
  return sign ? -units : units;
}

/** 1230n with scale 2 → "12.30"; trailing zeros beyond `minDecimals` are dropped. */
export function fromUnits(units: bigint, scale: number, minDecimals = scale): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  let fraction = digits.slice(digits.length - scale);
  while (fraction.length > minDecimals && fraction.endsWith('0')) fraction = fraction.slice(0, -1);
  return `${negative ? '-' : ''}${whole}${fraction ? '.' + fraction : ''}`;
}

export const money = {
  units: (value: string) => toUnits(value, MONEY_SCALE),
  format: (units: bigint) => fromUnits(units, MONEY_SCALE),
  // Amounts read from NUMERIC(…, 2) columns are already in this form: no BigInt round trip.
  normalize: (value: string) =>
    CANONICAL_MONEY.test(value) ? value : fromUnits(toUnits(value, MONEY_SCALE), MONEY_SCALE),
};

export const rate = {
  units: (value: string) => toUnits(value, RATE_SCALE),
  format: (units: bigint) => fromUnits(units, RATE_SCALE, 2),
  // Rates read from NUMERIC(7, 4) columns ("4.3500") lose the zeros after the second decimal.
  normalize: (value: string) =>
    CANONICAL_RATE.test(value)
      ? value
      : NUMERIC_RATE.test(value)
        ? value.endsWith('00')
          ? value.slice(0, -2)
          : value.endsWith('0')
            ? value.slice(0, -1)
            : value
        : fromUnits(toUnits(value, RATE_SCALE), RATE_SCALE, 2),
};
