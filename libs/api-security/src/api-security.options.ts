import { API_SECURITY_OPTIONS_SCHEMA } from './api-security-options.schema';
import { findInvalidOptionValues, findUnknownOptions } from './api-security-options.check';
import { JWT_ALGORITHMS, type JwtAlgorithm } from './authentication/jwt-algorithms';
import { resolveDpopOptions, type DpopOptions, type ResolvedDpopOptions } from './authentication/dpop.options';
import { ApiSecurityConfigError } from './errors/api-security-config.error';
import { ConfigErrorCode } from './errors/config-codes';
import type { SecurityStoreOptions } from './store/security-store.factory';
import { checkStoreOptions } from './store/store-options.check';
import {
  resolveRateLimitOptions,
  type RateLimitOptions,
  type ResolvedRateLimitOptions,
} from './consumption/rate-limit.options';
import {
  resolveRequestLimits,
  type RequestLimitOptions,
  type ResolvedRequestLimits,
} from './consumption/request-limits.options';
import { parseByteSize } from './common/byte-size';
import {
  resolveThresholdAlerts,
  type ResolvedThresholdAlertRule,
  type ThresholdAlertRule,
} from './audit/threshold-alert.options';
import {
  resolveAccountHashKey,
  resolveIpTruncation,
  type AccountHashKeySource,
  type IpTruncation,
} from './audit/audit-privacy.options';
import {
  checkJwksUrl,
  checkKid,
  checkPrivateKeyPem,
  checkPublicKeyPem,
  keyGenerationHint,
  type AsymmetricJwtAlgorithm,
} from './authentication/jwt-key.checks';
import {
  resolveTrustedIssuers,
  type ResolvedTrustedIssuer,
  type TrustedIssuerOptions,
} from './authentication/trusted-issuer.options';
import { resolveApiKeyOptions, type ApiKeyOptions, type ResolvedApiKeyOptions } from './authentication/api-key.options';
import {
  resolveSessionOptions,
  type ResolvedSessionOptions,
  type SessionOptions,
} from './authentication/session.options';
import { resolveRolesOptions, type ResolvedRolesOptions, type RolesOptions } from './authorization/roles.options';
import {
  resolveCredentialFieldOptions,
  type CredentialFieldOptions,
  type ResolvedCredentialFieldOptions,
} from './properties/credential-fields';
import {
  resolveOutboundOptions,
  type OutboundOptions,
  type ResolvedOutboundOptions,
} from './outbound/outbound.options';

export { ApiSecurityConfigError } from './errors/api-security-config.error';
export { JWT_ALGORITHMS, type JwtAlgorithm } from './authentication/jwt-algorithms';
export type { ResolvedTrustedIssuer, TrustedIssuerOptions } from './authentication/trusted-issuer.options';

/** An older public key that still verifies access tokens after a key rotation. */
export interface JwtVerificationKey {
  /**
   * The `kid` tokens signed with this key carry.
   * @default the key's RFC 7638 JWK thumbprint (what this library puts in `kid` when it signs)
   */
  kid?: string;
  /** SPKI PEM (`-----BEGIN PUBLIC KEY-----`) of the same type as the signing key. */
  publicKey: string;
}

