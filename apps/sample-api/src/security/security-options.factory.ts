import type { ApiSecurityModuleOptions } from '@api-security/nestjs';
import type { AppConfig } from '../config/app-config';

/** Maps the app's environment to the library's options: the only place the two meet. */
export function securityOptionsFrom(config: AppConfig): ApiSecurityModuleOptions {
  return {
    production: config.production,
    jwt: {
      algorithm: config.jwt.algorithm,
      ...(config.jwt.secret !== undefined ? { secret: config.jwt.secret } : {}),
      ...(config.jwt.privateKeyPem !== undefined ? { privateKey: config.jwt.privateKeyPem } : {}),
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      accessTokenTtlSeconds: config.jwt.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: config.jwt.refreshTokenTtlSeconds,
    },
    sessions: {
      maxFailures: config.login.maxFailures,
      lockoutSeconds: config.login.lockoutSeconds,
      // One office or carrier NAT is one address: the per-account lockout and RATE_LIMIT do the
      // fine-grained work, this cap only stops a single source spraying passwords at scale.
      maxFailuresPerIpPerDay: 1000,
    },
    store: config.redisClusterNodes
      ? {
          type: 'redis',
          cluster: {
            nodes: config.redisClusterNodes,
            ...(config.redisClusterPassword !== undefined ? { password: config.redisClusterPassword } : {}),
          },
          ...(config.redisKeyPrefix !== undefined ? { keyPrefix: config.redisKeyPrefix } : {}),
        }
      : config.redisUrl
        ? {
            type: 'redis',
            url: config.redisUrl,
            ...(config.redisKeyPrefix !== undefined ? { keyPrefix: config.redisKeyPrefix } : {}),
          }
        : { type: 'memory', maxEntries: config.storeMaxEntries },
    audit: {
      // More than 10 failed logins from one address in 5 minutes is worth an operator's look.
      alerts: [{ event: 'authentication.failure', by: 'ip', limit: '10/300s' }],
      // AUDIT_HASH_KEY when set; otherwise the library derives the key from the JWT signing key, which
      // every instance shares already, so no extra variable is needed for account pseudonyms to match.
      ...(config.auditHashKey !== undefined ? { accountHashKey: config.auditHashKey } : {}),
    },
    // RATE_LIMIT: one budget per user across all routes (per client IP when anonymous).
    rateLimit: {
      tiers: { default: `${config.rateLimit.limit}/${config.rateLimit.windowSeconds}s` },
      headers: 'both',
    },
    hardening: {
      bodyLimit: config.bodyLimitBytes,
      ...(config.corsOrigins.length > 0 ? { cors: { origins: config.corsOrigins } } : {}),
      documentationPaths: ['/api/docs'],
    },
    // The preview fetcher is the app's only outbound HTTP: its allowlist is the whole outbound policy.
    outbound: {
      allowedHosts: config.previewAllowedHosts,
      allowedPorts: config.previewAllowedPorts,
      allowCidrs: config.previewAllowedCidrs,
    },
  };
}
