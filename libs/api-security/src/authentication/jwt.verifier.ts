import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { webcrypto, type KeyObject } from 'node:crypto';
import { API_SECURITY_OPTIONS, type JwtAlgorithm, type ResolvedApiSecurityOptions } from '../api-security.options';
import { SECURITY_CLOCK, systemClock, type SecurityClock } from '../common/clock';
import { MAX_ACCESS_TOKEN_LENGTH } from './bearer-token';
import { ACCESS_TOKEN_TYPES, FORBIDDEN_HEADER_MEMBERS, JWS_COMPACT } from './jwt-header.rules';
import { JwtKeyService } from './jwt-key.service';
import { isExpectedRefusal, JwtRefusal, refusalOf } from './jwt-refusal';
import { VerifiedTokenCache } from './jwt-verified-cache';
import { confirmationThumbprint } from './dpop-claims';
import { TrustedIssuers } from './trusted-issuers.service';
import type { SecurityPrincipal } from '../common/security-principal';

/** How many verified tokens each instance remembers (about 1 KB each for our tokens). */
const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

/** Claims without which a token is never an access token; jose checks their presence. */
const REQUIRED_CLAIMS = ['sub', 'jti', 'iat', 'exp'];

/**
 * Checks a raw token's protected header and returns the key that must verify it. Runs before any
 * signature check, so the header's claims about itself are never trusted: the algorithm is
 * compared to the configured one, `kid` is a map key, and key-carrying members are refused.
 * @throws JwtRefusal
 */
export async function resolveVerificationKey(keys: JwtKeyService, rawToken: unknown): Promise<KeyObject> {
  if (typeof rawToken !== 'string') throw new JwtRefusal('malformed');
  if (rawToken.length > MAX_ACCESS_TOKEN_LENGTH) throw new JwtRefusal('too_large');
  if (!JWS_COMPACT.test(rawToken)) throw new JwtRefusal('malformed');
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(rawToken);
  } catch {
    throw new JwtRefusal('malformed');
  }
  // Exact, case-sensitive: `none`, `None`, `HS256` on an ES256 server… all fail here.
  if (header.alg !== keys.algorithm) throw new JwtRefusal('alg_not_allowed');
  for (const member of FORBIDDEN_HEADER_MEMBERS) {
    if (Object.hasOwn(header, member)) throw new JwtRefusal('forbidden_header', member);
  }
  if (typeof header.typ !== 'string' || !ACCESS_TOKEN_TYPES.has(header.typ.toLowerCase())) {
    throw new JwtRefusal('wrong_typ');
  }
  const kid: unknown = header.kid;
  if (kid !== undefined && typeof kid !== 'string') throw new JwtRefusal('malformed');
  const local = keys.verificationKey(kid);
  if (local) return local;
  if (keys.hasRemoteJwks) return keys.remoteVerificationKey(header);
  throw new JwtRefusal('unknown_kid');
}

/**
 * The one verification path of access tokens, shared by {@link JwtAuthenticator} (the security
 * guard) and the Passport strategy `api-security-jwt` (`AuthGuard(JWT_STRATEGY_NAME)`), so both
 * accept and refuse exactly the same tokens for the same reasons.
 *
 * jose verifies: the one configured algorithm (pinned from the key configuration, never from the
 * token), `iss`, `aud`, `exp`/`nbf` with the configured clock tolerance, required `sub`/`jti`/
 * `iat`/`exp`; the header checks of {@link resolveVerificationKey} run first. Every failure is a
 * {@link JwtRefusal} mapped from jose's error codes, never from message text. Verified tokens are
 * cached until their `exp` (the exact string; revocation is the caller's, on every request).
 */
