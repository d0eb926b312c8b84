import { generateKeyPairSync } from 'node:crypto';
import { type AppConfig, loadConfig, MIN_JWT_SECRET_BYTES } from './app-config';
import { ConfigError, type ConfigProblem } from './config.error';

/** PKCS#8 PEM for a freshly generated key, as operators paste it into an env file: one line, literal `\n`. */
function pkcs8(kind: 'ec-p256' | 'ec-p384' | 'rsa-2048' | 'rsa-1024' | 'ed25519'): { pem: string; oneLine: string } {
  const { privateKey } =
    kind === 'ec-p256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : kind === 'ec-p384'
        ? generateKeyPairSync('ec', { namedCurve: 'P-384' })
        : kind === 'ed25519'
          ? generateKeyPairSync('ed25519')
          : generateKeyPairSync('rsa', { modulusLength: kind === 'rsa-2048' ? 2048 : 1024 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { pem, oneLine: pem.trim().replace(/\n/g, '\\n') };
}

const EC_P256 = pkcs8('ec-p256');
const STRONG_SECRET = 'k'.repeat(MIN_JWT_SECRET_BYTES);

function problemsOf(env: NodeJS.ProcessEnv): ConfigProblem[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(Object.keys(env))}`);
}

/** Asserts exactly one problem, about `variable`, whose message starts with the variable's name. */
function expectOneProblem(env: NodeJS.ProcessEnv, variable: string, mentions?: RegExp): ConfigProblem {
  const problems = problemsOf(env);
  expect(problems.map((p) => p.variable)).toEqual([variable]);
  const [problem] = problems as [ConfigProblem];
  expect(problem.message.startsWith(`${variable} `)).toBe(true);
  if (mentions) expect(problem.message).toMatch(mentions);
  return problem;
}

describe('loadConfig', () => {
  describe('defaults', () => {
    it('gives the contract defaults for an empty environment', () => {
      const expected: AppConfig = {
        nodeEnv: 'development',
        production: false,
        port: 3000,
        databaseUrl: undefined,
        sqlitePath: undefined,
        redisUrl: undefined,
        redisClusterNodes: undefined,
        redisClusterPassword: undefined,
        jwt: {
          algorithm: 'ES256',
          privateKeyPem: undefined,
          secret: undefined,
          issuer: 'sample-api',
          audience: 'sample-api',
          accessTokenTtlSeconds: 900,
          refreshTokenTtlSeconds: 604800,
        },
        redisKeyPrefix: undefined,
        storeMaxEntries: 1_000_000,
        seedAdmin: undefined,
        rateLimit: { limit: 100, windowSeconds: 60 },
        login: { maxFailures: 5, lockoutSeconds: 900 },
        checkout: { powDifficulty: 4, maxPerHour: 5 },
        previewAllowedHosts: [],
        previewAllowedPorts: [80, 443],
        previewAllowedCidrs: [],
        corsOrigins: [],
        bodyLimitBytes: 100 * 1024,
        trustProxy: undefined,
        auditHashKey: undefined,
      };
      expect(loadConfig({})).toStrictEqual(expected);
    });

    it('treats empty and blank values as unset, as `VAR=` lines in env files mean', () => {
      const blank = Object.fromEntries(
        [
          'PORT',
          'DATABASE_URL',
          'JWT_ALGORITHM',
          'JWT_SECRET',
          'RATE_LIMIT',
          'BODY_LIMIT',
          'STORE_MAX_ENTRIES',
          'TRUST_PROXY',
          'CORS_ORIGINS',
        ].map((name) => [name, '  ']),
      );
      expect(loadConfig(blank)).toStrictEqual(loadConfig({}));
    });

    it('returns a deeply frozen object so no module can change the configuration at run time', () => {
      const config = loadConfig({ CORS_ORIGINS: 'https://app.example.com' });
      expect(Object.isFrozen(config)).toBe(true);
      expect(Object.isFrozen(config.jwt)).toBe(true);
      expect(Object.isFrozen(config.rateLimit)).toBe(true);
      expect(Object.isFrozen(config.corsOrigins)).toBe(true);
    });

    it('parses a complete valid environment', () => {
      const config = loadConfig({
        NODE_ENV: 'production',
        PORT: ' 8080 ',
        DATABASE_URL: 'postgresql://app:pw@db.internal:5432/app',
        SQLITE_PATH: ':memory:',
        REDIS_URL: 'rediss://cache.internal:6380',
        JWT_ALGORITHM: 'ES256',
        JWT_PRIVATE_KEY: EC_P256.oneLine,
        JWT_SECRET: STRONG_SECRET,
        JWT_ISSUER: 'https://auth.example.com',
        JWT_AUDIENCE: 'orders-api',
        ACCESS_TOKEN_TTL: '300',
        REFRESH_TOKEN_TTL: '86400',
        SEED_ADMIN_EMAIL: ' Admin@Example.COM ',
        SEED_ADMIN_PASSWORD: 'correct horse battery',
        RATE_LIMIT: '20/10s',
        LOGIN_MAX_FAILURES: '3',
        LOGIN_LOCKOUT_SECONDS: '60',
        CHECKOUT_POW_DIFFICULTY: '2',
        CHECKOUT_MAX_PER_HOUR: '10',
        PREVIEW_ALLOWED_HOSTS: 'example.com',
        CORS_ORIGINS: 'https://app.example.com',
        BODY_LIMIT: '1mb',
        STORE_MAX_ENTRIES: '5000',
        TRUST_PROXY: '2',
      });
      expect(config).toEqual({
        nodeEnv: 'production',
        production: true,
        port: 8080,
        databaseUrl: 'postgresql://app:pw@db.internal:5432/app',
        sqlitePath: ':memory:',
        redisUrl: 'rediss://cache.internal:6380',
        redisClusterNodes: undefined,
        redisClusterPassword: undefined,
        storeMaxEntries: 5000,
        jwt: {
          algorithm: 'ES256',
          privateKeyPem: EC_P256.pem.trim(),
          secret: STRONG_SECRET,
          issuer: 'https://auth.example.com',
          audience: 'orders-api',
          accessTokenTtlSeconds: 300,
          refreshTokenTtlSeconds: 86400,
        },
        seedAdmin: { email: 'admin@example.com', password: 'correct horse battery' },
        rateLimit: { limit: 20, windowSeconds: 10 },
        login: { maxFailures: 3, lockoutSeconds: 60 },
        checkout: { powDifficulty: 2, maxPerHour: 10 },
        previewAllowedHosts: ['example.com'],
        previewAllowedPorts: [80, 443],
        previewAllowedCidrs: [],
        corsOrigins: ['https://app.example.com'],
        bodyLimitBytes: 1024 * 1024,
        trustProxy: 2,
      });
    });

    it('recognises NODE_ENV=production whatever its case', () => {
      expect(loadConfig({ NODE_ENV: 'Production', JWT_PRIVATE_KEY: EC_P256.oneLine }).production).toBe(true);
      expect(loadConfig({ NODE_ENV: 'test' }).production).toBe(false);
    });
  });

  describe('PORT', () => {
    it.each(['1', '65535'])('accepts %s', (port) => {
      expect(loadConfig({ PORT: port }).port).toBe(Number(port));
    });

    it.each(['0', '65536', 'abc', '80.5', '-1', '1e3', '0x50'])('rejects %p', (port) => {
      expectOneProblem({ PORT: port }, 'PORT', /1 to 65535/);
    });
  });

  describe('DATABASE_URL and REDIS_URL', () => {
    it.each([
      'postgres://u@localhost/db',
      'postgresql://u:p@localhost:5432/db',
      'postgres:///db?host=/var/run/postgresql',
    ])('accepts DATABASE_URL %p', (url) => {
      expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
    });

    it.each(['mysql://u:p@localhost/db', 'sqlite://data.db', 'localhost:5432', 'postgres://'])(
      'rejects DATABASE_URL %p',
      (url) => {
        expectOneProblem({ DATABASE_URL: url }, 'DATABASE_URL', /postgres:\/\/.*postgresql:\/\//);
      },
    );

    it.each(['redis://localhost:6379', 'rediss://user:pw@cache:6380/0'])('accepts REDIS_URL %p', (url) => {
      expect(loadConfig({ REDIS_URL: url }).redisUrl).toBe(url);
    });

    it.each(['http://localhost:6379', 'memcached://cache', 'localhost:6379'])('rejects REDIS_URL %p', (url) => {
      expectOneProblem({ REDIS_URL: url }, 'REDIS_URL', /redis:\/\/.*rediss:\/\//);
    });
  });

  describe('REDIS_CLUSTER_NODES', () => {
    it('reads a comma list of host:port seeds, spaces and empty entries ignored', () => {
      const config = loadConfig({ REDIS_CLUSTER_NODES: ' redis-1:7000, 10.0.0.2:7001,,[::1]:7002 ' });
      expect(config.redisClusterNodes).toEqual(['redis-1:7000', '10.0.0.2:7001', '[::1]:7002']);
    });

    it('is unset by default and when empty', () => {
      expect(loadConfig({}).redisClusterNodes).toBeUndefined();
      expect(loadConfig({ REDIS_CLUSTER_NODES: '' }).redisClusterNodes).toBeUndefined();
    });

    it.each(['redis-1', 'redis://redis-1:7000', 'redis-1:0', 'redis-1:65536', 'a:1,b', ' , '])(
      'rejects %p, naming the variable without echoing it',
      (nodes) => {
        const problem = expectOneProblem({ REDIS_CLUSTER_NODES: nodes }, 'REDIS_CLUSTER_NODES', /host:port/);
        if (nodes.includes('redis://')) expect(problem.message).not.toContain('redis://');
      },
    );

    it('keeps REDIS_CLUSTER_PASSWORD byte for byte and out of messages', () => {
      expect(loadConfig({ REDIS_CLUSTER_NODES: 'r:7000', REDIS_CLUSTER_PASSWORD: ' p w ' }).redisClusterPassword).toBe(
        ' p w ',
      );
    });
  });

  describe('JWT', () => {
    it.each(['ES256', 'RS256', 'EdDSA', 'HS256'] as const)('accepts JWT_ALGORITHM=%s', (algorithm) => {
      const config = loadConfig({ JWT_ALGORITHM: algorithm, JWT_SECRET: STRONG_SECRET });
      expect(config.jwt.algorithm).toBe(algorithm);
    });

    it('accepts the algorithm name in any case and reports it canonically', () => {
      expect(loadConfig({ JWT_ALGORITHM: 'eddsa' }).jwt.algorithm).toBe('EdDSA');
    });

    it.each(['none', 'HS512', 'RS384', 'ES256K'])('rejects JWT_ALGORITHM=%p', (algorithm) => {
      expectOneProblem({ JWT_ALGORITHM: algorithm }, 'JWT_ALGORITHM', /ES256, RS256, EdDSA, HS256/);
    });

    it('requires JWT_SECRET for HS256', () => {
      expectOneProblem({ JWT_ALGORITHM: 'HS256' }, 'JWT_SECRET', /required when JWT_ALGORITHM=HS256/);
    });

    it(`rejects a JWT_SECRET shorter than ${MIN_JWT_SECRET_BYTES} bytes`, () => {
      expectOneProblem(
        { JWT_ALGORITHM: 'HS256', JWT_SECRET: 'k'.repeat(MIN_JWT_SECRET_BYTES - 1) },
        'JWT_SECRET',
        /at least 32 bytes/,
      );
    });

    it('rejects a short JWT_SECRET even when another algorithm is selected', () => {
      expectOneProblem({ JWT_SECRET: 'too-short' }, 'JWT_SECRET', /at least 32 bytes/);
    });

    it('measures JWT_SECRET in UTF-8 bytes, not characters', () => {
      expect(loadConfig({ JWT_ALGORITHM: 'HS256', JWT_SECRET: 'é'.repeat(16) }).jwt.secret).toBe('é'.repeat(16));
      expectOneProblem({ JWT_ALGORITHM: 'HS256', JWT_SECRET: 'é'.repeat(15) }, 'JWT_SECRET');
    });

    it('keeps JWT_SECRET byte for byte, surrounding spaces included', () => {
      const secret = ` ${STRONG_SECRET} `;
      expect(loadConfig({ JWT_ALGORITHM: 'HS256', JWT_SECRET: secret }).jwt.secret).toBe(secret);
    });

    it.each(['ES256', 'RS256', 'EdDSA'])(
      'allows %s without JWT_PRIVATE_KEY outside production (the auth layer generates one)',
      (algorithm) => {
        expect(loadConfig({ JWT_ALGORITHM: algorithm }).jwt.privateKeyPem).toBeUndefined();
      },
    );

    it.each(['ES256', 'RS256', 'EdDSA'])('refuses %s without JWT_PRIVATE_KEY in production', (algorithm) => {
      expectOneProblem(
        { NODE_ENV: 'production', JWT_ALGORITHM: algorithm },
        'JWT_PRIVATE_KEY',
        /required when NODE_ENV=production.*openssl genpkey/,
      );
    });

    it('runs HS256 in production with a secret and no private key', () => {
      const config = loadConfig({ NODE_ENV: 'production', JWT_ALGORITHM: 'HS256', JWT_SECRET: STRONG_SECRET });
      expect(config.jwt).toMatchObject({ algorithm: 'HS256', secret: STRONG_SECRET, privateKeyPem: undefined });
    });

    it('turns literal \\n sequences in JWT_PRIVATE_KEY into line breaks', () => {
      const { privateKeyPem } = loadConfig({ JWT_PRIVATE_KEY: EC_P256.oneLine }).jwt;
      expect(privateKeyPem).toBe(EC_P256.pem.trim());
      expect(privateKeyPem).not.toContain('\\n');
    });

    it('accepts a JWT_PRIVATE_KEY that already has real line breaks', () => {
      expect(loadConfig({ JWT_PRIVATE_KEY: EC_P256.pem }).jwt.privateKeyPem).toBe(EC_P256.pem.trim());
    });

    it.each([
      ['RS256', 'rsa-2048'],
      ['EdDSA', 'ed25519'],
    ] as const)('accepts a matching key for %s', (algorithm, kind) => {
      const key = pkcs8(kind);
      expect(loadConfig({ JWT_ALGORITHM: algorithm, JWT_PRIVATE_KEY: key.oneLine }).jwt.privateKeyPem).toBe(
        key.pem.trim(),
      );
    });

    it.each([
      ['ES256', 'rsa-2048', /EC key on curve P-256/],
      ['ES256', 'ec-p384', /EC key on curve P-256/],
      ['RS256', 'rsa-1024', /at least 2048 bits/],
      ['RS256', 'ec-p256', /RSA key/],
      ['EdDSA', 'ec-p256', /Ed25519/],
    ] as const)('rejects a %s configuration with a %s key', (algorithm, kind, mentions) => {
      expectOneProblem({ JWT_ALGORITHM: algorithm, JWT_PRIVATE_KEY: pkcs8(kind).oneLine }, 'JWT_PRIVATE_KEY', mentions);
    });

    it('rejects a SEC1 ("BEGIN EC PRIVATE KEY") key and says how to convert it', () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const sec1 = privateKey.export({ type: 'sec1', format: 'pem' }).toString();
      expectOneProblem({ JWT_PRIVATE_KEY: sec1 }, 'JWT_PRIVATE_KEY', /openssl pkcs8 -topk8/);
    });

    it('rejects an encrypted key', () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const encrypted = privateKey
        .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pass' })
        .toString();
      expectOneProblem({ JWT_PRIVATE_KEY: encrypted }, 'JWT_PRIVATE_KEY', /unencrypted/);
    });

    it.each(['not a key', '-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----'])(
      'rejects an unreadable JWT_PRIVATE_KEY %#',
      (key) => {
        expectOneProblem({ JWT_PRIVATE_KEY: key }, 'JWT_PRIVATE_KEY', /PKCS#8|PEM/);
      },
    );

    it('uses JWT_ISSUER and JWT_AUDIENCE as given', () => {
      expect(loadConfig({ JWT_ISSUER: 'issuer-x', JWT_AUDIENCE: 'audience-y' }).jwt).toMatchObject({
        issuer: 'issuer-x',
        audience: 'audience-y',
      });
    });

    it.each(['ACCESS_TOKEN_TTL', 'REFRESH_TOKEN_TTL'])('rejects a %s that is not a positive integer', (name) => {
      for (const value of ['0', '-5', '1.5', '15m', 'abc']) {
        expectOneProblem({ [name]: value }, name, /integer >= 1/);
      }
    });
  });

  describe('SEED_ADMIN_EMAIL / SEED_ADMIN_PASSWORD', () => {
    it('is undefined when neither is set', () => {
      expect(loadConfig({}).seedAdmin).toBeUndefined();
    });

    it('requires the password when the email is set', () => {
      expectOneProblem({ SEED_ADMIN_EMAIL: 'admin@example.com' }, 'SEED_ADMIN_PASSWORD', /both or neither/);
    });

    it('requires the email when the password is set', () => {
      expectOneProblem({ SEED_ADMIN_PASSWORD: 'long enough password' }, 'SEED_ADMIN_EMAIL', /both or neither/);
    });

    it('rejects a password shorter than 12 characters', () => {
      expectOneProblem(
        { SEED_ADMIN_EMAIL: 'admin@example.com', SEED_ADMIN_PASSWORD: 'elevenchars' },
        'SEED_ADMIN_PASSWORD',
        /at least 12 characters/,
      );
    });

    it('counts the password in characters, not UTF-16 units', () => {
      expectOneProblem(
        { SEED_ADMIN_EMAIL: 'admin@example.com', SEED_ADMIN_PASSWORD: '🔑'.repeat(11) },
        'SEED_ADMIN_PASSWORD',
      );
      expect(
        loadConfig({ SEED_ADMIN_EMAIL: 'a@b.io', SEED_ADMIN_PASSWORD: '🔑🚀'.repeat(6) }).seedAdmin?.password,
      ).toBe('🔑🚀'.repeat(6));
    });

    it('applies the registration password policy: no common password, no single repeated character', () => {
      expectOneProblem(
        { SEED_ADMIN_EMAIL: 'admin@example.com', SEED_ADMIN_PASSWORD: 'Password1234' },
        'SEED_ADMIN_PASSWORD',
        /too common/,
      );
      expectOneProblem(
        { SEED_ADMIN_EMAIL: 'admin@example.com', SEED_ADMIN_PASSWORD: 'a'.repeat(12) },
        'SEED_ADMIN_PASSWORD',
        /repeated/,
      );
    });

    it('normalises the email like registration and refuses an invisible character in it', () => {
      expect(
        loadConfig({ SEED_ADMIN_EMAIL: ' ＡＤＭＩＮ@Example.com ', SEED_ADMIN_PASSWORD: 'long enough password' })
          .seedAdmin?.email,
      ).toBe('admin@example.com');
      expectOneProblem(
        { SEED_ADMIN_EMAIL: 'ad\u200bmin@example.com', SEED_ADMIN_PASSWORD: 'long enough password' },
        'SEED_ADMIN_EMAIL',
        /invisible/,
      );
    });

    it('rejects an email that is not an address', () => {
      expectOneProblem(
        { SEED_ADMIN_EMAIL: 'admin', SEED_ADMIN_PASSWORD: 'long enough password' },
        'SEED_ADMIN_EMAIL',
        /email address/,
      );
    });
  });

  describe('REDIS_KEY_PREFIX', () => {
    it('accepts a plain prefix', () => {
      expect(loadConfig({ REDIS_KEY_PREFIX: 'shop-api:' }).redisKeyPrefix).toBe('shop-api:');
    });

    it.each(['{tag}:', 'has space', 'x'.repeat(65)])('rejects %p', (value) => {
      expectOneProblem({ REDIS_KEY_PREFIX: value }, 'REDIS_KEY_PREFIX', /letters, digits/);
    });
  });

  describe('RATE_LIMIT', () => {
    it('parses N/Ss', () => {
      expect(loadConfig({ RATE_LIMIT: '5/1s' }).rateLimit).toEqual({ limit: 5, windowSeconds: 1 });
      expect(loadConfig({ RATE_LIMIT: '1000/3600s' }).rateLimit).toEqual({ limit: 1000, windowSeconds: 3600 });
    });

    it.each(['100', '100/60', '0/60s', '100/0s', '100/60m', 'abc', '-1/60s', '1.5/60s', '5/86401s'])(
      'rejects %p',
      (value) => {
        expectOneProblem({ RATE_LIMIT: value }, 'RATE_LIMIT', /100\/60s/);
      },
    );
  });

  describe('STORE_MAX_ENTRIES', () => {
    it('sets the bound of the in-memory store', () => {
      expect(loadConfig({ STORE_MAX_ENTRIES: '2000' }).storeMaxEntries).toBe(2000);
    });

    it.each(['lots', '0', '1', '-5', '2.5', '1e6', '99999999999999999999'])('refuses STORE_MAX_ENTRIES=%p', (value) => {
      expectOneProblem({ STORE_MAX_ENTRIES: value }, 'STORE_MAX_ENTRIES', /integer >= 2/);
    });
  });

  describe('login lockout and checkout limits', () => {
    it.each(['LOGIN_MAX_FAILURES', 'LOGIN_LOCKOUT_SECONDS', 'CHECKOUT_MAX_PER_HOUR'])(
      'rejects a %s that is not a positive integer',
      (name) => {
        for (const value of ['0', '-1', 'x', '2.5']) expectOneProblem({ [name]: value }, name, /integer >= 1/);
      },
    );

    it.each(['1', '8'])('accepts CHECKOUT_POW_DIFFICULTY=%s', (value) => {
      expect(loadConfig({ CHECKOUT_POW_DIFFICULTY: value }).checkout.powDifficulty).toBe(Number(value));
    });

    it.each(['0', '9', '64', 'hard'])('rejects CHECKOUT_POW_DIFFICULTY=%p', (value) => {
      expectOneProblem({ CHECKOUT_POW_DIFFICULTY: value }, 'CHECKOUT_POW_DIFFICULTY', /1 to 8/);
    });
  });

  describe('PREVIEW_ALLOWED_HOSTS', () => {
    it('trims, lowercases, drops empty entries, trailing dots and duplicates', () => {
      expect(
        loadConfig({ PREVIEW_ALLOWED_HOSTS: ' Example.COM , ,api.example.org., example.com,' }).previewAllowedHosts,
      ).toEqual(['example.com', 'api.example.org']);
    });

    it('accepts IP literals (the fetcher still refuses private addresses)', () => {
      expect(loadConfig({ PREVIEW_ALLOWED_HOSTS: '93.184.216.34,::1' }).previewAllowedHosts).toEqual([
        '93.184.216.34',
        '::1',
      ]);
    });

    it.each([
      'https://example.com',
      'example.com:8080',
      'example.com/path',
      'user@example.com',
      'exa mple.com',
      '-bad.com',
    ])('rejects %p', (value) => {
      expectOneProblem({ PREVIEW_ALLOWED_HOSTS: value }, 'PREVIEW_ALLOWED_HOSTS', /host name/);
    });

    it('rejects wildcards', () => {
      expectOneProblem({ PREVIEW_ALLOWED_HOSTS: '*.example.com' }, 'PREVIEW_ALLOWED_HOSTS', /wildcards/);
    });

    it('reports every bad entry, not just the first', () => {
      const problems = problemsOf({ PREVIEW_ALLOWED_HOSTS: 'ok.example.com, https://a.com, b.com:1' });
      expect(problems).toHaveLength(2);
      expect(problems.every((p) => p.variable === 'PREVIEW_ALLOWED_HOSTS')).toBe(true);
    });
  });

  describe('PREVIEW_ALLOWED_PORTS and PREVIEW_ALLOWED_CIDRS (additions for tests and deployments)', () => {
    it('parses ports and CIDRs', () => {
      const config = loadConfig({ PREVIEW_ALLOWED_PORTS: '443, 8443,443', PREVIEW_ALLOWED_CIDRS: '127.0.0.2/32, ::1' });
      expect(config.previewAllowedPorts).toEqual([443, 8443]);
      expect(config.previewAllowedCidrs).toEqual(['127.0.0.2/32', '::1']);
    });

    it.each(['0', '65536', 'http', '80a'])('rejects the port %p', (value) => {
      expectOneProblem({ PREVIEW_ALLOWED_PORTS: value }, 'PREVIEW_ALLOWED_PORTS', /1 to 65535/);
    });

    it.each(['10.0.0.0/33', 'localhost', '127.1/32'])('rejects the CIDR %p', (value) => {
      expectOneProblem({ PREVIEW_ALLOWED_CIDRS: value }, 'PREVIEW_ALLOWED_CIDRS', /CIDR/);
    });

    it('refuses PREVIEW_ALLOWED_CIDRS in production', () => {
      expectOneProblem(
        { NODE_ENV: 'production', JWT_PRIVATE_KEY: EC_P256.oneLine, PREVIEW_ALLOWED_CIDRS: '127.0.0.1/32' },
        'PREVIEW_ALLOWED_CIDRS',
        /production/,
      );
    });
  });

  describe('CORS_ORIGINS', () => {
    it('canonicalises origins, drops empty entries and duplicates', () => {
      expect(
        loadConfig({ CORS_ORIGINS: ' https://App.Example.com , http://localhost:3000,,https://app.example.com:443' })
          .corsOrigins,
      ).toEqual(['https://app.example.com', 'http://localhost:3000']);
    });

    it.each(['*', 'https://*.example.com', 'null'])('rejects the wildcard-like origin %p', (value) => {
      expectOneProblem({ CORS_ORIGINS: value }, 'CORS_ORIGINS', /exact origins/);
    });

    it.each([
      'https://app.example.com/',
      'https://app.example.com/path',
      'https://app.example.com?x=1',
      'ftp://files.example.com',
      'app.example.com',
      'https://user:pw@app.example.com',
      'https://app.example.com:99999',
    ])('rejects %p', (value) => {
      expectOneProblem({ CORS_ORIGINS: value }, 'CORS_ORIGINS', /http\(s\):\/\/host\[:port\]/);
    });
  });

  describe('BODY_LIMIT', () => {
    it.each([
      ['100kb', 102400],
      ['1mb', 1048576],
      ['1MB', 1048576],
      ['2048', 2048],
      ['512b', 512],
      ['100mb', 100 * 1024 * 1024],
    ])('parses %p as %d bytes', (value, bytes) => {
      expect(loadConfig({ BODY_LIMIT: value }).bodyLimitBytes).toBe(bytes);
    });

    it.each(['0', '-1', 'abc', '1.5mb', '1gb', '10 tb'])('rejects %p', (value) => {
      expectOneProblem({ BODY_LIMIT: value }, 'BODY_LIMIT', /100kb/);
    });

    it('rejects limits above 100mb', () => {
      expectOneProblem({ BODY_LIMIT: '101mb' }, 'BODY_LIMIT', /at most 100mb/);
    });
  });

  describe('TRUST_PROXY', () => {
    it('is undefined when unset, so X-Forwarded-* is ignored', () => {
      expect(loadConfig({}).trustProxy).toBeUndefined();
    });

    it.each([
      ['0', 0],
      ['1', 1],
      ['false', 0],
      ['loopback', ['loopback']],
      [' 10.0.0.1, 192.168.0.0/16 ,::1, fd00::/8,', ['10.0.0.1', '192.168.0.0/16', '::1', 'fd00::/8']],
      ['loopback, uniquelocal', ['loopback', 'uniquelocal']],
    ])('parses %p', (value, expected) => {
      expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toEqual(expected);
    });

    it.each(['true', 'TRUE'])('rejects %p and explains the spoofing risk and the fix', (value) => {
      expectOneProblem({ TRUST_PROXY: value }, 'TRUST_PROXY', /spoof.*X-Forwarded-For|X-Forwarded-For.*spoof/);
      expectOneProblem({ TRUST_PROXY: value }, 'TRUST_PROXY', /number of proxies.*TRUST_PROXY=1/);
    });

    it.each(['10.0.0.0/33', '::1/129', 'proxy.internal', '1.2.3', 'yes', '101'])('rejects %p', (value) => {
      expectOneProblem({ TRUST_PROXY: value }, 'TRUST_PROXY');
    });
  });

  describe('AUDIT_HASH_KEY', () => {
    it('is undefined when unset (the library derives the key from the JWT signing key)', () => {
      expect(loadConfig({}).auditHashKey).toBeUndefined();
    });

    it('is taken byte for byte', () => {
      const key = ` ${'a'.repeat(40)} `;
      expect(loadConfig({ AUDIT_HASH_KEY: key }).auditHashKey).toBe(key);
    });

    it('rejects a key under 32 bytes without echoing it', () => {
      const short = 'short-audit-key';
      expectOneProblem({ AUDIT_HASH_KEY: short }, 'AUDIT_HASH_KEY', /32 bytes/);
      expect(JSON.stringify(problemsOf({ AUDIT_HASH_KEY: short }))).not.toContain(short);
    });
  });

  describe('the ConfigError', () => {
    it('lists every problem at once, each line naming its variable', () => {
      let error: unknown;
      try {
        loadConfig({ PORT: 'x', RATE_LIMIT: 'lots', CORS_ORIGINS: '*', JWT_ALGORITHM: 'HS256' });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const configError = error as ConfigError;
      expect(configError.name).toBe('ConfigError');
      expect(configError.problems.map((p) => p.variable).sort()).toEqual(
        ['CORS_ORIGINS', 'JWT_SECRET', 'PORT', 'RATE_LIMIT'].sort(),
      );
      expect(configError.message).toMatch(/^Invalid configuration \(4 problems\):\n/);
      for (const problem of configError.problems) expect(configError.message).toContain(`  - ${problem.message}`);
    });

    it('says "1 problem" for a single problem', () => {
      expect(() => loadConfig({ PORT: '0' })).toThrow(/^Invalid configuration \(1 problem\):\n {2}- PORT /);
    });

    it('never echoes a secret value', () => {
      const secrets = {
        JWT_SECRET: 'short-secret-Q7x',
        SEED_ADMIN_PASSWORD: 'tiny-Pw-9',
        DATABASE_URL: 'mysql://admin:hunter2-db-pass@db.internal/app',
        REDIS_URL: 'http://:redis-pass-123@cache.internal:6379',
        JWT_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\\nU0VDUkVUTUFURVJJQUw=\\n-----END PRIVATE KEY-----',
      };
      const problems = problemsOf({ ...secrets, SEED_ADMIN_EMAIL: 'admin@example.com' });
      expect(problems.map((p) => p.variable).sort()).toEqual(Object.keys(secrets).sort());
      const message = new ConfigError(problems).message;
      for (const fragment of [
        ...Object.values(secrets),
        'short-secret',
        'tiny-Pw',
        'hunter2',
        'redis-pass',
        'U0VDUkVU',
        'db.internal',
      ]) {
        expect(message).not.toContain(fragment);
      }
    });

    it('never echoes a real private key, even one of the wrong type', () => {
      const rsa = pkcs8('rsa-2048');
      const body = rsa.pem.split('\n')[5] ?? '';
      expect(body.length).toBeGreaterThan(20);
      const problem = expectOneProblem({ JWT_PRIVATE_KEY: rsa.oneLine }, 'JWT_PRIVATE_KEY');
      expect(problem.message).not.toContain(body);
    });
  });
});
