import { Inject, Injectable, Optional } from '@nestjs/common';
import { createHash } from 'node:crypto';
import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  EmbeddedJWK,
  errors as joseErrors,
  jwtVerify,
  type JWK,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { SecurityEventBus } from '../audit/security-event.bus';
import { SECURITY_CLOCK, systemClock, type SecurityClock } from '../common/clock';
import { requestPath } from '../common/raw-http';
import type { SecurityPrincipal, SecurityRequest } from '../common/security-principal';
import type { SecurityException } from '../errors/security.exception';
import type { SecurityStore } from '../store/security-store';
import { InjectSecurityStore } from '../store/security-store.purpose';
import type { PresentedAccessToken } from './dpop-authorization';
import { accessTokenHash } from './dpop-claims';
import { DpopNonceService } from './dpop-nonce.service';
import { dpopException, DpopRefusal, dpopRefusalEvent, type DpopFailureReason } from './dpop-refusal';
import type { ResolvedDpopOptions } from './dpop.options';

/** Largest accepted proof, in characters: an RSA-4096 `jwk` and the claims fit in well under 8 KB. */
export const MAX_DPOP_PROOF_LENGTH = 8 * 1024;
/** Longest accepted `jti`: RFC 9449 asks for 96 bits of randomness; 256 characters leaves room for any encoding. */
const MAX_JTI_LENGTH = 256;
/** Three base64url segments; the signature may be empty so that `alg: none` is refused by the algorithm check. */
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/** JWK members that only a private or symmetric key has: a proof header carries a public key only. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const ASYMMETRIC_KEY_TYPES: ReadonlySet<unknown> = new Set(['EC', 'RSA', 'OKP']);

/** The store key that marks a proof `jti` as used: the proof key's thumbprint as hash tag, the jti hashed. */
export function dpopJtiKey(thumbprint: string, jti: string): string {
  return `{dpop:${thumbprint}}:jti:${createHash('sha256').update(jti).digest('base64url')}`;
}

/**
 * Scheme, host and path of a URL, after the WHATWG URL parser's normalisation (lower-case scheme
 * and host, default port dropped, dot segments resolved, percent-encoding made uniform); no query
 * and no fragment, as RFC 9449 §4.3 compares `htu`. Undefined when it is not an http(s) URL.
 */
export function normalizedHtu(url: string, base?: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url, base);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

/**
 * The URL the client used, as the HTTP adapter sees it under its own trust-proxy setting: the
 * scheme from `request.protocol` (Express and Fastify read `X-Forwarded-Proto` only when proxies are
 * trusted), the host from `request.host` (likewise `X-Forwarded-Host`), else the `Host` header, and
 * the path as the client sent it (Express's `originalUrl`, Fastify's raw URL), without the query.
 */
export function requestHtu(request: SecurityRequest): string | undefined {
  const r = request as SecurityRequest & { protocol?: unknown; host?: unknown };
  const protocol = r.protocol === 'https' ? 'https' : 'http';
  const host = typeof r.host === 'string' && r.host !== '' ? r.host : request.headers.host;
  if (typeof host !== 'string' || host === '') return undefined;
  return normalizedHtu(requestPath(request), `${protocol}://${host}`);
}

/**
 * Checks the DPoP proof of a request against RFC 9449 §4.3 and the access token it comes with:
 * `typ: dpop+jwt`, an `alg` of `dpop.algorithms`, a public `jwk` in the header that verifies the
 * signature (jose, `EmbeddedJWK`), `htm`/`htu` equal to the request's method and URL, `iat` within
 * `dpop.proofMaxAgeSeconds` (and not ahead of the clock beyond `jwt.clockToleranceSeconds`), `ath`
 * equal to the token's hash, the key's thumbprint equal to the token's `cnf.jkt`, the nonce when
 * `dpop.nonce` is on, and last the `jti`, marked used in the security store with set-if-absent so
 * that of concurrent uses of one proof, on any number of instances, exactly one passes.
 */