@Injectable()
export class JwtVerifier {
  private readonly logger = new Logger('JwtVerifier');
  private readonly cache = new VerifiedTokenCache(VERIFIED_TOKEN_CACHE_SIZE);
  private readonly algorithm: JwtAlgorithm;
  private readonly issuer: string;
  private readonly audience: string;
  private readonly clockToleranceSeconds: number;
  private readonly now: SecurityClock;
  /** HS256: the secret imported once for WebCrypto (jose would import a raw secret on every call). */
  private readonly cryptoKeys = new WeakMap<KeyObject, Promise<webcrypto.CryptoKey>>();

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    private readonly keys: JwtKeyService,
    @Inject(API_SECURITY_OPTIONS) options: ResolvedApiSecurityOptions,
    @Optional() @Inject(SECURITY_CLOCK) clock?: SecurityClock,
    @Optional() private readonly trusted?: TrustedIssuers,
  ) {
    this.now = clock ?? systemClock;
    const { jwt } = options;
    this.algorithm = keys.algorithm;
    this.issuer = jwt.issuer;
    this.audience = jwt.audience;
    this.clockToleranceSeconds = jwt.clockToleranceSeconds;
  }

  /** The principal of a token this instance already verified and that has not expired, else undefined. */
  cached(token: string): SecurityPrincipal | undefined {
    if (token.length > MAX_ACCESS_TOKEN_LENGTH) return undefined;
    if (this.opaque(token)) return (this.trusted as TrustedIssuers).cachedIntrospection(token);
    return this.cache.get(token, this.now() / 1000);
  }

  /**
   * @internal The principal of a JWT this instance verified with its own keys and that has not
   * expired, else undefined; never an introspected token. Every such token passed
   * {@link JWS_COMPACT} before verification, so a hit is a string of base64url segments and dots.
   */
  cachedJws(token: string): SecurityPrincipal | undefined {
    return this.cache.get(token, this.now() / 1000);
  }

  /**
   * The principal of a valid access token. Does not check revocation.
   * @throws JwtRefusal with the reason (and claim) of the refusal; nothing else
   */
  async verify(token: unknown): Promise<SecurityPrincipal> {
    if (typeof token === 'string') {
      const cached = this.cached(token);
      if (cached !== undefined) return cached;
    }
    // Not a JWT, and an issuer introspects: RFC 7662 at that issuer (its own bounded cache).
    if (this.opaque(token)) return (this.trusted as TrustedIssuers).introspect(token);
    const external = this.externalIssuer(token);
    // Not cached: a key the provider removed must stop verifying at the next key refresh.
    if (external !== undefined) return (this.trusted as TrustedIssuers).verify(token as string, external);
    let principal: SecurityPrincipal;
    try {
      const key = await resolveVerificationKey(this.keys, token);
      const { payload } = await jwtVerify(token as string, await this.cryptoKeyOf(key), {
        algorithms: [this.algorithm],
        issuer: this.issuer,
        audience: this.audience,
        clockTolerance: this.clockToleranceSeconds,
        requiredClaims: REQUIRED_CLAIMS,
        // One clock (SECURITY_CLOCK, else Date.now) for jose's exp/nbf, our iat check and the cache.
        currentDate: new Date(this.now()),
      });
      principal = this.principalOf(payload);
    } catch (error) {
      if (!isExpectedRefusal(error)) this.logger.warn('Access-token verification failed unexpectedly.');
      throw refusalOf(error);
    }
    this.cache.set(token as string, principal, this.now() / 1000);
    return principal;
  }

  /**
   * Whether the token goes to introspection: a string of bearer-token size that is not a JWS
   * compact serialization, while a trusted issuer introspects. JWTs, even of that issuer, are
   * verified with keys: that needs no call to the provider.
   */
  private opaque(token: unknown): token is string {
    return (
      this.trusted?.introspects === true &&
      typeof token === 'string' &&
      token.length > 0 &&
      token.length <= MAX_ACCESS_TOKEN_LENGTH &&
      !JWS_COMPACT.test(token)
    );
  }

  /**
   * The trusted external issuer a token claims (its unverified `iss`, compared exactly), or
   * undefined for the library's own tokens and everything malformed (the local path refuses those).
   */
  private externalIssuer(token: unknown): string | undefined {
    if (!this.trusted?.enabled || typeof token !== 'string') return undefined;
    if (token.length > MAX_ACCESS_TOKEN_LENGTH || !JWS_COMPACT.test(token)) return undefined;
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      return undefined;
    }
    return this.trusted.trusts(iss) ? iss : undefined;
  }

  private cryptoKeyOf(key: KeyObject): KeyObject | Promise<webcrypto.CryptoKey> {
    if (key.type !== 'secret') return key; // jose keeps its own per-KeyObject CryptoKey cache
    let imported = this.cryptoKeys.get(key);
    if (imported === undefined) {
      imported = webcrypto.subtle.importKey('raw', key.export(), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
      this.cryptoKeys.set(key, imported);
    }
    return imported;
  }

  /**
   * Claims → principal, after the signature, `iss`, `aud`, `exp` and `nbf` checks.
   * @throws JwtRefusal `invalid_claims` naming the claim
   */
  private principalOf(claims: JWTPayload): SecurityPrincipal {
    const sub = requiredString(claims, 'sub');
    const jti = requiredString(claims, 'jti');
    const iat = requiredSeconds(claims, 'iat');
    const exp = requiredSeconds(claims, 'exp');
    const role = optionalString(claims, 'role');
    const sid = optionalString(claims, 'sid');
    const keyThumbprint = confirmationThumbprint(claims);
    // An iat in the future would outlive a later "revoke everything" (issuedAt >= validAfter). Our
    // own iat can be up to a second ahead (rounded up past a revocation stamp), hence the +1.
    if (iat > this.now() / 1000 + this.clockToleranceSeconds + 1) throw new JwtRefusal('invalid_claims', 'iat');
    if (exp <= iat) throw new JwtRefusal('invalid_claims', 'exp');
    return Object.freeze({
      id: sub,
      roles: Object.freeze(role !== undefined ? [role] : []),
      authMethod: 'jwt',
      scopes: Object.freeze([]),
      tokenId: jti,
      ...(sid !== undefined ? { sessionId: sid } : {}),
      issuedAt: iat,
      expiresAt: exp,
      ...(keyThumbprint !== undefined ? { keyThumbprint } : {}),
    });
  }
}

function requiredString(claims: JWTPayload, name: string): string {
  const value = claims[name];
  if (typeof value !== 'string' || value.length === 0) throw new JwtRefusal('invalid_claims', name);
  return value;
}

function optionalString(claims: JWTPayload, name: string): string | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw new JwtRefusal('invalid_claims', name);
  return value;
}

/** A NumericDate (RFC 7519 allows fractions; we issue whole seconds). */
function requiredSeconds(claims: JWTPayload, name: string): number {
  const value = claims[name];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new JwtRefusal('invalid_claims', name);
  }
  return value;
}
