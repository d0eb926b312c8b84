import { IsIdentityEmail, IsPassword, normalizeIdentityEmail } from '@api-security/nestjs';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ConfigError, type ConfigProblem } from './config.error';
import {
  type Parsed,
  parseByteSize,
  parseCidr,
  parseConnectionUrl,
  parseHostName,
  parseInteger,
  parseList,
  parseOrigin,
  parseRateLimit,
  parseTrustProxy,
  quote,
} from './env-parsers';
import { type AsymmetricJwtAlgorithm, checkPrivateKey, privateKeyHint, unescapePem } from './jwt-private-key';

/** Injection token for the validated, frozen {@link AppConfig}. */
export const APP_CONFIG = Symbol('APP_CONFIG');

export const JWT_ALGORITHMS = ['ES256', 'RS256', 'EdDSA', 'HS256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** Shortest HS256 secret accepted: the HMAC key should be as long as the SHA-256 output (RFC 7518 §3.2). */
export const MIN_JWT_SECRET_BYTES = 32;

/** The seeded admin's credentials meet the same rules as a registration's. */
class SeedAdminCredentials {
  @IsIdentityEmail()
  email!: string;

  @IsPassword()
  password!: string;
}

/** Shortest AUDIT_HASH_KEY accepted: an HMAC-SHA-256 key as long as its output. */
export const MIN_AUDIT_HASH_KEY_BYTES = 32;

export interface JwtConfig {
  readonly algorithm: JwtAlgorithm;
  /**
   * PKCS#8 PEM with real line breaks. Absent only outside production with an asymmetric algorithm: the
   * auth layer then generates a throw-away key at start and warns.
   */
  readonly privateKeyPem?: string;
  /** HS256 secret (at least {@link MIN_JWT_SECRET_BYTES} bytes); always present when the algorithm is HS256. */
  readonly secret?: string;
  readonly issuer: string;
  readonly audience: string;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
}

export interface SeedAdminConfig {
  /** Trimmed and lowercased. */
  readonly email: string;
  readonly password: string;
}

export interface RateLimitConfig {
  readonly limit: number;
  readonly windowSeconds: number;
}

export interface LoginLockoutConfig {
  /** Consecutive failures that lock the account. */
  readonly maxFailures: number;
  readonly lockoutSeconds: number;
}

export interface CheckoutConfig {
  /** Leading zero hex digits the proof-of-work hash needs (1–8). */
  readonly powDifficulty: number;
  readonly maxPerHour: number;
}

/**
 * Express `trust proxy` value: a hop count, or proxy addresses/CIDRs and the names `loopback`,
 * `linklocal`, `uniquelocal`. Passed to `app.set('trust proxy', …)` as is.
 */
export type TrustProxySetting = number | readonly string[];

/** Every environment variable of the contract, parsed and validated. Frozen. */
export interface AppConfig {
  /** NODE_ENV as given, lowercased; `development` when unset. */
  readonly nodeEnv: string;
  /** NODE_ENV=production. Only verbosity and key generation may depend on it, never security behaviour. */
  readonly production: boolean;
  readonly port: number;
  /** `postgres://…`; undefined = embedded SQLite. */
  readonly databaseUrl?: string;
  /**
   * SQLITE_PATH (not in the contract's table, an addition): the embedded database file when DATABASE_URL is
   * unset, or `:memory:` for a throw-away database in tests. Undefined = the database layer's default.
   */
  readonly sqlitePath?: string;
  /** `redis://…` or `rediss://…`; undefined = in-memory security state. */
  readonly redisUrl?: string;
  /**
   * REDIS_CLUSTER_NODES: `host:port` seeds of a Redis Cluster, used instead of REDIS_URL (which is
   * then ignored) with the same behaviour. Undefined = not a cluster.
   */
  readonly redisClusterNodes?: readonly string[];
  /**
   * REDIS_CLUSTER_PASSWORD (not in the contract's table, an addition): password of every cluster node
   * (`requirepass`); a URL cannot carry it since the seeds are plain `host:port`.
   */
  readonly redisClusterPassword?: string;
  /**
   * REDIS_KEY_PREFIX (not in the contract's table, an addition): prefix of every key the app writes to
   * Redis, so several deployments (or test runs) can share one server. Undefined = the library's default.
   */
  readonly redisKeyPrefix?: string;
  /**
   * STORE_MAX_ENTRIES: bound on the in-memory store's keys (memory mode). Half is kept for security
   * records, which counters can never push out; when a space is full new keys are refused (fail closed).
   */
  readonly storeMaxEntries: number;
  readonly jwt: JwtConfig;
  /** Admin created at start if absent; undefined when neither SEED_ADMIN_* variable is set. */
  readonly seedAdmin?: SeedAdminConfig;
  readonly rateLimit: RateLimitConfig;
  readonly login: LoginLockoutConfig;
  readonly checkout: CheckoutConfig;
  /** Lowercased host names (or IP literals); empty = the preview fetcher may reach nothing. */
  readonly previewAllowedHosts: readonly string[];
  /**
   * PREVIEW_ALLOWED_PORTS (not in the contract, an addition): ports the preview fetcher may connect to.
   * Default 80 and 443.
   */
  readonly previewAllowedPorts: readonly number[];
  /**
   * PREVIEW_ALLOWED_CIDRS (not in the contract, an addition, for tests against local servers): ranges the
   * preview fetcher may reach although they are loopback or private. Empty by default; refused in production.
   */
  readonly previewAllowedCidrs: readonly string[];
  /** Canonical origins (`https://host[:port]`); empty = CORS disabled. */
  readonly corsOrigins: readonly string[];
  readonly bodyLimitBytes: number;
  /** Undefined = X-Forwarded-* is ignored. */
  readonly trustProxy?: TrustProxySetting;
  /**
   * AUDIT_HASH_KEY (not in the contract's table, an addition): key of the HMAC pseudonyms that stand for
   * login accounts in security events and store keys (`audit.accountHashKey`), at least 32 bytes, the same
   * on every instance. Undefined = the library derives one from the JWT signing key.
   */
  readonly auditHashKey?: string;
}

export const CONFIG_DEFAULTS = {
  port: 3000,
  jwtAlgorithm: 'ES256',
  jwtIssuer: 'sample-api',
  jwtAudience: 'sample-api',
  accessTokenTtlSeconds: 900,
  refreshTokenTtlSeconds: 604800,
  rateLimit: '100/60s',
  loginMaxFailures: 5,
  loginLockoutSeconds: 900,
  checkoutPowDifficulty: 4,
  checkoutMaxPerHour: 5,
  bodyLimit: '100kb',
  storeMaxEntries: 1_000_000,
} as const;

/** Variables whose values must never appear in a message, even truncated. */
type SecretVariable =
  | 'JWT_SECRET'
  | 'JWT_PRIVATE_KEY'
  | 'SEED_ADMIN_PASSWORD'
  | 'DATABASE_URL'
  | 'REDIS_URL'
  | 'REDIS_CLUSTER_PASSWORD'
  | 'AUDIT_HASH_KEY';

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Parses and validates the whole environment. Pure: reads only `env`, touches no file or network.
 *
 * @throws ConfigError listing every problem found, each naming its variable and the fix.
 */
export function loadConfig(env: NodeJS.ProcessEnv): AppConfig {
  const problems: ConfigProblem[] = [];
  const report = (variable: string, message: string): void => {
    problems.push({ variable, message: `${variable} ${message}` });
  };

  // `VAR=` in an env file or compose file means "not set", not "empty string".
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  // Secrets are used byte for byte: trimming would silently change an HMAC key shared with other services.
  const readSecret = (name: SecretVariable): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  };
  const take = <T>(name: string, parsed: Parsed<T>, fallback: T): T => {
    if (parsed.ok) return parsed.value;
    report(name, parsed.error);
    return fallback;
  };
  const integer = (name: string, fallback: number, min: number, max?: number): number => {
    const text = read(name);
    return text === undefined ? fallback : take(name, parseInteger(text, min, max), fallback);
  };

  const nodeEnv = (read('NODE_ENV') ?? 'development').toLowerCase();
  const production = nodeEnv === 'production';

  const port = integer('PORT', CONFIG_DEFAULTS.port, 1, 65535);

  const databaseUrlText = readSecret('DATABASE_URL')?.trim();
  const databaseUrl =
    databaseUrlText === undefined
      ? undefined
      : take(
          'DATABASE_URL',
          parseConnectionUrl(
            databaseUrlText,
            ['postgres', 'postgresql'],
            'postgres://user:password@localhost:5432/app',
          ),
          undefined,
        );
  const sqlitePath = read('SQLITE_PATH');
  const redisUrlText = readSecret('REDIS_URL')?.trim();
  const redisUrl =
    redisUrlText === undefined
      ? undefined
      : take('REDIS_URL', parseConnectionUrl(redisUrlText, ['redis', 'rediss'], 'redis://localhost:6379'), undefined);

  const redisClusterNodes = loadClusterNodes();
  const redisClusterPassword = readSecret('REDIS_CLUSTER_PASSWORD');

  const redisKeyPrefix = read('REDIS_KEY_PREFIX');
  if (redisKeyPrefix !== undefined && !/^[A-Za-z0-9:_.-]{1,64}$/.test(redisKeyPrefix)) {
    problems.push({
      variable: 'REDIS_KEY_PREFIX',
      message: 'REDIS_KEY_PREFIX must be 1–64 characters of letters, digits, ":", "_", "." or "-" (e.g. shop-api:).',
    });
  }

  // At least 2: one slot for counters, one for security records.
  const storeMaxEntries = integer('STORE_MAX_ENTRIES', CONFIG_DEFAULTS.storeMaxEntries, 2);

  const jwt = loadJwt();

  const seedAdmin = loadSeedAdmin();

  const rateLimitText = read('RATE_LIMIT') ?? CONFIG_DEFAULTS.rateLimit;
  const rateLimit = take('RATE_LIMIT', parseRateLimit(rateLimitText), { limit: 100, windowSeconds: 60 });

  const login: LoginLockoutConfig = {
    maxFailures: integer('LOGIN_MAX_FAILURES', CONFIG_DEFAULTS.loginMaxFailures, 1),
    lockoutSeconds: integer('LOGIN_LOCKOUT_SECONDS', CONFIG_DEFAULTS.loginLockoutSeconds, 1),
  };
  const checkout: CheckoutConfig = {
    powDifficulty: integer('CHECKOUT_POW_DIFFICULTY', CONFIG_DEFAULTS.checkoutPowDifficulty, 1, 8),
    maxPerHour: integer('CHECKOUT_MAX_PER_HOUR', CONFIG_DEFAULTS.checkoutMaxPerHour, 1),
  };

  const previewAllowedHosts = collect('PREVIEW_ALLOWED_HOSTS', parseHostName);
  const previewAllowedPorts = collectPorts('PREVIEW_ALLOWED_PORTS', [80, 443]);
  const previewAllowedCidrs = collect('PREVIEW_ALLOWED_CIDRS', parseCidr);
  if (production && previewAllowedCidrs.length > 0) {
    report(
      'PREVIEW_ALLOWED_CIDRS',
      'must not be set when NODE_ENV=production: it lets the preview fetcher reach loopback or private ' +
        'addresses and exists only for tests against local servers',
    );
  }
  const corsOrigins = collect('CORS_ORIGINS', parseOrigin);

  const bodyLimitText = read('BODY_LIMIT') ?? CONFIG_DEFAULTS.bodyLimit;
  const bodyLimitBytes = take('BODY_LIMIT', parseByteSize(bodyLimitText), 100 * 1024);

  const trustProxyText = read('TRUST_PROXY');
  const trustProxy = trustProxyText === undefined ? undefined : take('TRUST_PROXY', parseTrustProxy(trustProxyText), 0);

  const auditHashKey = readSecret('AUDIT_HASH_KEY');
  if (auditHashKey !== undefined && Buffer.byteLength(auditHashKey, 'utf8') < MIN_AUDIT_HASH_KEY_BYTES) {
    report(
      'AUDIT_HASH_KEY',
      `is shorter than ${MIN_AUDIT_HASH_KEY_BYTES} bytes: use a random secret, e.g. \`openssl rand -base64 48\``,
    );
  }

  if (problems.length > 0) throw new ConfigError(problems);

  return deepFreeze<AppConfig>({
    nodeEnv,
    production,
    port,
    databaseUrl,
    sqlitePath,
    redisUrl,
    redisClusterNodes,
    redisClusterPassword,
    redisKeyPrefix,
    storeMaxEntries,
    jwt,
    seedAdmin,
    rateLimit,
    login,
    checkout,
    previewAllowedHosts,
    previewAllowedPorts,
    previewAllowedCidrs,
    corsOrigins,
    bodyLimitBytes,
    trustProxy,
    auditHashKey,
  });

  /** Parses a comma list entry by entry, reporting each bad entry once and keeping the canonical forms. */
  function collect(name: string, parse: (entry: string) => Parsed<string>): string[] {
    const values: string[] = [];
    for (const entry of parseList(read(name))) {
      const parsed = parse(entry);
      if (parsed.ok) {
        if (!values.includes(parsed.value)) values.push(parsed.value);
      } else {
        report(name, parsed.error);
      }
    }
    return values;
  }

  /** A comma list of ports; `fallback` when unset. */
  function collectPorts(name: string, fallback: readonly number[]): number[] {
    const entries = parseList(read(name));
    if (entries.length === 0) return [...fallback];
    const ports: number[] = [];
    for (const entry of entries) {
      const parsed = parseInteger(entry, 1, 65535);
      if (!parsed.ok) report(name, `entries ${parsed.error}`);
      else if (!ports.includes(parsed.value)) ports.push(parsed.value);
    }
    return ports;
  }

  function loadClusterNodes(): string[] | undefined {
    const text = read('REDIS_CLUSTER_NODES');
    if (text === undefined) return undefined;
    const seeds = text
      .split(',')
      .map((seed) => seed.trim())
      .filter((seed) => seed !== '');
    // host:port only: a URL here would hide a password in a variable that is not treated as secret.
    const bad = seeds.filter((seed) => {
      const match = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/.exec(seed);
      return match === null || Number(match[1]) < 1 || Number(match[1]) > 65535;
    });
    if (seeds.length === 0 || bad.length > 0) {
      report(
        'REDIS_CLUSTER_NODES',
        `must be a comma list of host:port seeds of the cluster (e.g. redis-1:7000,redis-2:7000)${
          bad.length > 0 ? `; not host:port: ${bad.length} entr${bad.length === 1 ? 'y' : 'ies'}` : ''
        }.`,
      );
      return undefined;
    }
    return seeds;
  }

  function loadJwt(): JwtConfig {
    const algorithmText = read('JWT_ALGORITHM') ?? CONFIG_DEFAULTS.jwtAlgorithm;
    // Case-insensitive so `es256` works, but only the four listed algorithms: never `none`, never a typo.
    const algorithm = JWT_ALGORITHMS.find((a) => a.toLowerCase() === algorithmText.toLowerCase());
    if (algorithm === undefined) {
      report('JWT_ALGORITHM', `must be one of ${JWT_ALGORITHMS.join(', ')} (got ${quote(algorithmText)})`);
    }

    const secret = readSecret('JWT_SECRET');
    // Checked whatever the algorithm: a short secret lying around is a mistake worth stopping for.
    if (secret !== undefined && Buffer.byteLength(secret, 'utf8') < MIN_JWT_SECRET_BYTES) {
      report(
        'JWT_SECRET',
        `must be at least ${MIN_JWT_SECRET_BYTES} bytes; generate one with \`openssl rand -base64 48\``,
      );
    }
    if (algorithm === 'HS256' && secret === undefined) {
      report(
        'JWT_SECRET',
        `is required when JWT_ALGORITHM=HS256: set at least ${MIN_JWT_SECRET_BYTES} random bytes, ` +
          'e.g. from `openssl rand -base64 48`',
      );
    }

    const keyText = readSecret('JWT_PRIVATE_KEY');
    const privateKeyPem = keyText === undefined ? undefined : unescapePem(keyText.trim());
    if (algorithm !== undefined && algorithm !== 'HS256') {
      const asymmetric: AsymmetricJwtAlgorithm = algorithm;
      if (privateKeyPem !== undefined) {
        const problem = checkPrivateKey(privateKeyPem, asymmetric);
        if (problem !== undefined) report('JWT_PRIVATE_KEY', problem);
      } else if (production) {
        report(
          'JWT_PRIVATE_KEY',
          `is required when NODE_ENV=production and JWT_ALGORITHM=${asymmetric} (a key generated at start would ` +
            `change on every restart and differ between instances); set a PKCS#8 PEM, ${privateKeyHint(asymmetric)}`,
        );
      }
    }

    const issuer = read('JWT_ISSUER') ?? CONFIG_DEFAULTS.jwtIssuer;
    const audience = read('JWT_AUDIENCE') ?? CONFIG_DEFAULTS.jwtAudience;
    return {
      algorithm: algorithm ?? CONFIG_DEFAULTS.jwtAlgorithm,
      privateKeyPem,
      secret,
      issuer,
      audience,
      accessTokenTtlSeconds: integer('ACCESS_TOKEN_TTL', CONFIG_DEFAULTS.accessTokenTtlSeconds, 1),
      refreshTokenTtlSeconds: integer('REFRESH_TOKEN_TTL', CONFIG_DEFAULTS.refreshTokenTtlSeconds, 1),
    };
  }

  function loadSeedAdmin(): SeedAdminConfig | undefined {
    const rawEmail = read('SEED_ADMIN_EMAIL');
    const password = readSecret('SEED_ADMIN_PASSWORD');
    if (rawEmail === undefined && password === undefined) return undefined;
    if (rawEmail === undefined) {
      report('SEED_ADMIN_EMAIL', 'is required when SEED_ADMIN_PASSWORD is set: set both or neither');
      return undefined;
    }
    if (password === undefined) {
      report('SEED_ADMIN_PASSWORD', 'is required when SEED_ADMIN_EMAIL is set: set both or neither');
      return undefined;
    }
    const email = normalizeIdentityEmail(rawEmail);
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
      report('SEED_ADMIN_EMAIL', `must be an email address such as admin@example.com (got ${quote(email)})`);
      return { email, password };
    }
    const variables = { email: 'SEED_ADMIN_EMAIL', password: 'SEED_ADMIN_PASSWORD' } as const;
    // The policy's messages say which rule failed and never contain the password.
    for (const error of validateSync(plainToInstance(SeedAdminCredentials, { email, password }))) {
      const property = error.property as keyof typeof variables;
      for (const message of Object.values(error.constraints ?? {})) {
        report(variables[property], message.replace(new RegExp(`^${property} `), ''));
      }
    }
    return { email, password };
  }
}