/** Access-token settings. */
export interface JwtOptions {
  /**
   * The one algorithm tokens are signed and verified with.
   * @default 'ES256'
   */
  algorithm?: JwtAlgorithm;
  /** HS256 only: the shared secret, at least 32 bytes. */
  secret?: string;
  /**
   * Asymmetric algorithms: the PKCS#8 PEM signing key (P-256 for ES256, RSA of 2048+ bits for
   * RS256, Ed25519 for EdDSA). Required in production; elsewhere a throw-away key is generated at
   * start (with one warning), so tokens do not survive a restart nor work across instances.
   * @default undefined (generated outside production, refused in production)
   */
  privateKey?: string;
  /**
   * Asymmetric algorithms: previous public keys still accepted for verification after a rotation,
   * found by the token's `kid`. They are published by `JwtKeyService.jwks()` and never sign.
   * Remove a key once the longest access-token lifetime has passed since it stopped signing.
   * @default []
   */
  verificationKeys?: readonly JwtVerificationKey[];
  /**
   * Asymmetric algorithms: JWKS URL of an external issuer whose tokens are also accepted. Tokens
   * whose `kid` is not one of the local keys are verified with the key of that `kid` from this URL
   * (same algorithm, issuer, audience and `typ` rules as local tokens). Fetched lazily, cached for
   * 10 minutes, refetched for an unknown `kid` at most every 30 seconds, 5 second timeout. Only
   * this URL is ever fetched, never one named by a token. `https://` only; `http://` is allowed for
   * `127.0.0.1` and `localhost` (tests).
   * @default undefined (only local keys)
   */
  jwksUrl?: string;
  /**
   * External identity providers (OpenID Providers, OAuth authorization servers) whose RFC 9068 JWT
   * access tokens are accepted beside the library's own, each with its own audience, algorithms,
   * claim mapping and key-rotation bounds. A token is routed by its exact `iss`; the keys come from
   * the issuer's discovered `jwks_uri`, fetched through `SafeHttpClient`. Independent of
   * `jwt.algorithm` (HS256 included). See docs/identity-providers.md.
   * @default [] (only the library's own tokens)
   * @example [{ issuer: 'https://sso.example.com/realms/main', audience: 'orders-api', rolesClaim: 'realm_access.roles' }]
   */
  trustedIssuers?: readonly TrustedIssuerOptions[];
  /**
   * Required `iss` of every access token.
   * @default 'api-security'
   */
  issuer?: string;
  /**
   * Required `aud` of every access token.
   * @default 'api-security'
   */
  audience?: string;
  /**
   * Access-token lifetime in seconds.
   * @default 900
   */
  accessTokenTtlSeconds?: number;
  /**
   * Refresh-token lifetime in seconds.
   * @default 604800
   */
  refreshTokenTtlSeconds?: number;
  /**
   * Allowed clock skew in seconds when checking `exp`, `nbf` and `iat` (0–60).
   * @default 5
   */
  clockToleranceSeconds?: number;
}

/** Cross-origin resource sharing from an allowlist. Without it, no CORS header is ever sent. */
export interface CorsOptions {
  /** Exact origins (`https://app.example.com`). `*` is refused. */
  origins: readonly string[];
  /**
   * Whether browsers may send cookies or HTTP auth cross-origin.
   * @default false
   */
  credentials?: boolean;
  /**
   * How long browsers may cache a preflight answer, in seconds.
   * @default 600
   */
  maxAgeSeconds?: number;
}

/** Transport and request hardening. */
export interface HardeningOptions {
  /** CORS allowlist. @default undefined (no CORS) */
  cors?: CorsOptions;
  /**
   * Largest accepted request body: bytes or `100kb`/`1mb`. Larger declared bodies get 413
   * before they are read.
   * @default '100kb'
   */
  bodyLimit?: string | number;
  /**
   * `Strict-Transport-Security` max-age in seconds.
   * @default 31536000
   */
  hstsMaxAgeSeconds?: number;
  /**
   * Path prefixes that serve documentation UIs (Swagger UI), as the client requests them with
   * the global prefix (`/api/docs` for `SwaggerModule.setup('api/docs', …)`). The prefix and
   * everything under it get a CSP that lets the UI run (`script-src 'self'`, `style-src 'self'
   * 'unsafe-inline'`, `img-src 'self' data:`, `frame-ancestors 'none'`); every other path keeps
   * `default-src 'none'`. Every other security header is the same on both.
   * @default [] (no path gets the relaxed CSP)
   */
  documentationPaths?: readonly string[];
  /**
   * Where helmet's HTML-only headers go (`Cross-Origin-Opener-Policy`, `Origin-Agent-Cluster`,
   * `X-DNS-Prefetch-Control`, `X-Download-Options`, `X-Permitted-Cross-Domain-Policies`,
   * `X-XSS-Protection`): browsers act on them only for HTML documents. `'documentation'` sends them
   * on `documentationPaths`; `'all'` on every response, for an application that also serves HTML
   * outside its documentation.
   * @default 'documentation'
   */
  htmlHeaders?: 'documentation' | 'all';
  /**
   * Express only. Express swaps the prototype of every request and response, and each property
   * added afterwards (by Express, its router, body-parser, other middleware) gives that request
   * hidden classes of its own, which costs about half of a small request's CPU. When on, the
   * properties the first requests gained after the swap are created on every later request before
   * it, holding the value a read gave without them (undefined, or the prototype's primitive). Code
   * that asks whether the request has such a property of its own (`hasOwnProperty`, `Object.keys`)
   * sees it early; set `false` if the application depends on that.
   * @default true
   */
  shapeExpressRequests?: boolean;
}

