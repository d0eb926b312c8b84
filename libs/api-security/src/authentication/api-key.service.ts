import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';

/** A freshly generated key. `key` is shown to its owner once and never stored; store `prefix` and `hash`. */
export interface GeneratedApiKey {
  /** The whole key, `<keyPrefix><prefix>_<secret>`, e.g. `sk_live_Ab3dE5gH7jK9_…`. */
  readonly key: string;
  /** Public identifier and lookup index: {@link API_KEY_PREFIX_LENGTH} base62 characters. */
  readonly prefix: string;
  /** Lowercase hex SHA-256 of the whole key. */
  readonly hash: string;
}

/** What a well-formed key reveals before any lookup. */
export interface ParsedApiKey {
  readonly prefix: string;
}

/** Length of the public identifier: 12 base62 characters (~71 bits), so identifiers do not collide. */
export const API_KEY_PREFIX_LENGTH = 12;
/** 256 bits of secret: guessing is hopeless even at billions of tries per second. */
const SECRET_BYTES = 32;
/** Unpadded base64url length of {@link SECRET_BYTES}. */
const SECRET_LENGTH = Math.ceil((SECRET_BYTES * 8) / 6);
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Largest multiple of 62 that fits a byte: bytes at or above it are redrawn so every character is equally likely. */
const UNBIASED_LIMIT = 256 - (256 % BASE62.length);
const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/**
 * Generates, parses and checks API keys of the form `sk_live_<prefix>_<secret>`.
 *
 * Keys are hashed with plain SHA-256, not a password hash: a slow KDF protects low-entropy
 * passwords from offline guessing, but a key carries 256 random bits, so one SHA-256 per guess is
 * already out of reach, and a slow hash would make every API-key request an expensive one (a cheap
 * CPU exhaustion lever for anyone sending made-up keys).
 */
@Injectable()
export class ApiKeyService {
  private readonly keyPrefix: string;
  private readonly keyLength: number;
  private readonly pattern: RegExp;

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(@Inject(API_SECURITY_OPTIONS) options: ResolvedApiSecurityOptions) {
    // The option is validated to lowercase letters and underscores, so it needs no regex escaping.
    this.keyPrefix = options.apiKeys.keyPrefix;
    this.keyLength = this.keyPrefix.length + API_KEY_PREFIX_LENGTH + 1 + SECRET_LENGTH;
    this.pattern = new RegExp(
      `^${this.keyPrefix}([A-Za-z0-9]{${API_KEY_PREFIX_LENGTH}})_([A-Za-z0-9_-]{${SECRET_LENGTH}})$`,
    );
  }

  /** A new random key with its public prefix and the hash to store. */
  generate(): GeneratedApiKey {
    const prefix = randomBase62(API_KEY_PREFIX_LENGTH);
    const secret = randomBytes(SECRET_BYTES).toString('base64url');
    const key = `${this.keyPrefix}${prefix}_${secret}`;
    return { key, prefix, hash: this.hash(key) };
  }

  /**
   * The prefix of a well-formed key, or null. Strict: exact length, exact key prefix, base62
   * identifier, canonical base64url secret. Anything else is refused before it reaches a lookup.
   */
  parse(key: string): ParsedApiKey | null {
    // Length first: a megabyte header must not reach the regex.
    if (typeof key !== 'string' || key.length !== this.keyLength) return null;
    const match = this.pattern.exec(key);
    if (!match) return null;
    const [, prefix, secret] = match as unknown as [string, string, string];
    // Several base64url strings decode to the same bytes (the last character's low bits are unused);
    // only the canonical spelling that generate() produces is a key.
    const bytes = Buffer.from(secret, 'base64url');
    if (bytes.length !== SECRET_BYTES || bytes.toString('base64url') !== secret) return null;
    return { prefix };
  }

  /** Lowercase hex SHA-256 of the whole key. */
  hash(key: string): string {
    return createHash('sha256').update(key, 'utf8').digest('hex');
  }

  /** Whether `key` hashes to `storedHash`, compared in constant time. A malformed stored hash never matches. */
  matches(key: string, storedHash: string): boolean {
    if (typeof key !== 'string' || typeof storedHash !== 'string' || !HEX_SHA256.test(storedHash)) return false;
    const actual = createHash('sha256').update(key, 'utf8').digest();
    const expected = Buffer.from(storedHash, 'hex');
    return timingSafeEqual(actual, expected);
  }
}

function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= UNBIASED_LIMIT) continue;
      out += BASE62[byte % BASE62.length];
      if (out.length === length) break;
    }
  }
  return out;
}
