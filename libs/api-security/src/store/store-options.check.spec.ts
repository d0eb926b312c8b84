import { MemorySecurityStore } from './memory.store';
import { RedisSecurityStore } from './redis.store';
import { createSecurityStore, type SecurityStoreOptions } from './security-store.factory';
import { checkStoreOptions } from './store-options.check';

const problemsOf = (store: unknown): string[] => {
  const problems: string[] = [];
  checkStoreOptions(store, problems);
  return problems;
};

describe('checkStoreOptions', () => {
  it('accepts the defaults and complete valid options', () => {
    expect(problemsOf({ type: 'memory' })).toEqual([]);
    expect(
      problemsOf({
        type: 'redis',
        url: 'rediss://u:p@host:6380',
        keyPrefix: 'app:',
        connectTimeoutMs: 1000,
        commandTimeoutMs: 500,
        allowEvictingPolicy: false,
        onUnavailable: { rateLimit: 'failOpen' },
      }),
    ).toEqual([]);
  });

  it('refuses at boot what the Redis store would only refuse when built', () => {
    expect(
      problemsOf({ type: 'redis', url: 'redis://h', keyPrefix: '{app}:', connectTimeoutMs: 1.5, commandTimeoutMs: 0 }),
    ).toEqual([
      'store.keyPrefix must be a string without "{" or "}" (hash tags belong in keys).',
      'store.connectTimeoutMs must be a positive integer, got 1.5.',
      'store.commandTimeoutMs must be a positive integer, got 0.',
    ]);
  });

  it('names an unknown type without echoing long values', () => {
    expect(problemsOf({ type: 'mongo' })).toEqual(["store.type must be 'memory' or 'redis', got 'mongo'."]);
    expect(problemsOf(undefined)).toEqual(["store.type must be 'memory' or 'redis', got undefined."]);
  });

  it('gives the same sentence at boot, in the factory and in the store built by hand', () => {
    const url = 'http://user:s3cret@host';
    const [boot] = problemsOf({ type: 'redis', url });
    expect(boot).toMatch(/^store\.url must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(boot).not.toContain('s3cret');
    expect(() => createSecurityStore({ type: 'redis', url })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID_OPTION', problems: [boot] }),
    );
    expect(() => new RedisSecurityStore({ url })).toThrow(`RedisSecurityStore: ${boot.replaceAll('store.', '')}`);

    const options = { type: 'memory', maxEntries: 10, maxCounterEntries: 10 } as const;
    const [capacity] = problemsOf(options);
    expect(() => createSecurityStore(options as SecurityStoreOptions)).toThrow(
      expect.objectContaining({ problems: [capacity] }),
    );
    expect(() => new MemorySecurityStore(options)).toThrow(`MemorySecurityStore: ${capacity.replaceAll('store.', '')}`);
  });
});
