import type { ApiSecurityModuleExtras } from './api-security.module-definition';
import { JWT_ALGORITHMS } from './authentication/jwt-algorithms';
import type {
  ApiSecurityModuleOptions,
  AuditOptions,
  CorsOptions,
  HardeningOptions,
  JwtOptions,
  JwtVerificationKey,
} from './api-security.options';
import type { IpTruncation } from './audit/audit-privacy.options';
import type { ThresholdAlertRule } from './audit/threshold-alert.options';
import type { ApiKeyOptions } from './authentication/api-key.options';
import type { DpopOptions } from './authentication/dpop.options';
import type { TrustedIssuerOptions } from './authentication/trusted-issuer.options';
import type { TrustedIssuerIntrospectionOptions } from './authentication/introspection.options';
import type { Argon2Options, SessionOptions } from './authentication/session.options';
import type { RateLimitOptions, RateLimitTierOptions } from './consumption/rate-limit.options';
import type { RequestLimitOptions } from './consumption/request-limits.options';
import type { CredentialFieldOptions } from './properties/credential-fields';
import type { OutboundOptions } from './outbound/outbound.options';
import type { RolesOptions } from './authorization/roles.options';
import type { RedisClusterConnectionOptions, RedisSentinelConnectionOptions } from './store/redis-connection.options';
import type { MemoryStoreOptions, RedisStoreOptions } from './store/security-store.factory';

/**
 * The shape of every option key at every level, declared once. The boot check walks it before
 * anything else, so a misspelt key fails the boot instead of silently leaving a default in place.
 *
 * - `value`: a leaf (or a value whose own checker reports its keys, like `store.onUnavailable`);
 *   nothing below it is checked for unknown keys. `checked(fn)` declares the check of its value
 *   beside it.
 * - `object`: known keys only. Declared with {@link objectOf}, whose type demands exactly the
 *   keys of the option interface: adding a key to an interface without adding it here (one line)
 *   does not compile.
 * - `map`: free-form keys (tier names, role names), each value of one shape.
 * - `array`: each item of one shape.
 * - `variants`: an object whose keys depend on a discriminator (`store.type`).
 *
 * An `object` shape applies only when the value is an object: options that also take a string
 * (`rateLimit.global: '5000/1h'`) are declared by their object form.
 */
export type OptionShape =
  | ValueShape
  | ObjectShape
  | { readonly kind: 'map'; readonly values: OptionShape }
  | { readonly kind: 'array'; readonly items: OptionShape }
  | {
      readonly kind: 'variants';
      readonly discriminator: string;
      readonly variants: Readonly<Record<string, ObjectShape>>;
    };

/**
 * A leaf, with the check of its value when it has one. The check sees only values that are given
 * (defaults are the library's) and returns the sentence the developer reads, naming the option and
 * the fix, or undefined. Checks that compare several options stay in `resolveApiSecurityOptions`.
 */
export interface ValueShape {
  readonly kind: 'value';
  readonly check?: (value: unknown) => string | undefined;
}

/** An object of known keys. */
export interface ObjectShape {
  readonly kind: 'object';
  readonly keys: Readonly<Record<string, OptionShape>>;
}

const value: ValueShape = { kind: 'value' };
const checked = (check: (value: unknown) => string | undefined): ValueShape => ({ kind: 'value', check });

const positiveSeconds = (name: string) =>
  checked((given) =>
    Number.isSafeInteger(given) && (given as number) > 0
      ? undefined
      : `${name} must be a positive whole number of seconds (got ${String(given)}).`,
  );
const wholeNumberFrom = (name: string, min: number, max: number) =>
  checked((given) =>
    Number.isSafeInteger(given) && (given as number) >= min && (given as number) <= max
      ? undefined
      : `${name} must be a whole number from ${min} to ${max}.`,
  );
const nonEmptyString = (name: string) =>
  checked((given) =>
    typeof given === 'string' && given.trim() !== '' ? undefined : `${name} must be a non-empty string.`,
  );
