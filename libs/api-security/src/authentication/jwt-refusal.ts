import { errors as joseErrors } from 'jose';
import { eventContext } from '../audit/event-context';
import type { SecurityEvent } from '../audit/security-event';
import type { SecurityRequest } from '../common/security-principal';

/** Why a bearer token was refused, as reported in `authentication.failure` events. */
export type JwtFailureReason =
  /** The Authorization header is not `Bearer <token>` (answered with `invalid_request`). */
  | 'malformed_header'
  /** Over the size limit, refused before any parsing. */
  | 'too_large'
  /** Not a JWS compact token, or a header or payload that is not JSON. */
  | 'malformed'
  /** `alg` is not the one configured algorithm (`none` in any spelling included). */
  | 'alg_not_allowed'
  /** `typ` is not `at+jwt` (e.g. an ID token, a refresh token or a plain `JWT`). */
  | 'wrong_typ'
  /** A header that names or embeds a key (`jku`, `x5u`, `x5c`, `jwk`) or asks for extensions (`crit`). */
  | 'forbidden_header'
  /** `kid` names no known key (or is missing where a key id is needed). */
  | 'unknown_kid'
  | 'bad_signature'
  | 'expired'
  /** `nbf` still in the future. */
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  /** A required claim is missing or of the wrong type (`sub`, `jti`, `iat`, `exp`, `role`, `sid`). */
  | 'invalid_claims'
  | 'revoked'
  /** The external issuer's JWKS could not be fetched or read. */
  | 'jwks_unavailable'
  /** RFC 7662 introspection answered `active: false` (revoked, expired or unknown opaque token). */
  | 'inactive'
  /** The introspection endpoint failed or the call budget was spent: answered 503, never accepted. */
  | 'introspection_unavailable'
  /** Anything else the verifier refused. */
  | 'invalid';

/**
 * Why an access token was refused: its audit reason and, for `invalid_claims`, the claim. What
 * `JwtVerifier#verify` rejects with, and the `info` an `AuthGuard(JWT_STRATEGY_NAME)` gets in
 * `handleRequest`. Never sent to clients (they get a generic 401).
 */
export class JwtRefusal extends Error {
  constructor(
    readonly reason: JwtFailureReason,
    /** Non-secret detail for the audit event, e.g. the name of the missing claim. */
    readonly claim?: string,
    /** The trusted external issuer (`jwt.trustedIssuers`) whose token was refused; never a value the token chose alone. */
    readonly issuer?: string,
  ) {
    super(claim ? `${reason} (${claim})` : reason);
    this.name = 'JwtRefusal';
  }
}

/**
 * jose's error codes (`JOSEError#code`, stable across releases) and the reason each maps to. A
 * failed claim check (`ERR_JWT_CLAIM_VALIDATION_FAILED`) is mapped by its `claim` instead.
 */
const JOSE_CODE_REASONS: Readonly<Partial<Record<string, JwtFailureReason>>> = {
  ERR_JWT_EXPIRED: 'expired',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'bad_signature',
  ERR_JOSE_ALG_NOT_ALLOWED: 'alg_not_allowed',
  ERR_JWKS_NO_MATCHING_KEY: 'unknown_kid',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'unknown_kid',
  ERR_JWKS_TIMEOUT: 'jwks_unavailable',
  ERR_JWKS_INVALID: 'jwks_unavailable',
  ERR_JWS_INVALID: 'malformed',
  ERR_JWT_INVALID: 'malformed',
  // An unknown `crit` member or `b64` use: refused before jose by the header checks already.
  ERR_JOSE_NOT_SUPPORTED: 'forbidden_header',
};

/**
 * Claims whose failed check (wrong value, or missing) has a reason of its own; any other claim, or
 * one of the wrong type, is `invalid_claims` naming it.
 */
const CLAIM_REASONS: Readonly<Partial<Record<string, JwtFailureReason>>> = {
  nbf: 'not_yet_valid',
  iss: 'wrong_issuer',
  aud: 'wrong_audience',
  typ: 'wrong_typ',
};

/**
 * Maps whatever the verification path rejected with (our refusals, jose's errors) to a typed
 * refusal, by jose's error code and claim name, never by message text. Anything else is `invalid`.
 */
export function refusalOf(error: unknown): JwtRefusal {
  if (error instanceof JwtRefusal) return error;
  if (!(error instanceof joseErrors.JOSEError)) return new JwtRefusal('invalid');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    // `invalid`: the claim is there but of the wrong type (a string nbf), not a failed check.
    const reason = error.reason === 'invalid' ? undefined : CLAIM_REASONS[error.claim];
    return reason !== undefined ? new JwtRefusal(reason) : new JwtRefusal('invalid_claims', error.claim);
  }
  return new JwtRefusal(JOSE_CODE_REASONS[error.code] ?? 'invalid');
}

/** Whether the verification path was expected to reject with this (a refusal, a jose error), not a bug. */
export function isExpectedRefusal(error: unknown): boolean {
  return error instanceof JwtRefusal || error instanceof joseErrors.JOSEError;
}

/** The `authentication.failure` event of a refused bearer token (its reason, never the token). */
export function refusalEvent(request: SecurityRequest, refusal: JwtRefusal, principalId?: string): SecurityEvent {
  return {
    type: 'authentication.failure',
    reason: refusal.reason,
    ...eventContext(request),
    ...(principalId !== undefined ? { principalId } : {}),
    details: {
      authMethod: refusal.issuer !== undefined ? 'oidc' : 'jwt',
      ...(refusal.claim !== undefined ? { claim: refusal.claim } : {}),
      ...(refusal.issuer !== undefined ? { issuer: refusal.issuer } : {}),
    },
  };
}