/** Boot-time audit of every route's security decisions, and alerts on the security event stream. */
export interface AuditOptions {
  /**
   * Threshold alerts: more than N events of a type from one IP (or principal) within a window raise
   * one `alert.threshold` security event, counted in the shared store.
   * @default []
   * @example [{ event: 'authentication.failure', by: 'ip', limit: '20/5m' }]
   */
  alerts?: readonly ThresholdAlertRule[];
  /**
   * `strict` refuses to start when a route's security is ambiguous; `warn` logs one line per route.
   * @default 'strict'
   */
  mode?: 'strict' | 'warn';
  /**
   * Secret key (at least 32 bytes, string or Buffer) of the HMAC-SHA-256 pseudonyms that stand for
   * accounts (login emails) and clients in security events (`details.accountHash`) and store keys.
   * Without a key, anyone holding the log could hash a list of emails and match them; with it, only
   * the server can. The same key must be set on every instance. Changing it makes new pseudonyms:
   * counters of failed logins start again and old events no longer match new ones.
   * @default derived (HKDF-SHA-256) from `jwt.secret` or `jwt.privateKey` when one is configured
   *   (rotating that key then changes the pseudonyms); otherwise, outside production, a random key per
   *   process with one warning; in production without either, the module refuses to start.
   */
  accountHashKey?: string | Buffer;
  /**
   * What security events (log lines and sinks) keep of the client address: `'none'` keeps it whole;
   * `{ v4, v6 }` keeps that many leading bits and zeroes the rest, written as a network
   * (`203.0.113.0/24`, `2001:db8:1::/48`); an address that cannot be parsed is then left out.
   * Rate limits, lockouts and alerts still count by the whole address (only as keyed hashes, or as
   * the address itself in rate-limit keys, for the window's length).
   * @default 'none'
   * @example { v4: 24, v6: 48 }
   */
  ipTruncation?: IpTruncation | 'none';
}

/** Options of {@link ApiSecurityModule.forRoot}. Every field is optional; defaults are the safe choice. */
export interface ApiSecurityModuleOptions {
  /** Access-token settings. */
  jwt?: JwtOptions;
  /**
   * DPoP, sender-constrained access tokens (RFC 9449): which proofs are accepted, and whether
   * every route requires them. Tokens bound with `cnf.jkt` need a proof whatever this says.
   * @default { required: false, proofMaxAgeSeconds: 60, nonce: false }
   */
  dpop?: DpopOptions;
  /** Refresh-token sessions, passwords and login protection. */
  sessions?: SessionOptions;
  /** API keys (`X-API-Key`). */
  apiKeys?: ApiKeyOptions;
  /**
   * Where shared security state lives.
   * @default { type: 'memory' }
   */
  store?: SecurityStoreOptions;
  /** Headers, CORS, body limits. */
  hardening?: HardeningOptions;
  /**
   * Rate limiting of every route (tiers, global budget, headers).
   * @default { tiers: { default: '100/60s' }, headers: 'ietf' }
   */
  rateLimit?: RateLimitOptions;
  /**
   * Shape limits of JSON bodies, checked before validation: nesting depth, number of keys and
   * array items, string length.
   * @default { maxDepth: 32, maxKeys: 1000, maxArrayLength: 1000, maxStringLength: 100000 }
   */
  requestLimits?: RequestLimitOptions;
  /** Boot audit behaviour. */
  audit?: AuditOptions;
  /**
   * Role hierarchy, used wherever roles are checked (field visibility and writes, route roles).
   * @default { hierarchy: { admin: ['manager'], manager: ['user'] } }
   */
  roles?: RolesOptions;
  /**
   * The credential tripwire: response fields named like credentials (`passwordHash`, `apiKey`,
   * `refreshToken`, …) are sent only when a response class declares them visible. An undeclared
   * one refuses the response with a 500 (`audit.mode: 'strict'`) or is removed with a warning
   * (`'warn'`).
   * @default { names: DEFAULT_CREDENTIAL_FIELDS, allow: [] }
   */
  credentialFields?: CredentialFieldOptions;
  /**
   * Outbound HTTP through `SafeHttpClient` (SSRF protection): allowed hosts, ports, schemes,
   * limits. Every host is refused until listed.
   * @default { allowedHosts: [] }
   */
  outbound?: OutboundOptions;
  /**
   * Production mode changes verbosity, and refuses to start without `jwt.privateKey` for an
   * asymmetric algorithm instead of generating a throw-away key. It never relaxes a check.
   * @default process.env.NODE_ENV === 'production'
   */
  production?: boolean;
  /**
   * Prefix of the problem-details `type` URI; the lower-cased code is appended.
   * @default 'urn:api-security:problem:'
   */
  problemTypeBase?: string;
}

