import type { SecurityPrincipal } from '../common/security-principal';
import { VerifiedTokenCache } from './jwt-verified-cache';

function principal(id: string, expiresAt: number | undefined): SecurityPrincipal {
  return { id, roles: [], authMethod: 'jwt', scopes: [], ...(expiresAt !== undefined ? { expiresAt } : {}) };
}

describe('VerifiedTokenCache', () => {
  it('returns a cached principal for the exact token string only', () => {
    const cache = new VerifiedTokenCache(10);
    cache.set('a.b.c', principal('u', 200), 100);
    expect(cache.get('a.b.c', 150)?.id).toBe('u');
    expect(cache.get('a.b.C', 150)).toBeUndefined();
    expect(cache.get('a.b.c ', 150)).toBeUndefined();
  });

  it('misses a forgery that reuses a cached signature over other claims, and keeps the real entry', () => {
    const cache = new VerifiedTokenCache(10);
    const signature = 'S'.repeat(43);
    cache.set(`header.claims-of-a.${signature}`, principal('a', 200), 100);
    // Same end, other claims: the lookup shares a key with the real token, not its entry.
    expect(cache.get(`header.claims-of-admin.${signature}`, 150)).toBeUndefined();
    expect(cache.get(signature, 150)).toBeUndefined();
    expect(cache.get(signature.slice(-32), 150)).toBeUndefined();
    // A forgery seen after the real token's exp does not remove the entry either.
    expect(cache.get(`header.claims-of-admin.${signature}`, 250)).toBeUndefined();
    expect(cache.size).toBe(1);
    expect(cache.get(`header.claims-of-a.${signature}`, 150)?.id).toBe('a');
  });

  it('keeps the newer of two verified tokens that end alike, and never answers one with the other', () => {
    const cache = new VerifiedTokenCache(10);
    const signature = 'S'.repeat(43);
    cache.set(`h.one.${signature}`, principal('one', 200), 100);
    cache.set(`h.two.${signature}`, principal('two', 200), 100);
    expect(cache.get(`h.one.${signature}`, 150)).toBeUndefined();
    expect(cache.get(`h.two.${signature}`, 150)?.id).toBe('two');
  });

  it('never returns an entry at or after exp, and forgets it', () => {
    const cache = new VerifiedTokenCache(10);
    cache.set('t', principal('u', 200), 100);
    expect(cache.get('t', 199.999)?.id).toBe('u');
    expect(cache.get('t', 200)).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.get('t', 150)).toBeUndefined();
  });

  it('does not cache expired principals or principals without exp', () => {
    const cache = new VerifiedTokenCache(10);
    cache.set('expired', principal('u', 100), 100);
    cache.set('no-exp', principal('u', undefined), 100);
    expect(cache.size).toBe(0);
  });

  it('stays bounded, evicting the least recently used entry', () => {
    const cache = new VerifiedTokenCache(3);
    cache.set('a', principal('a', 1000), 0);
    cache.set('b', principal('b', 1000), 0);
    cache.set('c', principal('c', 1000), 0);
    expect(cache.get('a', 1)?.id).toBe('a'); // a is now the most recent
    cache.set('d', principal('d', 1000), 1);
    expect(cache.size).toBe(3);
    expect(cache.get('b', 2)).toBeUndefined();
    expect(cache.get('a', 2)?.id).toBe('a');
    expect(cache.get('c', 2)?.id).toBe('c');
    expect(cache.get('d', 2)?.id).toBe('d');
  });

  it('evicts in a bounded step even when every entry has been read', () => {
    const cache = new VerifiedTokenCache(1000);
    for (let i = 0; i < 1000; i++) cache.set(`t${i}`, principal(`u${i}`, 1000), 0);
    for (let i = 0; i < 1000; i++) cache.get(`t${i}`, 1);
    const deletes = jest.spyOn(Map.prototype, 'delete');
    cache.set('new', principal('new', 1000), 1);
    // A few dozen entries get their second chance, then the oldest goes: never a pass over all 1,000.
    expect(deletes.mock.calls.length).toBeLessThan(50);
    deletes.mockRestore();
    expect(cache.size).toBe(1000);
    expect(cache.get('new', 2)?.id).toBe('new');
  });

  it('caches nothing with size 0 and refuses a bad size', () => {
    const cache = new VerifiedTokenCache(0);
    cache.set('a', principal('a', 1000), 0);
    expect(cache.get('a', 1)).toBeUndefined();
    expect(() => new VerifiedTokenCache(-1)).toThrow(TypeError);
    expect(() => new VerifiedTokenCache(1.5)).toThrow(TypeError);
  });
});
