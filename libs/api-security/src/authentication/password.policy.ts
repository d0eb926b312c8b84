import { COMMON_PASSWORDS } from './common-passwords.data';
import { codePointLength, INVISIBLE_CHARACTER } from './identity-text';

/**
 * Shortest accepted password, in Unicode code points. OWASP ASVS 5.0 (V6.2.1) requires 8 and
 * strongly recommends 15; NIST SP 800-63B-4 requires 15 for a password that is the only factor and
 * 8 within multi-factor authentication. 12 is this library's floor.
 */
export const PASSWORD_MIN_LENGTH = 12;
/** Longest accepted password, in Unicode code points: long passphrases yes, megabytes to hash no. */
export const PASSWORD_MAX_LENGTH = 128;

let common: ReadonlySet<string> | undefined;

/**
 * The bundled common and breached passwords as a set, built once (PasswordService warms it at
 * boot) from the generated list: the 10,000 most common passwords of leaked password corpora plus
 * every further one long enough to pass the length rule.
 */
export function commonPasswords(): ReadonlySet<string> {
  common ??= new Set(COMMON_PASSWORDS.split('\n'));
  return common;
}

/** The form passwords are compared in: compatibility-folded (fullwidth `ｐａｓｓ` is `pass`) and lower-cased. */
function comparable(password: string): string {
  return password.normalize('NFKC').toLowerCase();
}

/** `password` made only of white space and characters that show nothing. */
const BLANK = new RegExp(`^(?:\\p{White_Space}|${INVISIBLE_CHARACTER.source})*$`, 'u');

/**
 * Why `password` breaks the policy, as a message naming `field`, or `undefined` when it is
 * acceptable. The policy (OWASP ASVS 5.0 V6.2, NIST SP 800-63B-4 §3.1.1.2):
 *
 * - 12 to 128 characters, counted as Unicode code points of the NFC form, so an emoji or an
 *   accented letter counts as one character however the client composed it;
 * - not only white space or invisible characters, not one character repeated;
 * - not on the bundled list of common and breached passwords, compared after NFKC folding and
 *   lower-casing, so `PASSWORD1234` and fullwidth variants are refused too;
 * - no composition rules (no "one digit, one symbol"): they make passwords weaker and harder to remember.
 *
 * The password itself is never altered: what is hashed is what the user typed.
 */
export function passwordPolicyViolation(password: unknown, field = 'password'): string | undefined {
  if (typeof password !== 'string') return `${field} must be a string`;
  const length = codePointLength(password.normalize('NFC'));
  if (length < PASSWORD_MIN_LENGTH) return `${field} must be at least ${PASSWORD_MIN_LENGTH} characters long`;
  if (length > PASSWORD_MAX_LENGTH) return `${field} must be at most ${PASSWORD_MAX_LENGTH} characters long`;
  if (BLANK.test(password)) return `${field} must not be only spaces or invisible characters`;
  const folded = comparable(password);
  const [first] = folded;
  if (first !== undefined && folded.split(first).every((rest) => rest === '')) {
    return `${field} must not be one character repeated`;
  }
  if (commonPasswords().has(folded)) {
    return `${field} is too common: choose one that is not on lists of common or breached passwords`;
  }
  return undefined;
}