const trueOrFalse = (name: string) =>
  checked((given) =>
    typeof given === 'boolean' ? undefined : `${name} must be true or false (got ${String(given)}).`,
  );
const oneOf = (name: string, allowed: readonly string[], sentence: string) =>
  checked((given) => (allowed.includes(given as string) ? undefined : `${name} ${sentence}`));

const ORIGIN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i;
/** `/docs`, `/api/docs`: segments of plain characters, none of them `.` or `..`. */
const DOCUMENTATION_PATH = /^(?:\/(?!\.{1,2}(?:\/|$))[A-Za-z0-9._~-]+)+$/;

/** An object whose keys are exactly those of `T` (checked by the compiler in both directions). */
function objectOf<T extends object>(keys: { readonly [K in keyof Required<T>]-?: OptionShape }): ObjectShape {
  return { kind: 'object', keys };
}
const mapOf = (values: OptionShape): OptionShape => ({ kind: 'map', values });
const arrayOf = (items: OptionShape): OptionShape => ({ kind: 'array', items });

const rateLimitTier = objectOf<RateLimitTierOptions>({ limit: value, block: value });

/** Every option of `ApiSecurityModule.forRoot` (and of the object `forRootAsync`'s factory returns). */
export const API_SECURITY_OPTIONS_SCHEMA: ObjectShape = objectOf<ApiSecurityModuleOptions & ApiSecurityModuleExtras>({
  jwt: objectOf<JwtOptions>({
    algorithm: checked((given) =>
      (JWT_ALGORITHMS as readonly unknown[]).includes(given)
        ? undefined
        : `jwt.algorithm "${String(given)}" is not supported: use one of ${JWT_ALGORITHMS.join(', ')}.`,
    ),
    secret: value,
    privateKey: value,
    verificationKeys: arrayOf(objectOf<JwtVerificationKey>({ kid: value, publicKey: value })),
    jwksUrl: value,
    trustedIssuers: arrayOf(
      objectOf<TrustedIssuerOptions>({
        issuer: value,
        audience: value,
        algorithms: value,
        rolesClaim: value,
        roleMap: value,
        scopeClaim: value,
        clientIdClaim: value,
        tokenIdClaim: value,
        requireAccessTokenType: value,
        jwksCacheSeconds: value,
        jwksCooldownSeconds: value,
        maxStaleSeconds: value,
        introspection: objectOf<TrustedIssuerIntrospectionOptions>({
          clientId: value,
          clientSecret: value,
          cacheSeconds: value,
          inactiveCacheSeconds: value,
          maxCallsPerSecond: value,
        }),
      }),
    ),
    issuer: nonEmptyString('jwt.issuer'),
    audience: nonEmptyString('jwt.audience'),
    accessTokenTtlSeconds: positiveSeconds('jwt.accessTokenTtlSeconds'),
    refreshTokenTtlSeconds: positiveSeconds('jwt.refreshTokenTtlSeconds'),
    clockToleranceSeconds: wholeNumberFrom('jwt.clockToleranceSeconds', 0, 60),
  }),
  // Values are checked with their cross-checks in resolveDpopOptions (one sentence each).
  dpop: objectOf<DpopOptions>({
    required: value,
    algorithms: value,
    proofMaxAgeSeconds: value,
    nonce: value,
    nonceLifetimeSeconds: value,
  }),
  sessions: objectOf<SessionOptions>({
    refreshIdleSeconds: value,
    refreshReuseGraceSeconds: value,
    maxFailures: value,
    lockoutSeconds: value,
    maxFailuresPerIpPerDay: value,
    argon2: objectOf<Argon2Options>({ memoryCost: value, timeCost: value, parallelism: value }),
    principalCheckCacheSeconds: value,
  }),
  apiKeys: objectOf<ApiKeyOptions>({ keyPrefix: value, header: value, touchIntervalSeconds: value }),
  store: {
    kind: 'variants',
    discriminator: 'type',
    variants: {
      memory: objectOf<MemoryStoreOptions>({
        type: value,
        // Its own checker names record purposes ("always fails closed") better than "unknown".
        onUnavailable: value,
        maxEntries: value,
        maxCounterEntries: value,
        whenCountersFull: value,
      }),
      redis: objectOf<RedisStoreOptions>({
        type: value,
        onUnavailable: value,
        url: value,
        cluster: objectOf<RedisClusterConnectionOptions>({
          nodes: value,
          username: value,
          password: value,
          tls: value,
          natMap: value,
        }),
        sentinel: objectOf<RedisSentinelConnectionOptions>({
          sentinels: value,
          name: value,
          username: value,
          password: value,
          sentinelUsername: value,
          sentinelPassword: value,
          tls: value,
        }),
        keyPrefix: value,
        connectTimeoutMs: value,
        allowEvictingPolicy: value,
        commandTimeoutMs: value,
      }),
    },
  },
  hardening: objectOf<HardeningOptions>({
    cors: objectOf<CorsOptions>({
      origins: arrayOf(
        checked((origin) =>
          origin !== '*' && ORIGIN.test(origin as string)
            ? undefined
            : `hardening.cors.origins has "${String(origin)}": list exact origins like https://app.example.com.`,
        ),
      ),
      credentials: value,
      maxAgeSeconds: positiveSeconds('hardening.cors.maxAgeSeconds'),
    }),
    bodyLimit: value,
    hstsMaxAgeSeconds: positiveSeconds('hardening.hstsMaxAgeSeconds'),
    documentationPaths: arrayOf(
      checked((path) =>
        typeof path === 'string' && DOCUMENTATION_PATH.test(path)
          ? undefined
          : `hardening.documentationPaths has ${JSON.stringify(path)}: use a path prefix like '/api/docs' (leading slash, no trailing slash, no wildcard, query or dot segment).`,
      ),
    ),
    htmlHeaders: oneOf('hardening.htmlHeaders', ['documentation', 'all'], "must be 'documentation' or 'all'."),
    shapeExpressRequests: trueOrFalse('hardening.shapeExpressRequests'),
  }),
  rateLimit: objectOf<RateLimitOptions>({
    enabled: value,
    tiers: mapOf(rateLimitTier),
    global: rateLimitTier,
    headers: value,
    ipv6PrefixLength: value,
  }),
  requestLimits: objectOf<RequestLimitOptions>({
    maxDepth: wholeNumberFrom('requestLimits.maxDepth', 1, 256),
    maxKeys: wholeNumberFrom('requestLimits.maxKeys', 1, 1_000_000),
    maxArrayLength: wholeNumberFrom('requestLimits.maxArrayLength', 1, 1_000_000),
    maxStringLength: wholeNumberFrom('requestLimits.maxStringLength', 1, 100_000_000),
  }),
  audit: objectOf<AuditOptions>({
    alerts: arrayOf(objectOf<ThresholdAlertRule>({ event: value, by: value, limit: value })),
    mode: oneOf('audit.mode', ['strict', 'warn'], "must be 'strict' or 'warn'."),
    accountHashKey: value,
    ipTruncation: objectOf<IpTruncation>({ v4: value, v6: value }),
  }),
  roles: objectOf<RolesOptions>({ hierarchy: mapOf(value) }),
  outbound: objectOf<OutboundOptions>({
    allowedHosts: value,
    allowedSchemes: value,
    allowedPorts: value,
    allowCidrs: value,
    maxRedirects: value,
    connectTimeoutMs: value,
    timeoutMs: value,
    maxResponseBytes: value,
    allowedContentTypes: value,
    // A function or object of the application's: its members are not options.
    resolver: value,
  }),
  production: value,
  problemTypeBase: value,
  // An extra of forRoot (it builds providers), which Nest leaves in the options object.
  authenticators: value,
  credentialFields: objectOf<CredentialFieldOptions>({ names: value, allow: value }),
  // Each step registration is checked where the chain is assembled (SecurityStepError, coded).
  steps: value,
});
