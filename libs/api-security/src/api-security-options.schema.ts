import type { ApiSecurityModuleExtras } from './api-security.module-definition';
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
import type { Argon2Options, SessionOptions } from './authentication/session.options';
import type { RateLimitOptions, RateLimitTierOptions } from './consumption/rate-limit.options';
import type { RequestLimitOptions } from './consumption/request-limits.options';
import type { OutboundOptions } from './outbound/outbound.options';
import type { RolesOptions } from './properties/roles.options';
import type { MemoryStoreOptions, RedisStoreOptions } from './store/security-store.factory';

/**
 * The shape of every option key at every level, declared once. The boot check walks it before
 * anything else, so a misspelt key fails the boot instead of silently leaving a default in place.
 *
 * - `value`: a leaf (or a value whose own checker reports its keys, like `store.onUnavailable`);
 *   nothing below it is checked for unknown keys.
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
  | { readonly kind: 'value' }
  | ObjectShape
  | { readonly kind: 'map'; readonly values: OptionShape }
  | { readonly kind: 'array'; readonly items: OptionShape }
  | {
      readonly kind: 'variants';
      readonly discriminator: string;
      readonly variants: Readonly<Record<string, ObjectShape>>;
    };

/** An object of known keys. */
export interface ObjectShape {
  readonly kind: 'object';
  readonly keys: Readonly<Record<string, OptionShape>>;
}

const value: OptionShape = { kind: 'value' };

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
    algorithm: value,
    secret: value,
    privateKey: value,
    verificationKeys: arrayOf(objectOf<JwtVerificationKey>({ kid: value, publicKey: value })),
    jwksUrl: value,
    issuer: value,
    audience: value,
    accessTokenTtlSeconds: value,
    refreshTokenTtlSeconds: value,
    clockToleranceSeconds: value,
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
        keyPrefix: value,
        connectTimeoutMs: value,
        allowEvictingPolicy: value,
        commandTimeoutMs: value,
      }),
    },
  },
  hardening: objectOf<HardeningOptions>({
    cors: objectOf<CorsOptions>({ origins: value, credentials: value, maxAgeSeconds: value }),
    bodyLimit: value,
    hstsMaxAgeSeconds: value,
    documentationPaths: value,
  }),
  rateLimit: objectOf<RateLimitOptions>({
    enabled: value,
    tiers: mapOf(rateLimitTier),
    global: rateLimitTier,
    headers: value,
    ipv6PrefixLength: value,
  }),
  requestLimits: objectOf<RequestLimitOptions>({
    maxDepth: value,
    maxKeys: value,
    maxArrayLength: value,
    maxStringLength: value,
  }),
  audit: objectOf<AuditOptions>({
    alerts: arrayOf(objectOf<ThresholdAlertRule>({ event: value, by: value, limit: value })),
    mode: value,
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
});
