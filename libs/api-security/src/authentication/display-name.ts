import { codePointLength, INVISIBLE_CHARACTER } from './identity-text';

/** Default longest display name, in Unicode code points. */
export const DISPLAY_NAME_MAX_LENGTH = 100;

/** What a display name is stored as: white space trimmed at both ends, NFC form (canonical, meaning kept). */
export function normalizeDisplayName(name: string): string {
  return name.trim().normalize('NFC');
}

/** Joiners and variation selectors: invisible, but part of how Persian, Indic scripts and emoji are written. */
const SHAPING = /\u200c|\u200d|[\ufe00-\ufe0f]/gu;

/**
 * Why a normalised display name is refused, or `undefined` when it is accepted: empty, longer than
 * `maxLength` code points, or carrying a character that shows nothing or reorders text. The shaping
 * characters are accepted only between visible characters, never alone or at an end.
 */
export function displayNameViolation(name: unknown, maxLength: number, field = 'name'): string | undefined {
  if (typeof name !== 'string') return `${field} must be a string`;
  if (name === '') return `${field} must not be empty`;
  const length = codePointLength(name);
  if (length > maxLength) return `${field} must be at most ${maxLength} characters long`;
  const bare = name.replace(SHAPING, '');
  if (INVISIBLE_CHARACTER.test(bare) || /^(?:\u200c|\u200d|[\ufe00-\ufe0f])|(?:\u200c|\u200d)$/u.test(name)) {
    return `${field} must not contain invisible or text-direction characters`;
  }
  if (bare.trim() === '') return `${field} must not be empty`;
  return undefined;
}