@Injectable()
export class DpopProofVerifier {
  private readonly options: ResolvedDpopOptions;
  private readonly clockToleranceSeconds: number;
  private readonly now: SecurityClock;

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    @Inject(API_SECURITY_OPTIONS) options: ResolvedApiSecurityOptions,
    @InjectSecurityStore('challenge') private readonly store: SecurityStore,
    private readonly nonces: DpopNonceService,
    private readonly events: SecurityEventBus,
    @Optional() @Inject(SECURITY_CLOCK) clock?: SecurityClock,
  ) {
    this.options = options.dpop;
    this.clockToleranceSeconds = options.jwt.clockToleranceSeconds;
    this.now = clock ?? systemClock;
  }

  /** Algorithms a proof may use, as sent in `algs`. */
  get algorithms(): readonly string[] {
    return this.options.algorithms;
  }

  /**
   * Applies the binding rules to a verified access token: a bound token (`cnf.jkt`) needs the
   * `DPoP` scheme and a valid proof of its key; the `DPoP` scheme needs a bound token. Emits
   * `authentication.failure` with the reason. When the request may go on, returns a fresh nonce to
   * send in `DPoP-Nonce` on the response (RFC 9449 §8.2) when the proof's nonce is about to expire,
   * else undefined.
   * @throws SecurityException 401 (problem details with the RFC 9449 challenge)
   */
  async check(
    request: SecurityRequest,
    presented: PresentedAccessToken,
    principal: SecurityPrincipal,
  ): Promise<string | undefined> {
    const bound = principal.keyThumbprint;
    if (presented.scheme === 'Bearer') {
      if (bound !== undefined) throw this.refuse(request, new DpopRefusal('dpop_bound_token_as_bearer'), principal.id);
      return undefined;
    }
    if (bound === undefined) throw this.refuse(request, new DpopRefusal('dpop_token_not_bound'), principal.id);
    try {
      const nonce = await this.verify(request, presented.token, bound);
      return this.options.nonce && this.nonces.isStale(nonce) ? this.nonces.issue() : undefined;
    } catch (error) {
      if (error instanceof DpopRefusal) throw this.refuse(request, error, principal.id);
      throw error;
    }
  }

  /** The 401 (and its event) for a route that requires DPoP and got another kind of credential. */
  required(request: SecurityRequest, principalId?: string): SecurityException {
    return this.refuse(request, new DpopRefusal('dpop_required'), principalId);
  }

  /**
   * Verifies the request's proof for `accessToken`, bound to the key of thumbprint `boundThumbprint`.
   * Returns the proof's `nonce` claim (checked only when `dpop.nonce` is on).
   * @throws DpopRefusal with the reason; a store outage propagates as is (the request fails closed)
   */
  async verify(request: SecurityRequest, accessToken: string, boundThumbprint: string): Promise<unknown> {
    const proof = request.headers.dpop;
    if (proof === undefined) throw new DpopRefusal('dpop_proof_missing');
    // Node joins repeated unknown headers with ", ", which no compact JWS contains.
    if (typeof proof !== 'string' || proof.length > MAX_DPOP_PROOF_LENGTH || !JWS_COMPACT.test(proof)) {
      throw new DpopRefusal('dpop_proof_malformed');
    }
    let header: ProtectedHeaderParameters;
    try {
      header = decodeProtectedHeader(proof);
    } catch {
      throw new DpopRefusal('dpop_proof_malformed');
    }
    if (typeof header.typ !== 'string' || header.typ.toLowerCase() !== 'dpop+jwt')
      throw new DpopRefusal('dpop_wrong_typ');
    // Exact and case-sensitive: `none`, `HS256`, `es256` are all refused here, before any key is imported.
    if (typeof header.alg !== 'string' || !this.options.algorithms.includes(header.alg as never)) {
      throw new DpopRefusal('dpop_alg_not_allowed');
    }
    const jwk = publicJwkOf(header.jwk);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
        algorithms: [...this.options.algorithms],
        typ: 'dpop+jwt',
        currentDate: new Date(this.now()),
        clockTolerance: this.clockToleranceSeconds,
      }));
    } catch (error) {
      throw new DpopRefusal(joseReason(error));
    }
    const claims = proofClaims(payload);
    if (claims.htm !== request.method) throw new DpopRefusal('dpop_htm_mismatch');
    const htu = normalizedHtu(claims.htu);
    if (htu === undefined || htu !== requestHtu(request)) throw new DpopRefusal('dpop_htu_mismatch');
    const nowSeconds = this.now() / 1000;
    if (
      claims.iat < nowSeconds - this.options.proofMaxAgeSeconds ||
      claims.iat > nowSeconds + this.clockToleranceSeconds
    ) {
      throw new DpopRefusal('dpop_iat_out_of_window');
    }
    if (claims.ath !== accessTokenHash(accessToken)) throw new DpopRefusal('dpop_ath_mismatch');
    const thumbprint = await calculateJwkThumbprint(jwk, 'sha256');
    if (thumbprint !== boundThumbprint) throw new DpopRefusal('dpop_key_mismatch');
    if (this.options.nonce && !this.nonces.isValid(payload.nonce)) throw new DpopRefusal('dpop_nonce_required');
    // Last, once everything else holds: a refused proof does not spend its jti. Remembered for as
    // long as its iat is acceptable, so a replay after that is refused by the iat check instead.
    const ttlMs = (this.options.proofMaxAgeSeconds + this.clockToleranceSeconds + 1) * 1000;
    const first = await this.store.setIfAbsent(dpopJtiKey(thumbprint, claims.jti), '1', ttlMs);
    if (!first) throw new DpopRefusal('dpop_replayed');
    return payload.nonce;
  }

  /** Reports the refusal (never the token or the proof) and returns the 401 to throw. */
  private refuse(request: SecurityRequest, refusal: DpopRefusal, principalId?: string): SecurityException {
    this.events.emit(dpopRefusalEvent(request, refusal, principalId));
    const nonce = refusal.reason === 'dpop_nonce_required' ? this.nonces.issue() : undefined;
    return dpopException(refusal, this.options.algorithms, nonce);
  }
}

