import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { decodeProtectedHeader, jwtVerify, type ProtectedHeaderParameters } from 'jose';
import type { Algorithm } from 'jsonwebtoken';
import type { KeyObject } from 'node:crypto';
import { Strategy, type JwtFromRequestFunction, type SecretOrKeyProvider } from 'passport-jwt';
import { API_SECURITY_OPTIONS, type JwtAlgorithm, type ResolvedApiSecurityOptions } from '../api-security.options';
import { JwtKeyService } from './jwt-key.service';
import { JwtRefusal, refusalOf } from './jwt-refusal';
import type { SecurityPrincipal } from './security-principal';

/** Passport name of the strategy (usable with `AuthGuard(JWT_STRATEGY_NAME)`). */
export const JWT_STRATEGY_NAME = 'api-security-jwt';

/**
 * Largest accepted token, in characters. Our tokens are well under 1 KB; the limit keeps a huge
 * header from reaching base64 and JSON decoding, and bounds what the verified-token cache holds.
 */
export const MAX_ACCESS_TOKEN_LENGTH = 8 * 1024;

/**
 * `Authorization: Bearer <token>` as RFC 6750 §2.1 writes it: the scheme, case-insensitive (RFC
 * 9110 §11.1), exactly one space, one b64token, nothing before or after. Two spaces, a tab or a
 * trailing space make the header malformed rather than being tolerated, so every component that
 * reads the header (this strategy, the authenticator, a proxy) sees the same token.
 */
const BEARER_AUTHORIZATION = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/** The token of a well-formed bearer `Authorization` header, else null. */
export function bearerTokenOf(header: unknown): string | null {
  if (typeof header !== 'string') return null;
  return BEARER_AUTHORIZATION.exec(header)?.[1] ?? null;
}

/** Reads the token from the Authorization header only (never query, body or cookie). */
const extractBearerToken: JwtFromRequestFunction = (request) =>
  bearerTokenOf((request as { headers?: Record<string, unknown> }).headers?.authorization);

/** `typ` values of an RFC 9068 access token, compared in lower case. */
const ACCESS_TOKEN_TYPES: ReadonlySet<string> = new Set(['at+jwt', 'application/at+jwt']);

/**
 * Header members that let a token choose (or carry) its own verification key, or demand
 * extensions we do not implement. A token that has any of them is refused outright: keys come
 * from configuration only.
 */
const FORBIDDEN_HEADER_MEMBERS = ['jku', 'x5u', 'x5c', 'jwk', 'crit'] as const;

/** Three base64url segments; the signature may be empty so that `alg: none` gets its own reason. */
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

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

/** passport-jwt's key callback over {@link resolveVerificationKey}. */
function keyProvider(keys: JwtKeyService): SecretOrKeyProvider {
  return (_request, rawToken, done) => {
    resolveVerificationKey(keys, rawToken).then(
      // jsonwebtoken 9 takes a KeyObject (and then checks its type against the algorithm); the
      // typings only list string | Buffer.
      (key) => done(null, key as unknown as Buffer),
      (error: unknown) => done(refusalOf(error)),
    );
  };
}

/** The minimal Passport surface the strategy reports through (added by Passport per attempt). */
interface PassportAttempt {
  success(user: unknown, info?: unknown): void;
  fail(challenge: unknown, status?: number): void;
}

/**
 * Verifies bearer access tokens for Passport (`api-security-jwt`): Authorization header only
 * (never query, body or cookie), the one configured algorithm, `iss`, `aud`, `exp`/`nbf` with the
 * configured clock tolerance, `typ: at+jwt`, and keys chosen by configuration (see
 * {@link resolveVerificationKey}). `validate` turns the claims into a {@link SecurityPrincipal}.
 *
 * Revocation is not checked here: {@link JwtAuthenticator} does that on every request.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_STRATEGY_NAME) {
  private readonly algorithm: JwtAlgorithm;
  private readonly extract: JwtFromRequestFunction;
  private readonly clockToleranceSeconds: number;

  constructor(
    private readonly keys: JwtKeyService,
    @Inject(API_SECURITY_OPTIONS) private readonly options: ResolvedApiSecurityOptions,
  ) {
    const extract = extractBearerToken;
    const { jwt } = options;
    super({
      jwtFromRequest: extract,
      secretOrKeyProvider: keyProvider(keys),
      // EdDSA is not in jsonwebtoken's typings (nor in its verifier: see authenticate()).
      algorithms: [jwt.algorithm as Algorithm],
      issuer: jwt.issuer,
      audience: jwt.audience,
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance: jwt.clockToleranceSeconds },
      passReqToCallback: false,
    });
    this.algorithm = jwt.algorithm;
    this.extract = extract;
    this.clockToleranceSeconds = jwt.clockToleranceSeconds;
  }

  /**
   * passport-jwt verifies with jsonwebtoken 9, whose signer library (jwa) has no EdDSA. For EdDSA
   * only, the same checks run through jose instead: same extractor, same key resolution, the one
   * algorithm, issuer, audience, clock tolerance, then the same {@link validate}.
   */
  override authenticate(request: Parameters<InstanceType<typeof Strategy>['authenticate']>[0], options?: object): void {
    if (this.algorithm !== 'EdDSA') {
      super.authenticate(request, options);
      return;
    }
    const attempt = this as unknown as PassportAttempt;
    const token = this.extract(request);
    if (!token) {
      attempt.fail(new JwtRefusal('malformed'), 401);
      return;
    }
    resolveVerificationKey(this.keys, token)
      .then((key) =>
        jwtVerify(token, key, {
          algorithms: [this.algorithm],
          issuer: this.options.jwt.issuer,
          audience: this.options.jwt.audience,
          clockTolerance: this.clockToleranceSeconds,
        }),
      )
      .then(({ payload }) => this.validate(payload))
      .then(
        (principal) => attempt.success(principal),
        (error: unknown) => attempt.fail(refusalOf(error), 401),
      );
  }

  /**
   * Claims → principal. Called only after the signature, `iss`, `aud`, `exp` and `nbf` checks.
   * @throws JwtRefusal `invalid_claims` naming the claim
   */
  validate(payload: unknown): SecurityPrincipal {
    if (typeof payload !== 'object' || payload === null) throw new JwtRefusal('malformed');
    const claims = payload as Record<string, unknown>;
    const sub = requiredString(claims, 'sub');
    const jti = requiredString(claims, 'jti');
    const iat = requiredSeconds(claims, 'iat');
    const exp = requiredSeconds(claims, 'exp');
    const role = optionalString(claims, 'role');
    const sid = optionalString(claims, 'sid');
    // An iat in the future would outlive a later "revoke everything" (issuedAt >= validAfter). Our
    // own iat can be up to a second ahead (rounded up past a revocation stamp), hence the +1.
    if (iat > Date.now() / 1000 + this.clockToleranceSeconds + 1) throw new JwtRefusal('invalid_claims', 'iat');
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
    });
  }
}

function requiredString(claims: Record<string, unknown>, name: string): string {
  const value = claims[name];
  if (typeof value !== 'string' || value.length === 0) throw new JwtRefusal('invalid_claims', name);
  return value;
}

function optionalString(claims: Record<string, unknown>, name: string): string | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw new JwtRefusal('invalid_claims', name);
  return value;
}

/** A NumericDate (RFC 7519 allows fractions; we issue whole seconds). */
function requiredSeconds(claims: Record<string, unknown>, name: string): number {
  const value = claims[name];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new JwtRefusal('invalid_claims', name);
  }
  return value;
}
