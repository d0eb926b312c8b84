import { eventContext } from '../audit/event-context';
import type { SecurityEvent } from '../audit/security-event';
import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';
import type { SecurityRequest } from '../common/security-principal';

/** Why a DPoP-protected request was refused, as reported in `authentication.failure` events. */
export type DpopFailureReason =
  /** `Authorization: DPoP <token>` without a `DPoP` proof header. */
  | 'dpop_proof_missing'
  /** More than one `DPoP` header, an oversized one, or one that is not a compact JWS. */
  | 'dpop_proof_malformed'
  /** The proof's `typ` is not `dpop+jwt`. */
  | 'dpop_wrong_typ'
  /** The proof's `alg` is not in `dpop.algorithms` (`none` and `HS*` never are). */
  | 'dpop_alg_not_allowed'
  /** No public `jwk` in the proof header, or one with private or symmetric key material. */
  | 'dpop_bad_jwk'
  | 'dpop_bad_signature'
  /** A required claim (`jti`, `htm`, `htu`, `iat`, `ath`) is missing or of the wrong type. */
  | 'dpop_invalid_claims'
  /** `htm` is not the request's method. */
  | 'dpop_htm_mismatch'
  /** `htu` is not the request's URL (scheme, host and path). */
  | 'dpop_htu_mismatch'
  /** `iat` is older than `dpop.proofMaxAgeSeconds` or ahead of the server clock. */
  | 'dpop_iat_out_of_window'
  /** `ath` is not the hash of the access token presented with the proof. */
  | 'dpop_ath_mismatch'
  /** The proof key is not the one the token is bound to (`cnf.jkt`). */
  | 'dpop_key_mismatch'
  /** This proof's `jti` was already used, on this instance or another. */
  | 'dpop_replayed'
  /** `dpop.nonce` is on and the proof has no nonce, or one this server did not issue (or too old). */
  | 'dpop_nonce_required'
  /** `Authorization: DPoP` with a token that is not bound to a key (no `cnf.jkt`). */
  | 'dpop_token_not_bound'
  /** A DPoP-bound token presented as `Bearer` (a downgrade, RFC 9449 §7.2). */
  | 'dpop_bound_token_as_bearer'
  /** The route requires DPoP (`@RequireDpop()`, `dpop.required`) and the credential was not DPoP-bound. */
  | 'dpop_required';

/** Reasons that are a bad proof (`invalid_dpop_proof`) rather than a bad or misused token (`invalid_token`). */
const TOKEN_REASONS: ReadonlySet<DpopFailureReason> = new Set([
  'dpop_token_not_bound',
  'dpop_bound_token_as_bearer',
  'dpop_required',
]);

/** Why a DPoP check failed: its audit reason. Never sent to clients beyond the RFC 9449 error code. */
export class DpopRefusal extends Error {
  constructor(readonly reason: DpopFailureReason) {
    super(reason);
    this.name = 'DpopRefusal';
  }
}

/** The `WWW-Authenticate: DPoP` challenge (RFC 9449 §7.1), with `algs` so a client knows what to sign with. */
export function dpopChallenge(algorithms: readonly string[], error?: string): string {
  const algs = `algs="${algorithms.join(' ')}"`;
  return error === undefined ? `DPoP ${algs}` : `DPoP error="${error}", ${algs}`;
}

/**
 * The 401 of a DPoP refusal: problem details with a stable code, and the RFC 9449 challenge —
 * `invalid_dpop_proof` for a bad proof, `invalid_token` for a token that cannot be used this way,
 * `use_dpop_nonce` with a fresh `DPoP-Nonce` when the proof lacks a valid nonce (§8).
 */
export function dpopException(refusal: DpopRefusal, algorithms: readonly string[], nonce?: string): SecurityException {
  if (refusal.reason === 'dpop_nonce_required' && nonce !== undefined) {
    return new SecurityException(401, ErrorCode.DPOP_NONCE_REQUIRED, {
      reason: refusal.reason,
      headers: {
        'WWW-Authenticate': dpopChallenge(algorithms, 'use_dpop_nonce'),
        'DPoP-Nonce': nonce,
      },
    });
  }
  if (TOKEN_REASONS.has(refusal.reason)) {
    return new SecurityException(401, ErrorCode.UNAUTHENTICATED, {
      reason: refusal.reason,
      headers: { 'WWW-Authenticate': dpopChallenge(algorithms, 'invalid_token') },
    });
  }
  return new SecurityException(401, ErrorCode.DPOP_PROOF_INVALID, {
    reason: refusal.reason,
    headers: { 'WWW-Authenticate': dpopChallenge(algorithms, 'invalid_dpop_proof') },
  });
}

/** The `authentication.failure` event of a DPoP refusal (its reason, never the token or the proof). */
export function dpopRefusalEvent(request: SecurityRequest, refusal: DpopRefusal, principalId?: string): SecurityEvent {
  return {
    type: 'authentication.failure',
    reason: refusal.reason,
    ...eventContext(request),
    ...(principalId !== undefined ? { principalId } : {}),
    details: { authMethod: 'dpop' },
  };
}