/** Options after validation, with every default filled in. */
export interface ResolvedApiSecurityOptions {
  jwt: Required<Omit<JwtOptions, 'secret' | 'privateKey' | 'verificationKeys' | 'jwksUrl' | 'trustedIssuers'>> & {
    trustedIssuers: readonly ResolvedTrustedIssuer[];
    secret?: string;
    privateKey?: string;
    verificationKeys: readonly JwtVerificationKey[];
    jwksUrl?: string;
  };
  dpop: ResolvedDpopOptions;
  sessions: ResolvedSessionOptions;
  apiKeys: ResolvedApiKeyOptions;
  store: SecurityStoreOptions;
  hardening: {
    cors?: Required<CorsOptions>;
    bodyLimitBytes: number;
    hstsMaxAgeSeconds: number;
    documentationPaths: readonly string[];
    htmlHeaders: 'documentation' | 'all';
    shapeExpressRequests: boolean;
  };
  audit: {
    mode: 'strict' | 'warn';
    alerts: readonly ResolvedThresholdAlertRule[];
    /** HMAC-SHA-256 key of account and client pseudonyms. */
    accountHashKey: Buffer;
    accountHashKeySource: AccountHashKeySource;
    ipTruncation: Readonly<Required<IpTruncation>> | 'none';
  };
  rateLimit: ResolvedRateLimitOptions;
  requestLimits: ResolvedRequestLimits;
  roles: ResolvedRolesOptions;
  credentialFields: ResolvedCredentialFieldOptions;
  outbound: ResolvedOutboundOptions;
  production: boolean;
  problemTypeBase: string;
}

function checkVerificationKeys(keys: unknown, algorithm: AsymmetricJwtAlgorithm, problems: string[]): void {
  if (keys === undefined) return;
  if (!Array.isArray(keys)) {
    problems.push('jwt.verificationKeys must be an array of { kid?, publicKey } with SPKI PEM public keys.');
    return;
  }
  const kids = new Set<string>();
  keys.forEach((entry: unknown, index) => {
    const name = `jwt.verificationKeys[${index}]`;
    if (typeof entry !== 'object' || entry === null) {
      problems.push(`${name} must be an object { kid?, publicKey }.`);
      return;
    }
    const { kid, publicKey } = entry as Partial<JwtVerificationKey>;
    const keyProblem = checkPublicKeyPem(publicKey, algorithm, `${name}.publicKey`);
    if (keyProblem) problems.push(keyProblem);
    if (kid === undefined) return;
    const kidProblem = checkKid(kid, `${name}.kid`);
    if (kidProblem) problems.push(kidProblem);
    else if (kids.has(kid)) problems.push(`${name}.kid repeats another key's kid: give every key its own kid.`);
    kids.add(kid);
  });
}

/**
 * Validates options and fills in defaults. Throws {@link ApiSecurityConfigError}: with code
 * `ERR_CONFIG_UNKNOWN_OPTION` when a key is not an option (checked first, because the value checks
 * would otherwise judge the defaults the misspelt key left in place), else `ERR_CONFIG_INVALID_OPTION`.
 */