/** The proof header's `jwk`, when it is an asymmetric public key and nothing more. */
function publicJwkOf(value: unknown): JWK {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DpopRefusal('dpop_bad_jwk');
  const jwk = value as Record<string, unknown>;
  if (!ASYMMETRIC_KEY_TYPES.has(jwk.kty)) throw new DpopRefusal('dpop_bad_jwk');
  for (const member of PRIVATE_JWK_MEMBERS) {
    if (Object.hasOwn(jwk, member)) throw new DpopRefusal('dpop_bad_jwk');
  }
  return jwk as JWK;
}

interface ProofClaims {
  readonly jti: string;
  readonly htm: string;
  readonly htu: string;
  readonly iat: number;
  readonly ath: string;
}

/** The claims every proof sent with an access token has (RFC 9449 §4.2, §7). */
function proofClaims(payload: JWTPayload): ProofClaims {
  const { jti, htm, htu, iat, ath } = payload as Record<string, unknown>;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
    throw new DpopRefusal('dpop_invalid_claims');
  }
  if (typeof htm !== 'string' || typeof htu !== 'string' || typeof ath !== 'string') {
    throw new DpopRefusal('dpop_invalid_claims');
  }
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new DpopRefusal('dpop_invalid_claims');
  return { jti, htm, htu, iat, ath };
}

/** jose's error codes (stable), never its messages, mapped to a refusal reason. */
function joseReason(error: unknown): DpopFailureReason {
  if (error instanceof DpopRefusal) return error.reason;
  if (!(error instanceof joseErrors.JOSEError)) return 'dpop_proof_malformed';
  switch (error.code) {
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'dpop_bad_signature';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'dpop_alg_not_allowed';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
    case 'ERR_JWT_EXPIRED':
      return 'dpop_invalid_claims';
    case 'ERR_JWK_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'dpop_bad_jwk';
    default:
      return 'dpop_proof_malformed';
  }
}
