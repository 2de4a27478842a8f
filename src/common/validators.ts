import { registerDecorator, ValidationOptions } from 'class-validator';
import { isValidUscc } from './reference/uscc';
import { isKnownRegionCode } from './reference/regions';
import { isValidIndustryCode, isValidIndustryCriterion } from './reference/industries';
import { DEFAULT_RETENTION_DAYS } from './config';

function rule(name: string, message: string, test: (value: unknown) => boolean) {
  return (options?: ValidationOptions) => (target: object, propertyName: string) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName,
      options: { message, ...options },
      validator: { validate: (value: unknown) => test(value) },
    });
}

export const IsUscc = rule(
  'isUscc',
  '$property must be a valid 统一社会信用代码 (18 characters, GB 32100-2015 check character)',
  (v) => typeof v === 'string' && isValidUscc(v),
);

export const IsRegionCode = rule(
  'isRegionCode',
  '$property must be a known GB/T 2260 region code',
  (v) => typeof v === 'string' && isKnownRegionCode(v),
);

export const IsRegionCodeList = rule(
  'isRegionCodeList',
  '$property must hold known GB/T 2260 region codes',
  (v) => Array.isArray(v) && v.every((code) => typeof code === 'string' && isKnownRegionCode(code)),
);

export const IsIndustryCode = rule(
  'isIndustryCode',
  '$property must be a GB/T 4754 industry: section letter and its division, e.g. "C13"',
  (v) => typeof v === 'string' && isValidIndustryCode(v),
);

export const IsIndustryCriterionList = rule(
  'isIndustryCriterionList',
  '$property must hold GB/T 4754 sections ("C") or divisions ("C13")',
  (v) => Array.isArray(v) && v.every((code) => typeof code === 'string' && isValidIndustryCriterion(code)),
);

/**
 * Free text people read (names, purposes, reasons): no control characters (Cc) nor the line and
 * paragraph separators that break lines as they do, no bidirectional formatting characters
 * (overrides, embeddings, isolates, marks: they can make a name read as something else), and not
 * only invisible characters and spaces (Cc, Cf, Z, the default-ignorable fillers such as U+3164
 * that are letters but render as nothing, and the blank Braille pattern).
 */
export function isPlainText(value: unknown): boolean {
  if (typeof value !== 'string' || /[\p{Cc}\p{Zl}\p{Zp}\p{Bidi_Control}]/u.test(value)) return false;
  return !/^[\p{Cc}\p{Cf}\p{Z}\p{Default_Ignorable_Code_Point}\u2800\s]*$/u.test(value);
}

export const IsPlainText = rule(
  'isPlainText',
  '$property must be visible text: no control or bidirectional formatting characters, not only blanks',
  isPlainText,
);

/** What a client is promised about an idempotency key (the retention job keeps it; src/common/idempotency.ts). */
export const IDEMPOTENCY_KEY_DESCRIPTION =
  'Retry-safe key: a retry with the same key and input has one effect and the same answer; ' +
  "another input under it is refused. A key is remembered for the server's retention period, at least a day " +
  `(${DEFAULT_RETENTION_DAYS.idempotency_key} days by default); after that the same key starts a new call.`;

export const IsIdempotencyKey = rule(
  'isIdempotencyKey',
  '$property must be 1–100 characters of letters, digits, "-", "_", ":" or "."',
  (v) => v == null || (typeof v === 'string' && /^[A-Za-z0-9_.:-]{1,100}$/.test(v)),
);