export function resolveApiSecurityOptions(options: ApiSecurityModuleOptions = {}): ResolvedApiSecurityOptions {
  const unknown = findUnknownOptions(options, API_SECURITY_OPTIONS_SCHEMA);
  if (unknown.length > 0) throw new ApiSecurityConfigError(unknown, ConfigErrorCode.UNKNOWN_OPTION);
  // Each key's own value check is declared beside it in the schema; what follows compares options.
  const problems = findInvalidOptionValues(options, API_SECURITY_OPTIONS_SCHEMA);
  const production = options.production ?? process.env.NODE_ENV === 'production';
  const jwt = options.jwt ?? {};
  const algorithm = jwt.algorithm ?? 'ES256';
  if (algorithm === 'HS256') {
    if (jwt.secret === undefined)
      problems.push('jwt.secret is required with HS256: give a random secret of 32+ bytes.');
    else if (Buffer.byteLength(jwt.secret, 'utf8') < 32) {
      problems.push('jwt.secret is shorter than 32 bytes: HS256 needs a random secret of at least 32 bytes.');
    }
    if (jwt.privateKey !== undefined)
      problems.push('jwt.privateKey is for asymmetric algorithms: remove it with HS256.');
    if (jwt.verificationKeys !== undefined) {
      problems.push('jwt.verificationKeys are public keys for asymmetric algorithms: remove them with HS256.');
    }
    if (jwt.jwksUrl !== undefined) {
      problems.push('jwt.jwksUrl verifies asymmetric signatures: remove it with HS256, or use ES256, RS256 or EdDSA.');
    }
  } else if ((JWT_ALGORITHMS as readonly string[]).includes(algorithm)) {
    const asymmetric = algorithm as AsymmetricJwtAlgorithm;
    if (jwt.secret !== undefined) problems.push(`jwt.secret is for HS256 only: remove it with ${algorithm}.`);
    if (jwt.privateKey !== undefined) {
      const problem = checkPrivateKeyPem(jwt.privateKey, asymmetric);
      if (problem) problems.push(problem);
    } else if (production) {
      problems.push(
        `jwt.privateKey is required in production with ${algorithm}: a key generated at start would change on ` +
          `every restart and differ between instances; ${keyGenerationHint(asymmetric)} and pass the PKCS#8 PEM.`,
      );
    }
    checkVerificationKeys(jwt.verificationKeys, asymmetric, problems);
    if (jwt.jwksUrl !== undefined) {
      const problem = checkJwksUrl(jwt.jwksUrl);
      if (problem) problems.push(problem);
    }
  }
  const tolerance = jwt.clockToleranceSeconds ?? 5;
  const trustedIssuers = resolveTrustedIssuers(jwt.trustedIssuers, jwt.issuer ?? 'api-security', production, problems);

  const store: SecurityStoreOptions = options.store ?? { type: 'memory' };
  checkStoreOptions(store, problems);

  const hardening = options.hardening ?? {};
  const bodyLimitBytes = parseByteSize(hardening.bodyLimit ?? '100kb');
  if (bodyLimitBytes === undefined) {
    problems.push(`hardening.bodyLimit "${String(hardening.bodyLimit)}" is not a size: use bytes or e.g. '100kb'.`);
  }
  let cors: Required<CorsOptions> | undefined;
  if (hardening.cors) {
    const origins = hardening.cors.origins ?? [];
    cors = {
      origins: origins.map((o) => String(o).toLowerCase()),
      credentials: hardening.cors.credentials ?? false,
      maxAgeSeconds: hardening.cors.maxAgeSeconds ?? 600,
    };
  }

  const dpop = resolveDpopOptions(options.dpop, problems);
  const sessions = resolveSessionOptions(options.sessions, problems);
  const apiKeys = resolveApiKeyOptions(options.apiKeys, problems);

  const mode = options.audit?.mode ?? 'strict';
  const alerts = resolveThresholdAlerts(options.audit?.alerts, problems);
  const accountHash = resolveAccountHashKey(options.audit?.accountHashKey, jwt, production, problems);
  const ipTruncation = resolveIpTruncation(options.audit?.ipTruncation, problems);

  const roles = resolveRolesOptions(options.roles, problems);
  const credentialFields = resolveCredentialFieldOptions(options.credentialFields, problems);
  const rateLimit = resolveRateLimitOptions(options.rateLimit, problems);
  const requestLimits = resolveRequestLimits(options.requestLimits);
  const outbound = resolveOutboundOptions(options.outbound, problems);

  if (problems.length > 0) throw new ApiSecurityConfigError(problems);

  return {
    jwt: {
      algorithm,
      ...(jwt.secret !== undefined ? { secret: jwt.secret } : {}),
      ...(jwt.privateKey !== undefined ? { privateKey: jwt.privateKey } : {}),
      verificationKeys: (jwt.verificationKeys ?? []).map((key) => Object.freeze({ ...key })),
      ...(jwt.jwksUrl !== undefined ? { jwksUrl: jwt.jwksUrl } : {}),
      trustedIssuers,
      issuer: jwt.issuer ?? 'api-security',
      audience: jwt.audience ?? 'api-security',
      accessTokenTtlSeconds: jwt.accessTokenTtlSeconds ?? 900,
      refreshTokenTtlSeconds: jwt.refreshTokenTtlSeconds ?? 604800,
      clockToleranceSeconds: tolerance,
    },
    dpop,
    sessions,
    apiKeys,
    store,
    hardening: {
      ...(cors ? { cors } : {}),
      bodyLimitBytes: bodyLimitBytes as number,
      hstsMaxAgeSeconds: hardening.hstsMaxAgeSeconds ?? 31536000,
      documentationPaths: hardening.documentationPaths ?? [],
      htmlHeaders: hardening.htmlHeaders ?? 'documentation',
      shapeExpressRequests: hardening.shapeExpressRequests ?? true,
    },
    audit: {
      mode,
      alerts,
      accountHashKey: accountHash.key,
      accountHashKeySource: accountHash.source,
      ipTruncation,
    },
    rateLimit,
    requestLimits,
    roles,
    credentialFields,
    outbound,
    production,
    problemTypeBase: options.problemTypeBase ?? 'urn:api-security:problem:',
  };
}

/** Injection token for {@link ResolvedApiSecurityOptions}. */
export const API_SECURITY_OPTIONS = Symbol.for('api-security:ResolvedOptions');
