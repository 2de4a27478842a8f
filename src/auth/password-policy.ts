import { dictionary } from '@zxcvbn-ts/language-common';

/**
 * Password rules after NIST SP 800-63B (5.1.1.2): a length range and a check against passwords
 * known from breaches, and nothing else (no composition rules, no forced changes).
 * - 12 to 128 characters, counted as Unicode code points after NFKC (what passwords.ts hashes);
 * - not one of the common passwords of zxcvbn-ts's breach-derived list (case-insensitive), nor one
 *   of them padded with digits, spaces or punctuation ("password1234", "!!iloveyou2020");
 * - not a single repeated character or a run such as "123456789012" or "abcdefghijkl";
 * - not the account's own email address.
 */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

const COMMON = new Set((dictionary['passwords-common'] as string[]).map((password) => password.toLowerCase()));
/** Padding people add to a common password to pass a length rule. */
const PADDING = /^[\d\s\p{P}\p{S}]+|[\d\s\p{P}\p{S}]+$/gu;

/** Why the password is refused, or null when it is acceptable. */
export function passwordProblem(password: string, email?: string): string | null {
  const normal = password.normalize('NFKC');
  const length = [...normal].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    return `password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long`;
  }
  const lower = normal.toLowerCase();
  const core = lower.replace(PADDING, '');
  if (COMMON.has(lower) || COMMON.has(lower.replace(/\s+/g, '')) || (core.length >= 4 && COMMON.has(core))) {
    return 'password is too common: it appears in lists of breached passwords';
  }
  if (isRepetitionOrRun(lower)) return 'password is a repeated character or a simple sequence';
  if (email && lower === email.trim().toLowerCase()) return 'password must not be the email address';
  return null;
}

function isRepetitionOrRun(text: string): boolean {
  const codes = [...text].map((character) => character.codePointAt(0)!);
  const step = codes[1] - codes[0];
  return Math.abs(step) <= 1 && codes.every((code, i) => i === 0 || code - codes[i - 1] === step);
}
