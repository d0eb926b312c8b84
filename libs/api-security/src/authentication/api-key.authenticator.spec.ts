import { Logger, type LoggerService } from '@nestjs/common';
import type { AppProviderIndex } from '../common/app-provider.index';
import { resolveApiSecurityOptions, type ApiSecurityModuleOptions } from '../api-security.options';
import { SecurityEventBus } from '../audit/security-event.bus';
import type { SecurityEvent } from '../audit/security-event';
import { ErrorCode } from '../errors/codes';
import { UnauthenticatedException } from '../errors/security.exception';
import { ApiKeyAuthenticator } from './api-key.authenticator';
import { API_KEY_RESOLVER, type ApiKeyResolver, type StoredApiKey } from './api-key.resolver';
import { ApiKeyService } from './api-key.service';
import { AUTHENTICATORS } from './authenticator';
import type { SecurityRequest } from '../common/security-principal';

/** Collects every log line, so tests can prove no key ever reaches one. */
class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown, ...rest: unknown[]): void {
    this.lines.push([message, ...rest].map(String).join(' '));
  }
  error = this.log;
  warn = this.log;
  debug = this.log;
  verbose = this.log;
  fatal = this.log;
}

class MemoryResolver implements ApiKeyResolver {
  readonly rows = new Map<string, StoredApiKey>();
  readonly touches: [string, Date][] = [];
  lookups = 0;
  touchImpl: (id: string, usedAt: Date) => Promise<void> = async (id, usedAt) => {
    this.touches.push([id, usedAt]);
  };
  async findByPrefix(prefix: string): Promise<StoredApiKey | null> {
    this.lookups += 1;
    return this.rows.get(prefix) ?? null;
  }
  touch(id: string, usedAt: Date): Promise<void> {
    return this.touchImpl(id, usedAt);
  }
}

interface Setup {
  authenticator: ApiKeyAuthenticator;
  keys: ApiKeyService;
  resolver: MemoryResolver;
  events: SecurityEvent[];
  issue(overrides?: Partial<StoredApiKey>): string;
  providerLookups: () => number;
}

function setup(
  options: ApiSecurityModuleOptions = {},
  registry: { resolver?: unknown; inUse?: boolean } = { resolver: 'memory', inUse: true },
): Setup {
  const resolved = resolveApiSecurityOptions(options);
  const keys = new ApiKeyService(resolved);
  const resolver = new MemoryResolver();
  const events: SecurityEvent[] = [];
  const bus = new SecurityEventBus([{ handle: (event) => void events.push(event) }]);
  let gets = 0;
  const providers = {
    find: (token: unknown) => {
      gets += 1;
      if (token === API_KEY_RESOLVER) {
        if (registry.resolver === undefined) return undefined;
        return registry.resolver === 'memory' ? resolver : registry.resolver;
      }
      if (token === AUTHENTICATORS) return registry.inUse ? [authenticator] : [];
      return undefined;
    },
  } as unknown as AppProviderIndex;
  const authenticator = new ApiKeyAuthenticator(keys, bus, providers, resolved);
  let counter = 0;
  return {
    authenticator,
    keys,
    resolver,
    events,
    providerLookups: () => gets,
    issue(overrides = {}) {
      const generated = keys.generate();
      counter += 1;
      resolver.rows.set(generated.prefix, {
        id: `key-${counter}`,
        ownerId: 'user-1',
        roles: ['user'],
        scopes: ['orders:read'],
        keyHash: generated.hash,
        revoked: false,
        expiresAt: null,
        ...overrides,
      });
      return generated.key;
    },
  };
}

const request = (headers: SecurityRequest['headers'] = {}, url = '/api/things'): SecurityRequest => ({
  headers,
  method: 'GET',
  url,
  ip: '203.0.113.9',
});

