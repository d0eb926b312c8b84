import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import { decodeProtectedHeader, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { API_SECURITY_OPTIONS, ApiSecurityConfigError, type ResolvedApiSecurityOptions } from '../api-security.options';
import { SECURITY_CLOCK, systemClock, type SecurityClock } from '../common/clock';
import type { SecurityPrincipal } from '../common/security-principal';
import { SafeHttpClient } from '../outbound/safe-http.client';
import { confirmationThumbprint } from './dpop-claims';
import { IssuerKeySet, IssuerMetadataError, type IssuerKeySetStats, type JsonFetcher } from './issuer-key-set';
import { ACCESS_TOKEN_TYPES, FORBIDDEN_HEADER_MEMBERS } from './jwt-header.rules';
import type { AsymmetricJwtAlgorithm } from './jwt-key.checks';
import { isExpectedRefusal, JwtRefusal, refusalOf } from './jwt-refusal';
import type { ResolvedTrustedIssuer } from './trusted-issuer.options';
import { TokenIntrospector, type FormPoster, type IntrospectionStats } from './token-introspection';
import { introspectionKey } from './introspection-cache';

/** The `authMethod` of principals authenticated by an external issuer's access token. */
export const TRUSTED_ISSUER_AUTH_METHOD = 'oidc';

/** Bounds of every metadata and key-set fetch: small documents, quickly, never redirected. */
const FETCH_LIMITS = {
  timeoutMs: 5000,
  connectTimeoutMs: 2000,
  maxResponseBytes: 256 * 1024,
  maxRedirects: 0,
  allowedContentTypes: ['application/json', 'application/jwk-set+json'],
} as const;

/** Introspection answers are small too, and must come quickly: a request waits for them. */
const INTROSPECTION_LIMITS = { timeoutMs: 3000, maxResponseBytes: 64 * 1024 } as const;

/** Loopback ranges opened to a loopback issuer (outside production only: the options check refuses it there). */
const LOOPBACK_CIDRS = ['127.0.0.0/8', '::1/128'];

/** Claims RFC 9068 §2.2 makes mandatory, besides the configurable client and token ids. */
const REQUIRED_CLAIMS = ['iss', 'aud', 'exp', 'iat', 'sub'];

/**
 * Access tokens of the external identity providers listed in `jwt.trustedIssuers` (RFC 9068 JWT
 * profile): discovery and key rotation per issuer ({@link IssuerKeySet}), verification, and the
 * mapping of claims to a {@link SecurityPrincipal} (`authMethod: 'oidc'`, scopes, mapped roles,
 * `subjectType` user or client). Every fetch goes through `SafeHttpClient`, restricted to the
 * issuer's own origin.
 *
 * At boot each provider's metadata is read once: metadata that contradicts the configuration
 * (another `issuer`, a `jwks_uri` elsewhere) stops the start; a provider that does not answer is
 * only logged, and its tokens are refused until it does.
 */
@Injectable()
export class TrustedIssuers implements OnApplicationBootstrap {
  private readonly logger = new Logger('TrustedIssuers');
  private readonly sets = new Map<string, IssuerKeySet>();
  /** The one issuer that introspects opaque tokens (the options allow at most one). */
  private readonly introspector: TokenIntrospector | undefined;
  /**
   * Principals of cached introspection results, by their (frozen, per-token) claims object: a cache
   * hit returns the same principal each time, so what is derived once per principal (revocation
   * keys) stays derived, and the token is hashed once more only to find the entry.
   */
  private readonly introspected = new WeakMap<JWTPayload, SecurityPrincipal>();
  private readonly now: SecurityClock;
  private readonly clockToleranceSeconds: number;

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    @Inject(API_SECURITY_OPTIONS) options: ResolvedApiSecurityOptions,
    http: SafeHttpClient,
    @Optional() @Inject(SECURITY_CLOCK) clock?: SecurityClock,
  ) {
    this.now = clock ?? systemClock;
    this.clockToleranceSeconds = options.jwt.clockToleranceSeconds;
    let introspector: TokenIntrospector | undefined;
    for (const config of options.jwt.trustedIssuers ?? []) {
      const client = issuerClient(http, config, options.outbound.allowCidrs);
      const set = new IssuerKeySet(
        config,
        jsonFetcher(client),
        () => this.now(),
        (message) => this.logger.error(message),
      );
      this.sets.set(config.issuer, set);
      if (config.introspection !== undefined) {
        introspector = new TokenIntrospector(
          config,
          () => set.introspectionEndpoint(),
          formPoster(client),
          () => this.now(),
          this.clockToleranceSeconds,
          (message) => this.logger.error(message),
        );
      }
    }
    this.introspector = introspector;
  }

  /** Whether opaque tokens are introspected (one trusted issuer has `introspection`). */
  get introspects(): boolean {
    return this.introspector !== undefined;
  }

  /** Introspection counters (undefined when no issuer introspects). */
  introspectionStats(): IntrospectionStats | undefined {
    return this.introspector?.stats;
  }

  /**
   * The principal of an opaque token whose active introspection result is cached, else undefined
   * (no call is made; a cached refusal is undefined too, and refused by {@link introspect}).
   */
  cachedIntrospection(token: string): SecurityPrincipal | undefined {
    const introspector = this.introspector;
    if (introspector === undefined) return undefined;
    try {
      const claims = introspector.cached(token);
      return claims !== undefined ? this.introspectedPrincipal(token, claims, introspector.config) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The principal of an opaque access token, by RFC 7662 introspection at the introspecting issuer.
   * @throws JwtRefusal: `inactive`, a claim refusal, or `introspection_unavailable` (answered 503)
   */
  async introspect(token: string): Promise<SecurityPrincipal> {
    const introspector = this.introspector;
    if (introspector === undefined) throw new JwtRefusal('malformed');
    try {
      return this.introspectedPrincipal(token, await introspector.introspect(token), introspector.config);
    } catch (error) {
      if (!isExpectedRefusal(error)) this.logger.warn('Opaque access-token introspection failed unexpectedly.');
      const refusal = refusalOf(error);
      throw new JwtRefusal(refusal.reason, refusal.claim, introspector.config.issuer);
    }
  }

  /**
   * RFC 7662 claims → principal. `sub` is optional there: a client-credentials token is the
   * client's (`client_id`); without `jti` the token's SHA-256 stands as its id for revocation and audit.
   */
  private introspectedPrincipal(token: string, claims: JWTPayload, config: ResolvedTrustedIssuer): SecurityPrincipal {
    let principal = this.introspected.get(claims);
    if (principal === undefined) {
      principal = this.mapIntrospected(token, claims, config);
      this.introspected.set(claims, principal);
    }
    return principal;
  }

  private mapIntrospected(token: string, claims: JWTPayload, config: ResolvedTrustedIssuer): SecurityPrincipal {
    const sub = optionalString(claims, 'sub');
    const clientId = optionalString(claims, config.clientIdClaim);
    const id = sub ?? clientId;
    if (id === undefined) throw new JwtRefusal('invalid_claims', 'sub');
    const tokenId = optionalString(claims, config.tokenIdClaim) ?? `sha256:${introspectionKey(token)}`;
    const iat = claims.iat === undefined ? undefined : requiredSeconds(claims, 'iat');
    const roles = config.rolesClaim !== undefined ? mapRoles(claimAt(claims, config.rolesClaim), config) : [];
    const keyThumbprint = confirmationThumbprint(claims);
    return Object.freeze({
      id,
      roles: Object.freeze(roles),
      authMethod: TRUSTED_ISSUER_AUTH_METHOD,
      scopes: Object.freeze(scopesOf(claimAt(claims, config.scopeClaim), config.scopeClaim)),
      tokenId,
      ...(iat !== undefined ? { issuedAt: iat } : {}),
      expiresAt: claims.exp as number,
      issuer: config.issuer,
      ...(clientId !== undefined ? { clientId } : {}),
      subjectType: sub === undefined || sub === clientId ? 'client' : 'user',
      ...(keyThumbprint !== undefined ? { keyThumbprint } : {}),
    });
  }

  /** Whether any external issuer is configured. */
  get enabled(): boolean {
    return this.sets.size > 0;
  }

  /** Whether `iss` is exactly one of the trusted issuers. */
  trusts(iss: unknown): iss is string {
    return typeof iss === 'string' && this.sets.has(iss);
  }

  /** Fetch counters of one issuer (undefined when it is not trusted). */
  stats(issuer: string): IssuerKeySetStats | undefined {
    return this.sets.get(issuer)?.stats;
  }

  async onApplicationBootstrap(): Promise<void> {
    const problems: string[] = [];
    await Promise.all(
      [...this.sets.values()].map(async (set) => {
        try {
          await set.discover();
        } catch (error) {
          if (error instanceof IssuerMetadataError) problems.push(error.message);
          else {
            this.logger.warn(
              `Trusted issuer ${set.config.issuer} did not serve its metadata at start; its tokens are refused until it does.`,
            );
          }
        }
      }),
    );
    if (problems.length > 0) throw new ApiSecurityConfigError(problems);
  }

  /**
   * The principal of a valid access token of the trusted issuer `iss` (read, unverified, from the
   * token to choose the key set; jose checks it again against the same value).
   * @throws JwtRefusal with the reason of the refusal; nothing else
   */
  async verify(token: string, iss: string): Promise<SecurityPrincipal> {
    const set = this.sets.get(iss);
    if (set === undefined) throw new JwtRefusal('wrong_issuer');
    const config = set.config;
    try {
      let header: ProtectedHeaderParameters;
      try {
        header = decodeProtectedHeader(token);
      } catch {
        throw new JwtRefusal('malformed');
      }
      const alg = header.alg;
      if (typeof alg !== 'string' || !(config.algorithms as readonly string[]).includes(alg)) {
        throw new JwtRefusal('alg_not_allowed');
      }
      for (const member of FORBIDDEN_HEADER_MEMBERS) {
        if (Object.hasOwn(header, member)) throw new JwtRefusal('forbidden_header', member);
      }
      if (
        config.requireAccessTokenType &&
        (typeof header.typ !== 'string' || !ACCESS_TOKEN_TYPES.has(header.typ.toLowerCase()))
      ) {
        throw new JwtRefusal('wrong_typ');
      }
      const kid: unknown = header.kid;
      if (kid !== undefined && typeof kid !== 'string') throw new JwtRefusal('malformed');
      const key = await set.key(kid, alg as AsymmetricJwtAlgorithm);
      const { payload } = await jwtVerify(token, key, {
        algorithms: [alg],
        issuer: config.issuer,
        audience: config.audience,
        clockTolerance: this.clockToleranceSeconds,
        requiredClaims: [...REQUIRED_CLAIMS, config.clientIdClaim, config.tokenIdClaim],
        currentDate: new Date(this.now()),
      });
      return this.principalOf(payload, config);
    } catch (error) {
      if (!isExpectedRefusal(error)) this.logger.warn('External access-token verification failed unexpectedly.');
      const refusal = refusalOf(error);
      // The issuer goes into the failure event, so operators see which provider's tokens fail.
      throw new JwtRefusal(refusal.reason, refusal.claim, config.issuer);
    }
  }

  private principalOf(claims: JWTPayload, config: ResolvedTrustedIssuer): SecurityPrincipal {
    const sub = requiredString(claims, 'sub');
    const clientId = requiredString(claims, config.clientIdClaim);
    const tokenId = requiredString(claims, config.tokenIdClaim);
    const iat = requiredSeconds(claims, 'iat');
    const exp = requiredSeconds(claims, 'exp');
    if (iat > this.now() / 1000 + this.clockToleranceSeconds) throw new JwtRefusal('invalid_claims', 'iat');
    if (exp <= iat) throw new JwtRefusal('invalid_claims', 'exp');
    const roles = config.rolesClaim !== undefined ? mapRoles(claimAt(claims, config.rolesClaim), config) : [];
    // A DPoP-bound token (RFC 9449 §6.1) from an external issuer is bound like one of ours: the
    // authenticator then accepts it only with the DPoP scheme and a proof of that key.
    const keyThumbprint = confirmationThumbprint(claims);
    return Object.freeze({
      id: sub,
      roles: Object.freeze(roles),
      authMethod: TRUSTED_ISSUER_AUTH_METHOD,
      scopes: Object.freeze(scopesOf(claimAt(claims, config.scopeClaim), config.scopeClaim)),
      tokenId,
      issuedAt: iat,
      expiresAt: exp,
      issuer: config.issuer,
      clientId,
      // RFC 9068 §2.2: without a resource owner (client credentials) `sub` identifies the client.
      subjectType: sub === clientId ? 'client' : 'user',
      ...(keyThumbprint !== undefined ? { keyThumbprint } : {}),
    });
  }
}

/** A SafeHttpClient that may reach only the issuer's own scheme, host and port. */
function issuerClient(
  http: SafeHttpClient,
  config: ResolvedTrustedIssuer,
  allowCidrs: readonly string[],
): SafeHttpClient {
  const url = new URL(config.issuer);
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  return http.withOptions({
    ...FETCH_LIMITS,
    allowedContentTypes: [...FETCH_LIMITS.allowedContentTypes],
    allowedHosts: [url.hostname],
    allowedSchemes: config.loopback ? ['http'] : ['https'],
    allowedPorts: [port],
    allowCidrs: config.loopback ? [...allowCidrs, ...LOOPBACK_CIDRS] : [...allowCidrs],
  });
}

/** GET + JSON. */
function jsonFetcher(client: SafeHttpClient): JsonFetcher {
  return async (target) => {
    const response = await client.get(target);
    if (response.status !== 200) throw new Error(`status ${response.status}`);
    return JSON.parse(response.text()) as unknown;
  };
}

/** POST of a form (the introspection request) + JSON, under the introspection limits. */
function formPoster(client: SafeHttpClient): FormPoster {
  const limited = client.withOptions(INTROSPECTION_LIMITS);
  return async (target, form, headers) => {
    const response = await limited.request(target, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    let json: unknown;
    try {
      json = JSON.parse(response.text());
    } catch {
      json = undefined;
    }
    return { status: response.status, json };
  };
}

function optionalString(claims: JWTPayload, name: string): string | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw new JwtRefusal('invalid_claims', name);
  return value;
}

/**
 * A claim by name, else by dotted path through plain objects (`realm_access.roles`). A claim
 * whose whole name contains dots (Auth0's `https://example.com/roles`) is found by name first.
 */
export function claimAt(claims: JWTPayload, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let current: unknown = claims;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    if (!Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function stringsOf(value: unknown, claim: string): string[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
  throw new JwtRefusal('invalid_claims', claim);
}

function scopesOf(value: unknown, claim: string): string[] {
  const listed = typeof value === 'string' ? value.split(' ') : stringsOf(value, claim);
  return [...new Set(listed.filter((scope) => scope !== ''))];
}

function mapRoles(value: unknown, config: ResolvedTrustedIssuer): string[] {
  const issued = stringsOf(value, config.rolesClaim as string);
  const map = config.roleMap;
  if (map === undefined) return [...new Set(issued)];
  const roles = new Set<string>();
  for (const role of issued) for (const mapped of Object.hasOwn(map, role) ? (map[role] ?? []) : []) roles.add(mapped);
  return [...roles];
}

function requiredString(claims: JWTPayload, name: string): string {
  const value = claims[name];
  if (typeof value !== 'string' || value.length === 0) throw new JwtRefusal('invalid_claims', name);
  return value;
}

function requiredSeconds(claims: JWTPayload, name: string): number {
  const value = claims[name];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new JwtRefusal('invalid_claims', name);
  return value;
}
