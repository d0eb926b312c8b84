import { API_SECURITY_OPTIONS_SCHEMA } from './api-security-options.schema';
import { findInvalidOptionValues, findUnknownOptions } from './api-security-options.check';

const check = (options: unknown): string[] => findUnknownOptions(options, API_SECURITY_OPTIONS_SCHEMA);

describe('findUnknownOptions', () => {
  it('accepts every documented key at every level', () => {
    expect(
      check({
        jwt: { algorithm: 'ES256', verificationKeys: [{ kid: 'a', publicKey: 'pem' }], clockToleranceSeconds: 5 },
        sessions: { argon2: { memoryCost: 19456, timeCost: 2, parallelism: 1 }, maxFailures: 5 },
        apiKeys: { keyPrefix: 'sk_', header: 'x-api-key' },
        store: { type: 'redis', url: 'redis://x', onUnavailable: { rateLimit: 'failOpen' }, commandTimeoutMs: 5 },
        hardening: { cors: { origins: ['https://a.example'], credentials: true }, bodyLimit: '1kb' },
        rateLimit: { tiers: { burst: '10/1s', sustained: { limit: '300/15m', block: '5m' } }, global: '5000/1h' },
        requestLimits: { maxDepth: 3 },
        audit: {
          alerts: [{ event: 'authentication.failure', by: 'ip', limit: '20/5m' }],
          accountHashKey: Buffer.alloc(32),
          ipTruncation: { v4: 24, v6: 48 },
        },
        roles: { hierarchy: { admin: ['user'] } },
        outbound: { allowedHosts: ['a.example'], resolver: { lookup: () => undefined } },
        production: false,
        problemTypeBase: 'urn:x:',
        authenticators: [],
      }),
    ).toEqual([]);
    expect(check({})).toEqual([]);
    expect(check(undefined)).toEqual([]);
  });

  it('names a misspelt top-level key and the closest valid one', () => {
    expect(check({ ratelimit: { enabled: false } })).toEqual(['Unknown option "ratelimit"; did you mean "rateLimit"?']);
  });

  it('names a misspelt nested key with its full path, in objects, maps and arrays', () => {
    expect(
      check({
        jwt: { algoritm: 'HS256' },
        rateLimit: { tiers: { burst: { limit: '1/1s', blok: '1m' } }, global: { limt: '1/1s' } },
        audit: { alerts: [{ event: 'x', by: 'ip', limit: '1/1s' }, { evnt: 'x' }], ipTruncation: { v5: 1 } },
        sessions: { argon2: { memorycost: 1 } },
      }),
    ).toEqual([
      'Unknown option "jwt.algoritm"; did you mean "jwt.algorithm"?',
      'Unknown option "rateLimit.tiers.burst.blok"; did you mean "rateLimit.tiers.burst.block"?',
      'Unknown option "rateLimit.global.limt"; did you mean "rateLimit.global.limit"?',
      'Unknown option "audit.alerts[1].evnt"; did you mean "audit.alerts[1].event"?',
      'Unknown option "audit.ipTruncation.v5"; did you mean "audit.ipTruncation.v4"?',
      'Unknown option "sessions.argon2.memorycost"; did you mean "sessions.argon2.memoryCost"?',
    ]);
  });

  it('points to the same key at another level when it was given at the wrong one', () => {
    expect(check({ secret: 'x'.repeat(32), hardening: { origins: ['https://a.example'] } })).toEqual([
      'Unknown option "secret"; did you mean "jwt.secret"?',
      'Unknown option "hardening.origins"; did you mean "hardening.cors.origins"?',
    ]);
  });

  it('lists the valid keys when no key is close', () => {
    expect(check({ requestLimits: { depthOfNesting: 3 } })).toEqual([
      'Unknown option "requestLimits.depthOfNesting"; the options under "requestLimits" are: maxDepth, maxKeys, maxArrayLength, maxStringLength.',
    ]);
  });

  it('checks store keys against the chosen store type', () => {
    expect(check({ store: { type: 'memory', url: 'redis://x' } })).toEqual([
      'Unknown option "store.url" for store.type \'memory\'; it is an option of another type.',
    ]);
    expect(check({ store: { type: 'redis', url: 'redis://x', keyprefix: 'p:' } })).toEqual([
      'Unknown option "store.keyprefix" for store.type \'redis\'; did you mean "store.keyPrefix"?',
    ]);
    // An unknown type is reported by the value checks; keys no store type has are still caught.
    expect(check({ store: { type: 'mongo', maxEntires: 5 } })).toEqual([
      'Unknown option "store.maxEntires"; did you mean "store.maxEntries"?',
    ]);
  });

  it("does not look inside values whose keys are the application's (role names, tier names, resolver)", () => {
    expect(check({ roles: { hierarchy: { anyRole: ['x'] } }, rateLimit: { tiers: { anyTier: '1/1s' } } })).toEqual([]);
  });
});

describe('findInvalidOptionValues', () => {
  const invalid = (options: unknown): string[] => findInvalidOptionValues(options, API_SECURITY_OPTIONS_SCHEMA);

  it('runs the check declared beside each given key, at any depth, and never on defaults', () => {
    expect(invalid({})).toEqual([]);
    expect(
      invalid({
        jwt: { issuer: ' ', accessTokenTtlSeconds: 0, clockToleranceSeconds: 61, algorithm: 'none' },
        hardening: {
          cors: { origins: ['https://ok.example', '*'] },
          documentationPaths: ['/docs/'],
          shapeExpressRequests: 'no',
        },
        requestLimits: { maxDepth: 257 },
        audit: { mode: 'loose' },
      }),
    ).toEqual([
      'jwt.issuer must be a non-empty string.',
      'jwt.accessTokenTtlSeconds must be a positive whole number of seconds (got 0).',
      'jwt.clockToleranceSeconds must be a whole number from 0 to 60.',
      'jwt.algorithm "none" is not supported: use one of ES256, RS256, EdDSA, HS256.',
      'hardening.cors.origins has "*": list exact origins like https://app.example.com.',
      `hardening.documentationPaths has "/docs/": use a path prefix like '/api/docs' (leading slash, no trailing slash, no wildcard, query or dot segment).`,
      'hardening.shapeExpressRequests must be true or false (got no).',
      'requestLimits.maxDepth must be a whole number from 1 to 256.',
      "audit.mode must be 'strict' or 'warn'.",
    ]);
  });
});
