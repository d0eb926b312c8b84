import type { SecurityPrincipal } from '../common/security-principal';

/**
 * Whether a subject may still act: the application's answer, asked after a credential has been
 * verified and before the request reaches any handler. Register one in any module with
 * `{ provide: PRINCIPAL_CHECK, useClass: MyCheck }`; without one, a verified credential of a
 * subject that no longer exists keeps working until it is revoked or expires.
 *
 * The answer is cached per subject for `sessions.principalCheckCacheSeconds` (and at most
 * 10 000 subjects per instance), so one indexed lookup every few seconds per active subject is
 * the cost. The cache is per instance: for a change that must take effect at once everywhere, also
 * revoke (`RevocationService.revokeAllForUser` on deactivation and deletion). Subjects of external
 * identity providers are cached apart from local ones of the same id.
 */
export interface PrincipalCheck {
  /**
   * True only when the subject exists and is allowed to act now (not deleted, not deactivated).
   * Anything but `true` refuses the request with 401; a thrown error fails the request (never passes it).
   * @param subjectId the principal's id: the access token's `sub`, the API key's owner
   * @param principal the whole principal; `principal.issuer` is set for an external identity
   *   provider's token (`jwt.trustedIssuers`), whose `sub` is that provider's, not one of your users' ids
   */
  isActive(subjectId: string, principal: SecurityPrincipal): Promise<boolean>;
}

/** Injection token for the application's {@link PrincipalCheck}. */
export const PRINCIPAL_CHECK = Symbol.for('api-security:PrincipalCheck');