async function refusal(promise: Promise<unknown>): Promise<UnauthenticatedException> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnauthenticatedException);
  const exception = error as UnauthenticatedException;
  expect(exception.getStatus()).toBe(401);
  expect(exception.code).toBe(ErrorCode.UNAUTHENTICATED);
  return exception;
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('ApiKeyAuthenticator', () => {
  const logger = new CapturingLogger();
  const issuedKeys: string[] = [];
  beforeAll(() => Logger.overrideLogger(logger));
  afterAll(() => Logger.overrideLogger(new Logger()));

  function issue(s: Setup, overrides?: Partial<StoredApiKey>): string {
    const key = s.issue(overrides);
    issuedKeys.push(key);
    return key;
  }

  it('is not concerned by a request without the header (null), even with a key in the query string', async () => {
    const s = setup();
    s.authenticator.onApplicationBootstrap();
    const key = issue(s);
    expect(await s.authenticator.authenticate(request())).toBeNull();
    expect(
      await s.authenticator.authenticate(request({ authorization: `Bearer ${key}` }, `/api/things?api_key=${key}`)),
    ).toBeNull();
    expect(s.resolver.lookups).toBe(0);
  });

  it('turns a valid key into an api-key principal of its owner', async () => {
    const s = setup();
    s.authenticator.onApplicationBootstrap();
    const key = issue(s, { ownerId: 'owner-7', roles: ['manager'], scopes: ['a', 'b'] });
    expect(await s.authenticator.authenticate(request({ 'x-api-key': key }))).toEqual({
      id: 'owner-7',
      roles: ['manager'],
      authMethod: 'api-key',
      scopes: ['a', 'b'],
      tokenId: 'key-1',
    });
    expect(s.events).toEqual([]);
  });

  it('reads the configured header name', async () => {
    const s = setup({ apiKeys: { header: 'X-Service-Key' } });
    const key = issue(s);
    expect(await s.authenticator.authenticate(request({ 'x-api-key': key }))).toBeNull();
    expect((await s.authenticator.authenticate(request({ 'x-service-key': key })))?.id).toBe('user-1');
  });

  it.each<[string, string | string[]]>([
    ['an empty header', ''],
    ['garbage', 'hello'],
    ['a bearer token', 'Bearer abc.def.ghi'],
    ['a key sent twice', ['k', 'k']],
  ])('refuses %s as malformed without a lookup', async (_label, value) => {
    const s = setup();
    const exception = await refusal(s.authenticator.authenticate(request({ 'x-api-key': value })));
    expect(exception.reason).toBe('api key refused: malformed');
    expect(s.resolver.lookups).toBe(0);
    expect(s.events).toEqual([
      expect.objectContaining({
        type: 'authentication.failure',
        reason: 'malformed',
        route: 'GET /api/things',
        ip: '203.0.113.9',
        details: { authMethod: 'api-key' },
      }),
    ]);
  });

  it('refuses a well-formed key whose prefix is unknown', async () => {
    const s = setup();
    const stranger = s.keys.generate();
    issuedKeys.push(stranger.key);
    await refusal(s.authenticator.authenticate(request({ 'x-api-key': stranger.key })));
    expect(s.events[0]).toMatchObject({ reason: 'unknown_key', details: { keyPrefix: stranger.prefix } });
  });

  it('refuses the right prefix with the wrong secret', async () => {
    const s = setup();
    const key = issue(s);
    const forged = s.keys.generate().key;
    issuedKeys.push(forged);
    const prefixPart = key.slice(0, 'sk_live_'.length + 13);
    const attempt = `${prefixPart}${forged.slice(prefixPart.length)}`;
    expect(s.keys.parse(attempt)).not.toBeNull();
    await refusal(s.authenticator.authenticate(request({ 'x-api-key': attempt })));
    expect(s.events[0]).toMatchObject({ reason: 'wrong_secret', details: { keyId: 'key-1' } });
  });

  it.each<[string, Partial<StoredApiKey>, string]>([
    ['revoked', { revoked: true }, 'revoked'],
    ['of unknown revocation state', { revoked: undefined as unknown as boolean }, 'revoked'],
    ['expired', { expiresAt: new Date(Date.now() - 1000) }, 'expired'],
    ['expiring now', { expiresAt: new Date(Date.now()) }, 'expired'],
    ['of unreadable expiry', { expiresAt: new Date('nonsense') }, 'expired'],
    ['with a non-Date expiry', { expiresAt: '2999-01-01' as unknown as Date }, 'expired'],
    ['without an owner', { ownerId: '' }, 'invalid_record'],
  ])('refuses a key %s', async (_label, overrides, reason) => {
    const s = setup();
    const key = issue(s, overrides);
    await refusal(s.authenticator.authenticate(request({ 'x-api-key': key })));
    expect(s.events[0]).toMatchObject({ type: 'authentication.failure', reason });
    expect(s.resolver.touches).toEqual([]);
  });

  it('accepts a key that expires in the future', async () => {
    const s = setup();
    const key = issue(s, { expiresAt: new Date(Date.now() + 60_000) });
    expect(await s.authenticator.authenticate(request({ 'x-api-key': key }))).not.toBeNull();
  });

  it('does not cache positive lookups: a revocation applies to the very next request', async () => {
    const s = setup();
    const key = issue(s);
    const prefix = s.keys.parse(key)!.prefix;
    expect(await s.authenticator.authenticate(request({ 'x-api-key': key }))).not.toBeNull();
    s.resolver.rows.set(prefix, { ...s.resolver.rows.get(prefix)!, revoked: true });
    await refusal(s.authenticator.authenticate(request({ 'x-api-key': key })));
    expect(s.resolver.lookups).toBe(2);
  });

  it('looks the resolver up once, not per request', async () => {
    const s = setup();
    s.authenticator.onApplicationBootstrap();
    const key = issue(s);
    const before = s.providerLookups();
    for (let i = 0; i < 5; i += 1) await s.authenticator.authenticate(request({ 'x-api-key': key }));
    expect(s.providerLookups()).toBe(before);
  });

  it('fails closed without a resolver, warning once at boot when it is one of the authenticators', async () => {
    const s = setup({}, { inUse: true });
    const start = logger.lines.length;
    s.authenticator.onApplicationBootstrap();
    const key = s.keys.generate().key;
    issuedKeys.push(key);
    await refusal(s.authenticator.authenticate(request({ 'x-api-key': key })));
    await refusal(s.authenticator.authenticate(request({ 'x-api-key': key })));
    const warnings = logger.lines.slice(start).filter((line) => line.includes('No API key resolver'));
    expect(warnings).toHaveLength(1);
    expect(s.events.map((e) => e.reason)).toEqual(['no_resolver', 'no_resolver']);
  });

  it('does not warn about a missing resolver when API keys are not in use', () => {
    const s = setup({}, { inUse: false });
    const start = logger.lines.length;
    s.authenticator.onApplicationBootstrap();
    expect(logger.lines.slice(start).filter((line) => line.includes('No API key resolver'))).toEqual([]);
  });

  it('fails closed when the registered resolver is not one', async () => {
    const s = setup({}, { resolver: { nope: true }, inUse: true });
    s.authenticator.onApplicationBootstrap();
    const key = s.keys.generate().key;
    issuedKeys.push(key);
    await refusal(s.authenticator.authenticate(request({ 'x-api-key': key })));
    expect(s.events[0]?.reason).toBe('no_resolver');
  });

  it('lets a resolver error through (a 500, never a success)', async () => {
    const s = setup();
    const key = issue(s);
    s.resolver.findByPrefix = async () => {
      throw new Error('database down');
    };
    await expect(s.authenticator.authenticate(request({ 'x-api-key': key }))).rejects.toThrow('database down');
  });

  describe('last-used time', () => {
    it('is written at most once per interval per key', async () => {
      const s = setup({ apiKeys: { touchIntervalSeconds: 60 } });
      const first = issue(s);
      const second = issue(s);
      for (let i = 0; i < 5; i += 1) {
        await s.authenticator.authenticate(request({ 'x-api-key': first }));
        await s.authenticator.authenticate(request({ 'x-api-key': second }));
      }
      await flush();
      expect(s.resolver.touches.map(([id]) => id)).toEqual(['key-1', 'key-2']);
      expect(s.resolver.touches[0]![1]).toBeInstanceOf(Date);
    });

    it('is written on every use with a zero interval', async () => {
      const s = setup({ apiKeys: { touchIntervalSeconds: 0 } });
      const key = issue(s);
      for (let i = 0; i < 3; i += 1) await s.authenticator.authenticate(request({ 'x-api-key': key }));
      await flush();
      expect(s.resolver.touches).toHaveLength(3);
    });

    it('never fails or delays the request when the write fails, and logs the failure', async () => {
      const s = setup({ apiKeys: { touchIntervalSeconds: 0 } });
      const key = issue(s);
      const start = logger.lines.length;
      s.resolver.touchImpl = async () => {
        throw new Error('write failed');
      };
      expect(await s.authenticator.authenticate(request({ 'x-api-key': key }))).not.toBeNull();
      s.resolver.touchImpl = () => {
        throw new Error('sync failure');
      };
      expect(await s.authenticator.authenticate(request({ 'x-api-key': key }))).not.toBeNull();
      s.resolver.touchImpl = () => new Promise(() => undefined);
      expect(await s.authenticator.authenticate(request({ 'x-api-key': key }))).not.toBeNull();
      await flush();
      const lines = logger.lines.slice(start).filter((line) => line.includes('Could not record the last use'));
      expect(lines).toHaveLength(2);
    });

    it('is skipped for a resolver without touch', async () => {
      const s = setup();
      const key = issue(s);
      (s.resolver as { touch?: unknown }).touch = undefined;
      expect(await s.authenticator.authenticate(request({ 'x-api-key': key }))).not.toBeNull();
    });

    it('is waited for at shutdown', async () => {
      const s = setup();
      const key = issue(s);
      let finish: () => void = () => undefined;
      let done = false;
      s.resolver.touchImpl = () =>
        new Promise<void>((resolve) => {
          finish = () => {
            done = true;
            resolve();
          };
        });
      await s.authenticator.authenticate(request({ 'x-api-key': key }));
      const shutdown = s.authenticator.beforeApplicationShutdown();
      await flush();
      finish();
      await shutdown;
      expect(done).toBe(true);
    });
  });

  it('puts neither the key nor its secret into events', async () => {
    const s = setup();
    const key = issue(s, { revoked: true });
    await refusal(s.authenticator.authenticate(request({ 'x-api-key': key })));
    await refusal(s.authenticator.authenticate(request({ 'x-api-key': `${key}x` })));
    const serialized = JSON.stringify(s.events);
    expect(serialized).not.toContain(key);
    expect(serialized).not.toContain(key.slice(-43));
  });

  // Last on purpose: it reads every line the tests above logged, events included.
  it('never put a key into a log line', () => {
    expect(issuedKeys.length).toBeGreaterThan(5);
    expect(logger.lines.some((line) => line.includes('authentication.failure'))).toBe(true);
    for (const line of logger.lines) {
      for (const key of issuedKeys) {
        expect(line).not.toContain(key);
        expect(line).not.toContain(key.slice(-43));
      }
    }
  });
});
