/*
 * A revocation check an authenticator leaves to the step that charges the request's rate limit, so
 * that the revocation records are read in the same store call as the charge (one round trip on
 * Redis, and no charge to the principal when the token is revoked). The rate-limit step offers it
 * per request, only where it runs around authentication and will settle it; an authenticator whose
 * offer is not taken checks revocation itself. A request whose deferred check is never settled
 * never passes: the step that took it either settles it or refuses the request.
 */

/** The store keys that decide a revocation (see `RevocationService.recordsOf`). */
export interface RevocationRecordKeys {
  readonly marks: readonly string[];
  readonly stamp?: { readonly key: string; readonly atMostMs: number };
}

/** A revocation check left to the rate-limit step. */
export interface DeferredRevocation {
  /** The keys to read with the charge. */
  readonly records: RevocationRecordKeys;
  /** The decision on the values read: the stamp's (null without one) and the marks', in order. */
  isRevoked(stamp: string | null, marks: readonly (string | null)[]): boolean;
  /**
   * Reports the revocation as the authenticator would have (event, after the request's credential
   * gate) and resolves with the 401 to throw; rejects when the gate itself refuses (429).
   */
  refuse(): Promise<unknown>;
}

/*
 * Both ride on the request under a symbol no one else holds, rather than in a WeakMap: a WeakMap
 * entry per request is an ephemeron the garbage collector must trace for every request.
 */
const OFFERED = Symbol('api-security.revocationDeferralOffered');
const DEFERRED = Symbol('api-security.deferredRevocation');
type DeferringRequest = { [OFFERED]?: boolean; [DEFERRED]?: DeferredRevocation };

/** Gives the request its slots, empty, before a framework changes its prototype (see `reserveRequestSlots`). */
export function reserveRevocationDeferral(request: object): void {
  const deferring = request as DeferringRequest;
  deferring[OFFERED] = undefined;
  deferring[DEFERRED] = undefined;
}

/** Called by the rate-limit step before authentication: it will read and settle a deferred check. */
export function offerRevocationDeferral(request: object): void {
  (request as DeferringRequest)[OFFERED] = true;
}

/**
 * Leaves the revocation check of the request's credential to the rate-limit step. True when taken
 * (at most once per request); false when the caller must check revocation itself.
 */
export function deferRevocation(request: object, check: () => DeferredRevocation): boolean {
  const deferring = request as DeferringRequest;
  if (deferring[OFFERED] !== true || deferring[DEFERRED] !== undefined) return false;
  deferring[DEFERRED] = check();
  return true;
}

/** The check deferred during authentication, if any; ends the offer. */
export function takeDeferredRevocation(request: object): DeferredRevocation | undefined {
  const deferring = request as DeferringRequest;
  const check = deferring[DEFERRED];
  deferring[OFFERED] = false;
  deferring[DEFERRED] = undefined;
  return check;
}
