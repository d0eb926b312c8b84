import { createHash } from 'node:crypto';
import { resolveApiSecurityOptions } from '../api-security.options';
import { API_KEY_PREFIX_LENGTH, ApiKeyService } from './api-key.service';

const service = (keyPrefix?: string) =>
  new ApiKeyService(resolveApiSecurityOptions(keyPrefix ? { apiKeys: { keyPrefix } } : {}));

const KEY_SHAPE = /^sk_live_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

describe('ApiKeyService', () => {
  const keys = service();

  describe('generate', () => {
    it('produces sk_live_<12 base62>_<43 base64url> whose prefix is the public identifier', () => {
      const generated = keys.generate();
      const match = KEY_SHAPE.exec(generated.key);
      expect(match).not.toBeNull();
      expect(match![1]).toBe(generated.prefix);
      expect(generated.prefix).toHaveLength(API_KEY_PREFIX_LENGTH);
      expect(Buffer.from(match![2]!, 'base64url')).toHaveLength(32);
    });

    it('stores a hex SHA-256 of the whole key, which is never the key or a part of it', () => {
      const { key, hash } = keys.generate();
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(hash).toBe(createHash('sha256').update(key).digest('hex'));
      expect(hash).not.toBe(key);
      expect(hash).not.toContain(key.slice(-43));
      expect(key).not.toContain(hash);
    });

    it('never repeats a key or a prefix', () => {
      const batch = Array.from({ length: 2000 }, () => keys.generate());
      expect(new Set(batch.map((g) => g.key)).size).toBe(batch.length);
      expect(new Set(batch.map((g) => g.prefix)).size).toBe(batch.length);
    });

    it('uses the whole base62 alphabet for the prefix', () => {
      const seen = new Set(
        Array.from({ length: 500 }, () => keys.generate().prefix)
          .join('')
          .split(''),
      );
      expect(seen.size).toBe(62);
    });

    it('honours apiKeys.keyPrefix', () => {
      const custom = service('pk_test_');
      const { key } = custom.generate();
      expect(key.startsWith('pk_test_')).toBe(true);
      expect(custom.parse(key)).not.toBeNull();
      expect(keys.parse(key)).toBeNull();
    });
  });

  describe('parse', () => {
    const { key, prefix } = keys.generate();
    const secret = key.slice(-43);

    it('returns the prefix of a well-formed key', () => {
      expect(keys.parse(key)).toEqual({ prefix });
    });

    // A secret whose last character has unused low bits set: decodes to the same bytes, not canonical.
    const canonicalLast = secret.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const nonCanonicalLast = alphabet[alphabet.indexOf(canonicalLast) + 1]!;

    it.each<[string, unknown]>([
      ['empty', ''],
      ['only the key prefix', 'sk_live_'],
      ['a bearer token', `Bearer ${key}`],
      ['another environment', key.replace('sk_live_', 'sk_test_')],
      ['upper-case key prefix', key.replace('sk_live_', 'SK_LIVE_')],
      ['no key prefix', key.slice('sk_live_'.length)],
      ['a short prefix', `sk_live_${prefix.slice(1)}_${secret}`],
      ['a long prefix', `sk_live_${prefix}a_${secret}`],
      ['a non-base62 prefix', `sk_live_${prefix.slice(0, 11)}-_${secret}`],
      ['a prefix with an underscore', `sk_live_${prefix.slice(0, 11)}__${secret}`],
      ['a missing separator', `sk_live_${prefix}${secret}`],
      ['a short secret', key.slice(0, -1)],
      ['a long secret', `${key}A`],
      ['padding', `${key.slice(0, -1)}=`],
      ['standard base64 characters', `${key.slice(0, -1)}+`],
      ['a non-canonical secret', `${key.slice(0, -1)}${nonCanonicalLast}`],
      ['a space inside', `${key.slice(0, 20)} ${key.slice(21)}`],
      ['a trailing newline', `${key.slice(0, -1)}\n`],
      ['a NUL byte', `${key.slice(0, -1)}\u0000`],
      ['non-ASCII', `${key.slice(0, -1)}é`],
      ['a huge value', `sk_live_${'A'.repeat(100_000)}`],
      ['the key twice (duplicated header)', `${key}, ${key}`],
      ['a number', 42],
      ['undefined', undefined],
    ])('refuses %s', (_label, value) => {
      expect(keys.parse(value as string)).toBeNull();
    });
  });

  describe('matches', () => {
    const { key, hash } = keys.generate();
    const other = keys.generate();

    it('accepts the key against its own hash (either hex case)', () => {
      expect(keys.matches(key, hash)).toBe(true);
      expect(keys.matches(key, hash.toUpperCase())).toBe(true);
    });

    it('refuses another key, a one-character change and malformed stored hashes', () => {
      expect(keys.matches(other.key, hash)).toBe(false);
      expect(keys.matches(`${key.slice(0, -2)}${key.at(-2) === 'A' ? 'B' : 'A'}${key.at(-1)}`, hash)).toBe(false);
      for (const stored of ['', hash.slice(1), `${hash}00`, 'z'.repeat(64), key]) {
        expect(keys.matches(key, stored)).toBe(false);
      }
    });

    it('compares with crypto.timingSafeEqual on 32-byte buffers', () => {
      // The module object the service calls through (not an ESM-interop copy), so the spy sees its calls.
      const spy = jest.spyOn(jest.requireActual<typeof import('node:crypto')>('node:crypto'), 'timingSafeEqual');
      try {
        expect(keys.matches(other.key, hash)).toBe(false);
        expect(spy).toHaveBeenCalledTimes(1);
        const [a, b] = spy.mock.calls[0] as [Buffer, Buffer];
        expect(a).toHaveLength(32);
        expect(b).toHaveLength(32);
      } finally {
        spy.mockRestore();
      }
    });
  });
});
