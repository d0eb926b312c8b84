import { PrincipalCheckCache } from './principal-check.cache';

describe('PrincipalCheckCache', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000;
  });

  it('remembers an answer, true or false, for the TTL and then asks again', async () => {
    const cache = new PrincipalCheckCache(5_000, 10, clock);
    const lookup = jest.fn(async (id: string) => id === 'alive');
    expect(await cache.get('alive', lookup)).toBe(true);
    expect(await cache.get('gone', lookup)).toBe(false);
    now += 4_999;
    expect(await cache.get('alive', lookup)).toBe(true);
    expect(await cache.get('gone', lookup)).toBe(false);
    expect(lookup).toHaveBeenCalledTimes(2);
    now += 1;
    expect(await cache.get('alive', lookup)).toBe(true);
    expect(lookup).toHaveBeenCalledTimes(3);
  });

  it('with a TTL of 0 asks on every call', async () => {
    const cache = new PrincipalCheckCache(0, 10, clock);
    const lookup = jest.fn(async () => true);
    await cache.get('a', lookup);
    await cache.get('a', lookup);
    expect(lookup).toHaveBeenCalledTimes(2);
    expect(cache.size).toBe(0);
  });

  it('stays within its size bound, dropping the oldest answer first', async () => {
    const cache = new PrincipalCheckCache(60_000, 3, clock);
    const lookup = jest.fn(async () => true);
    for (const id of ['a', 'b', 'c', 'd', 'e']) await cache.get(id, lookup);
    expect(cache.size).toBe(3);
    lookup.mockClear();
    await cache.get('e', lookup);
    await cache.get('c', lookup);
    expect(lookup).not.toHaveBeenCalled();
    await cache.get('a', lookup);
    expect(lookup).toHaveBeenCalledTimes(1);
  });

  it('shares one lookup among concurrent misses of one subject', async () => {
    const cache = new PrincipalCheckCache(5_000, 10, clock);
    let release: (value: boolean) => void = () => undefined;
    const lookup = jest.fn(() => new Promise<boolean>((resolve) => (release = resolve)));
    const answers = Promise.all(Array.from({ length: 30 }, () => cache.get('a', lookup)));
    release(false);
    expect(await answers).toEqual(Array<boolean>(30).fill(false));
    expect(lookup).toHaveBeenCalledTimes(1);
  });

  it('does not remember a failed lookup: it propagates, and the next call asks again', async () => {
    const cache = new PrincipalCheckCache(5_000, 10, clock);
    const lookup = jest.fn().mockRejectedValueOnce(new Error('db down')).mockResolvedValueOnce(true);
    await expect(cache.get('a', lookup)).rejects.toThrow('db down');
    await expect(cache.get('a', lookup)).resolves.toBe(true);
    expect(lookup).toHaveBeenCalledTimes(2);
  });

  it('refuses a negative TTL and a size below 1', () => {
    expect(() => new PrincipalCheckCache(-1, 10)).toThrow(TypeError);
    expect(() => new PrincipalCheckCache(1, 0)).toThrow(TypeError);
  });
});
