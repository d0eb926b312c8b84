import { generateKeyPairSync } from 'node:crypto';
import {
  ApiSecurityConfigError,
  resolveApiSecurityOptions,
  type ApiSecurityModuleOptions,
} from './api-security.options';

function problemsOf(options: ApiSecurityModuleOptions): string {
  try {
    resolveApiSecurityOptions(options);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiSecurityConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the options to be refused');
}

describe('resolveApiSecurityOptions', () => {
  it('fills safe defaults', () => {
    const resolved = resolveApiSecurityOptions();
    expect(resolved.jwt).toMatchObject({
      algorithm: 'ES256',
      accessTokenTtlSeconds: 900,
      refreshTokenTtlSeconds: 604800,
      clockToleranceSeconds: 5,
    });
    expect(resolved.store).toEqual({ type: 'memory' });
    expect(resolved.hardening.bodyLimitBytes).toBe(100 * 1024);
    expect(resolved.hardening.cors).toBeUndefined();
    expect(resolved.hardening.shapeExpressRequests).toBe(true);
    expect(resolved.audit.mode).toBe('strict');
  });

  it('refuses an HS256 secret under 32 bytes without echoing it', () => {
    const message = problemsOf({ jwt: { algorithm: 'HS256', secret: 'short-secret-value' } });
    expect(message).toContain('jwt.secret');
    expect(message).toContain('32 bytes');
    expect(message).not.toContain('short-secret-value');
  });

  it('requires a secret for HS256 and accepts a long one', () => {
    expect(problemsOf({ jwt: { algorithm: 'HS256' } })).toContain('jwt.secret is required');
    expect(resolveApiSecurityOptions({ jwt: { algorithm: 'HS256', secret: 'x'.repeat(32) } }).jwt.algorithm).toBe(
      'HS256',
    );
  });

  it.each(['none', 'NONE', 'HS512', 'RS384'])('refuses the algorithm %s', (algorithm) => {
    const message = problemsOf({ jwt: { algorithm: algorithm as 'HS256' } });
    expect(message).toContain('jwt.algorithm');
    expect(message).toContain('ES256, RS256, EdDSA, HS256');
  });

  it.each([-1, 0, 1.5, Number.NaN])('refuses the access-token TTL %p', (ttl) => {
    expect(problemsOf({ jwt: { accessTokenTtlSeconds: ttl } })).toContain('jwt.accessTokenTtlSeconds');
  });

  it('refuses a secret with an asymmetric algorithm and a non-PEM key', () => {
    expect(problemsOf({ jwt: { algorithm: 'ES256', secret: 'x'.repeat(40) } })).toContain('HS256 only');
    expect(problemsOf({ jwt: { algorithm: 'RS256', privateKey: 'not a key' } })).toContain('PKCS#8 PEM');
  });

  it('refuses CORS * and origins with paths', () => {
    const message = problemsOf({ hardening: { cors: { origins: ['*', 'https://a.example.com/path'] } } });
    expect(message).toContain('"*"');
    expect(message).toContain('https://a.example.com/path');
  });

  it('takes documentation paths as plain path prefixes only', () => {
    const ok = resolveApiSecurityOptions({ hardening: { documentationPaths: ['/api/docs', '/docs-v2'] } });
    expect(ok.hardening.documentationPaths).toEqual(['/api/docs', '/docs-v2']);
    for (const bad of ['api/docs', '/api/docs/', '/', '/api/*', '/api/docs?x', '/api/../docs', '']) {
      expect(problemsOf({ hardening: { documentationPaths: [bad] } })).toContain('hardening.documentationPaths');
    }
  });

  it('refuses a bad body limit, a bad store and a bad audit mode, listing every problem at once', () => {
    const message = problemsOf({
      hardening: { bodyLimit: 'lots' },
      store: { type: 'redis', url: 'http://localhost' },
      audit: { mode: 'loose' as 'warn' },
    });
    expect(message).toContain('hardening.bodyLimit');
    expect(message).toContain('store.url');
    expect(message).toContain('audit.mode');
  });

  it('accepts a Redis Cluster store and refuses store.url with store.cluster, or neither, at boot', () => {
    const cluster = { nodes: ['127.0.0.1:7000', '127.0.0.1:7001'] };
    expect(() => resolveApiSecurityOptions({ store: { type: 'redis', cluster } })).not.toThrow();
    expect(problemsOf({ store: { type: 'redis', url: 'redis://localhost:6379', cluster } })).toContain(
      'store.url and store.cluster are exclusive',
    );
    expect(problemsOf({ store: { type: 'redis' } })).toContain('store.url must be');
    expect(problemsOf({ store: { type: 'redis', cluster: { nodes: ['nohost'] } } })).toContain(
      'store.cluster.nodes[0]',
    );
  });

  it('accepts a Sentinel store and refuses it with store.url or store.cluster, or without a master name, at boot', () => {
    const sentinel = { sentinels: ['127.0.0.1:26379'], name: 'mymaster' };
    expect(() => resolveApiSecurityOptions({ store: { type: 'redis', sentinel } })).not.toThrow();
    expect(problemsOf({ store: { type: 'redis', url: 'redis://localhost:6379', sentinel } })).toContain(
      'store.url and store.sentinel are exclusive',
    );
    expect(problemsOf({ store: { type: 'redis', cluster: { nodes: ['127.0.0.1:7000'] }, sentinel } })).toContain(
      'store.cluster and store.sentinel are exclusive',
    );
    const message = problemsOf({ store: { type: 'redis', sentinel: { sentinels: ['x'], name: '' } } });
    expect(message).toContain('store.sentinel.sentinels[0]');
    expect(message).toContain('store.sentinel.name');
  });

  it('accepts an outage policy for counters, and refuses one for security records or unknown purposes at boot', () => {
    const url = 'redis://localhost:6379';
    for (const onUnavailable of [
      'failOpen',
      'failClosed',
      { rateLimit: 'failOpen', velocity: 'failClosed' },
    ] as const) {
      expect(() => resolveApiSecurityOptions({ store: { type: 'redis', url, onUnavailable } })).not.toThrow();
    }
    const refused = (onUnavailable: unknown) =>
      problemsOf({ store: { type: 'redis', url, onUnavailable: onUnavailable as 'failOpen' } });
    for (const purpose of ['revocation', 'refreshToken', 'challenge', 'lockout']) {
      expect(refused({ [purpose]: 'failOpen' })).toContain(
        `store.onUnavailable.${purpose}: ${purpose} always fails closed`,
      );
    }
    expect(refused({ sessions: 'failOpen' })).toContain(
      "store.onUnavailable has an unknown purpose 'sessions': only rateLimit, velocity, alerts may be set.",
    );
    expect(refused({ rateLimit: 'yes' })).toContain("store.onUnavailable.rateLimit must be 'failClosed' or 'failOpen'");
    expect(refused('open')).toContain("store.onUnavailable must be 'failClosed', 'failOpen' or an object");
  });

  it('refuses an unknown key before judging values, with its own code and the closest valid key', () => {
    let thrown: unknown;
    try {
      // The misspelt key would leave rate limiting at its default; the bad tier must not be judged.
      resolveApiSecurityOptions({ ratelimit: { enabled: false }, jwt: { clockToleranceSeconds: 600 } } as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ApiSecurityConfigError);
    expect(thrown).toMatchObject({
      code: 'ERR_CONFIG_UNKNOWN_OPTION',
      problems: ['Unknown option "ratelimit"; did you mean "rateLimit"?'],
    });
  });

  it('gives invalid values the invalid-option code', () => {
    expect(() => resolveApiSecurityOptions({ jwt: { clockToleranceSeconds: 600 } })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID_OPTION' }),
    );
  });

  it('parses body limits', () => {
    expect(resolveApiSecurityOptions({ hardening: { bodyLimit: '1mb' } }).hardening.bodyLimitBytes).toBe(1048576);
    expect(resolveApiSecurityOptions({ hardening: { bodyLimit: 2048 } }).hardening.bodyLimitBytes).toBe(2048);
  });
});

describe('resolveApiSecurityOptions: jwt keys', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecPem = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const ecPublic = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const rsaPublic = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .publicKey.export({ type: 'spki', format: 'pem' })
    .toString();

  it('defaults to no older keys and no remote JWKS', () => {
    const { jwt } = resolveApiSecurityOptions({ production: false });
    expect(jwt.verificationKeys).toEqual([]);
    expect(jwt.jwksUrl).toBeUndefined();
    expect(jwt.privateKey).toBeUndefined();
  });

  it('keeps valid keys and URL', () => {
    const { jwt } = resolveApiSecurityOptions({
      jwt: {
        privateKey: ecPem,
        verificationKeys: [{ kid: 'old', publicKey: ecPublic }, { publicKey: ecPublic }],
        jwksUrl: 'https://issuer.example.com/.well-known/jwks.json',
      },
    });
    expect(jwt.verificationKeys).toEqual([{ kid: 'old', publicKey: ecPublic }, { publicKey: ecPublic }]);
    expect(jwt.jwksUrl).toBe('https://issuer.example.com/.well-known/jwks.json');
  });

  it('requires jwt.privateKey in production for asymmetric algorithms, not outside', () => {
    for (const algorithm of ['ES256', 'RS256', 'EdDSA'] as const) {
      const message = problemsOf({ production: true, jwt: { algorithm } });
      expect(message).toContain('jwt.privateKey is required in production');
      expect(message).toContain('openssl genpkey');
      expect(resolveApiSecurityOptions({ production: false, jwt: { algorithm } }).jwt.algorithm).toBe(algorithm);
    }
    expect(
      resolveApiSecurityOptions({ production: true, jwt: { algorithm: 'HS256', secret: 'x'.repeat(32) } }).production,
    ).toBe(true);
  });

  it('follows NODE_ENV=production when production is not given', () => {
    const saved = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      expect(problemsOf({})).toContain('jwt.privateKey is required in production');
    } finally {
      process.env.NODE_ENV = saved;
    }
  });

  it('refuses a private key of the wrong type without echoing it', () => {
    const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const message = problemsOf({ jwt: { algorithm: 'ES256', privateKey: rsaPem } });
    expect(message).toContain('jwt.privateKey must be an EC key on curve P-256');
    expect(message).not.toContain(rsaPem.split('\n')[1]);
  });

  it('refuses bad verification keys, naming each one', () => {
    const message = problemsOf({
      jwt: {
        privateKey: ecPem,
        verificationKeys: [
          { publicKey: rsaPublic },
          { publicKey: 'nope' },
          { kid: 'has space', publicKey: ecPublic },
          { kid: 'dup', publicKey: ecPublic },
          { kid: 'dup', publicKey: ecPublic },
        ],
      },
    });
    expect(message).toContain('jwt.verificationKeys[0].publicKey must be an EC key on curve P-256');
    expect(message).toContain('jwt.verificationKeys[1].publicKey must be an SPKI PEM');
    expect(message).toContain('jwt.verificationKeys[2].kid must be');
    expect(message).toContain('jwt.verificationKeys[4].kid repeats');
    expect(problemsOf({ jwt: { verificationKeys: 'x' as never } })).toContain('jwt.verificationKeys must be an array');
  });

  it('refuses a JWKS URL that is not https (except loopback) or carries credentials', () => {
    expect(problemsOf({ jwt: { jwksUrl: 'http://issuer.example.com/jwks.json' } })).toContain(
      'jwt.jwksUrl must use https',
    );
    expect(problemsOf({ jwt: { jwksUrl: 'https://u:p@issuer.example.com/jwks.json' } })).toContain(
      'jwt.jwksUrl must not contain credentials',
    );
    expect(resolveApiSecurityOptions({ jwt: { jwksUrl: 'http://127.0.0.1:4000/jwks.json' } }).jwt.jwksUrl).toBe(
      'http://127.0.0.1:4000/jwks.json',
    );
  });

  it('refuses public-key options with HS256', () => {
    const message = problemsOf({
      jwt: { algorithm: 'HS256', secret: 'x'.repeat(32), verificationKeys: [], jwksUrl: 'https://a.example/jwks' },
    });
    expect(message).toContain('jwt.verificationKeys are public keys for asymmetric algorithms');
    expect(message).toContain('jwt.jwksUrl verifies asymmetric signatures');
  });
});
