import { IntrospectionCache, introspectionKey } from './introspection-cache';

describe('IntrospectionCache', () => {
  it('keys by the SHA-256 of the token, never the token itself', () => {
    const token = 'opaque-token-value-0123456789';
    const key = introspectionKey(token);
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key).not.toContain(token);
    expect(introspectionKey(token)).toBe(key);
    expect(introspectionKey(`${token}x`)).not.toBe(key);
  });

  it('returns an entry until its expiry, then drops it', () => {
    const cache = new IntrospectionCache<string>(10);
    cache.set('a', 'A', 2000, 1000);
    expect(cache.get('a', 1999)).toBe('A');
    expect(cache.get('a', 2000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('does not store an entry that is already expired', () => {
    const cache = new IntrospectionCache<string>(10);
    cache.set('a', 'A', 1000, 1000);
    expect(cache.size).toBe(0);
  });

  it('never holds more than its bound: expired entries go first, then the oldest', () => {
    const cache = new IntrospectionCache<number>(3);
    cache.set('short', 0, 1500, 1000);
    cache.set('b', 1, 9000, 1000);
    cache.set('c', 2, 9000, 1000);
    cache.set('d', 3, 9000, 2000);
    expect(cache.get('b', 2000)).toBe(1);
    for (let i = 0; i < 100; i += 1) cache.set(`flood-${i}`, i, 9000, 2000);
    expect(cache.size).toBe(3);
    expect(cache.get('flood-99', 2000)).toBe(99);
    expect(cache.get('b', 2000)).toBeUndefined();
  });
});
