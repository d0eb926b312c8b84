import { createPrivateKey, hkdfSync, randomBytes } from 'node:crypto';

/** Shortest `audit.accountHashKey`: an HMAC-SHA-256 key as long as its output (RFC 2104 §3). */
export const MIN_ACCOUNT_HASH_KEY_BYTES = 32;

/** Keeps the derived key apart from every other use of the JWT secret (RFC 5869 `info`). */
const DERIVATION_INFO = 'api-security/audit/account-pseudonyms/v1';

/** Bits of a client address kept in security events; the rest are zeroed. */
export interface IpTruncation {
  /**
   * Leading bits kept of an IPv4 address (0–32).
   * @default 24
   */
  v4?: number;
  /**
   * Leading bits kept of an IPv6 address (0–128).
   * @default 48
   */
  v6?: number;
}

/** Where the account-hash key came from, for the one boot warning. */
export type AccountHashKeySource = 'configured' | 'derived' | 'generated';

/** The resolved pseudonymisation settings. */
export interface ResolvedAuditPrivacy {
  /** HMAC-SHA-256 key of account and client pseudonyms. */
  readonly accountHashKey: Buffer;
  readonly accountHashKeySource: AccountHashKeySource;
  readonly ipTruncation: Readonly<Required<IpTruncation>> | 'none';
}

/**
 * The key of account pseudonyms: the configured one; else one derived (HKDF-SHA-256) from the JWT
 * signing secret, which every instance already shares and production already requires; else, outside
 * production only, a random key for this process.
 */
export function resolveAccountHashKey(
  configured: unknown,
  jwt: { secret?: string; privateKey?: string },
  production: boolean,
  problems: string[],
): { key: Buffer; source: AccountHashKeySource } {
  if (configured !== undefined) {
    const key =
      typeof configured === 'string'
        ? Buffer.from(configured, 'utf8')
        : Buffer.isBuffer(configured)
          ? configured
          : undefined;
    if (key === undefined || key.length < MIN_ACCOUNT_HASH_KEY_BYTES) {
      problems.push(
        `audit.accountHashKey must be a random secret of at least ${MIN_ACCOUNT_HASH_KEY_BYTES} bytes (string or Buffer), e.g. openssl rand -base64 48.`,
      );
      return { key: randomBytes(32), source: 'generated' };
    }
    return { key: Buffer.from(key), source: 'configured' };
  }
  const material = signingMaterial(jwt);
  if (material) {
    return { key: Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), DERIVATION_INFO, 32)), source: 'derived' };
  }
  if (production) {
    problems.push(
      'audit.accountHashKey is required in production when no JWT signing secret is configured: account pseudonyms must be the same on every instance and across restarts.',
    );
  }
  return { key: randomBytes(32), source: 'generated' };
}

/** The signing secret in a canonical form, so the same key written differently derives the same pseudonyms. */
function signingMaterial(jwt: { secret?: string; privateKey?: string }): Buffer | undefined {
  if (typeof jwt.secret === 'string' && jwt.secret.length > 0) return Buffer.from(jwt.secret, 'utf8');
  if (typeof jwt.privateKey === 'string' && jwt.privateKey.length > 0) {
    try {
      return createPrivateKey(jwt.privateKey).export({ format: 'der', type: 'pkcs8' });
    } catch {
      // The JWT checks report an unreadable key; its text is still the same on every instance.
      return Buffer.from(jwt.privateKey, 'utf8');
    }
  }
  return undefined;
}

function bits(value: unknown, fallback: number, max: number, name: string, problems: string[]): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > max) {
    problems.push(`audit.ipTruncation.${name} must be a whole number of bits from 0 to ${max}.`);
    return fallback;
  }
  return value as number;
}

/** `'none'` (the default) keeps addresses whole; an object keeps that many leading bits. */
export function resolveIpTruncation(
  value: IpTruncation | 'none' | undefined,
  problems: string[],
): Readonly<Required<IpTruncation>> | 'none' {
  if (value === undefined || value === 'none') return 'none';
  if (typeof value !== 'object' || value === null) {
    problems.push(`audit.ipTruncation must be 'none' or { v4?: 0–32, v6?: 0–128 }.`);
    return 'none';
  }
  return Object.freeze({
    v4: bits(value.v4, 24, 32, 'v4', problems),
    v6: bits(value.v6, 48, 128, 'v6', problems),
  });
}
