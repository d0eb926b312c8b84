import { isEmail } from 'class-validator';
import { INVISIBLE_CHARACTER, isMixedScript } from './identity-text';

/** Longest address, in UTF-8 bytes: RFC 5321's 256-octet path less its angle brackets. */
export const IDENTITY_EMAIL_MAX_BYTES = 254;

/**
 * The form an email address is stored and looked up in: NFKC-normalised (fullwidth `ａｄｍｉｎ＠…`
 * becomes `admin@…`, ligatures and compatibility characters fold to their plain letters), white
 * space trimmed, lower-cased. Registration and login must use the same function, so that an
 * account is found whatever form the address was typed in and one mailbox cannot hold two accounts
 * that differ only in case or width.
 *
 * Lower-casing the local part goes further than RFC 5321 allows in theory; in practice no provider
 * tells `Ann@` from `ann@`, and treating them as two identities is what enables look-alike accounts.
 */
export function normalizeIdentityEmail(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase().normalize('NFKC');
}

/**
 * Why a normalised email address is refused as an identity, or `undefined` when it is accepted:
 * not an address, too long, carrying characters that show nothing or reorder text (zero-width
 * space, joiners, bidi controls…), or mixing scripts within its local part or a domain label
 * (a Cyrillic `а` among Latin letters).
 */
export function identityEmailViolation(email: unknown, field = 'email'): string | undefined {
  if (typeof email !== 'string') return `${field} must be a valid email address`;
  if (INVISIBLE_CHARACTER.test(email)) {
    return `${field} must not contain invisible or text-direction characters`;
  }
  if (Buffer.byteLength(email, 'utf8') > IDENTITY_EMAIL_MAX_BYTES) {
    return `${field} must be at most ${IDENTITY_EMAIL_MAX_BYTES} bytes long`;
  }
  if (!isEmail(email, { allow_display_name: false, allow_ip_domain: false, require_tld: true })) {
    return `${field} must be a valid email address`;
  }
  const at = email.lastIndexOf('@');
  const parts = [email.slice(0, at), ...email.slice(at + 1).split('.')];
  if (parts.some(isMixedScript)) return `${field} must not mix letters of different scripts in one part`;
  return undefined;
}
