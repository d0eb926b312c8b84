import { errors as joseErrors } from 'jose';

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
  /** Anything else the verifier refused. */
  | 'invalid';

/** A refusal with its audit reason. Thrown inside the verification path; never sent to clients. */
export class JwtRefusal extends Error {
  constructor(
    readonly reason: JwtFailureReason,
    /** Non-secret detail for the audit event, e.g. the name of the missing claim. */
    readonly claim?: string,
  ) {
    super(claim ? `${reason} (${claim})` : reason);
    this.name = 'JwtRefusal';
  }
}

/**
 * Maps whatever the verifier rejected with (our refusals, jsonwebtoken's errors, jose's errors)
 * to a short reason. Messages are matched, not shown: jsonwebtoken has no error codes.
 */
export function refusalOf(error: unknown): JwtRefusal {
  if (error instanceof JwtRefusal) return error;
  if (error instanceof joseErrors.JOSEError) return new JwtRefusal(joseReason(error));
  if (!(error instanceof Error)) return new JwtRefusal('invalid');
  switch (error.name) {
    case 'TokenExpiredError':
      return new JwtRefusal('expired');
    case 'NotBeforeError':
      return new JwtRefusal('not_yet_valid');
  }
  const message = error.message;
  if (message === 'invalid signature' || message === 'jwt signature is required')
    return new JwtRefusal('bad_signature');
  // jwa throws a TypeError for an ECDSA signature of the wrong length, before comparing anything.
  if (/signature/i.test(message)) return new JwtRefusal('bad_signature');
  if (message.startsWith('jwt audience invalid')) return new JwtRefusal('wrong_audience');
  if (message.startsWith('jwt issuer invalid')) return new JwtRefusal('wrong_issuer');
  if (message === 'invalid algorithm') return new JwtRefusal('alg_not_allowed');
  if (message === 'invalid exp value') return new JwtRefusal('invalid_claims', 'exp');
  if (message === 'invalid nbf value') return new JwtRefusal('invalid_claims', 'nbf');
  if (message === 'jwt malformed' || message === 'invalid token' || message === 'No auth token') {
    return new JwtRefusal('malformed');
  }
  return new JwtRefusal('invalid');
}

function joseReason(error: InstanceType<typeof joseErrors.JOSEError>): JwtFailureReason {
  if (error instanceof joseErrors.JWTExpired) return 'expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'nbf':
        return 'not_yet_valid';
      case 'iss':
        return 'wrong_issuer';
      case 'aud':
        return 'wrong_audience';
      case 'typ':
        return 'wrong_typ';
      default:
        return 'invalid_claims';
    }
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'alg_not_allowed';
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return 'unknown_kid';
  }
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) return 'jwks_unavailable';
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) return 'malformed';
  return 'invalid';
}
