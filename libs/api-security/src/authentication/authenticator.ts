import type { ExecutionContext } from '@nestjs/common';
import type { SecurityPrincipal, SecurityRequest } from '../common/security-principal';

/**
 * One way of proving identity (bearer JWT, API key, …). The security guard asks each registered
 * authenticator in order.
 */
export interface Authenticator {
  /** Short name used in logs and the route inventory. */
  readonly name: string;
  /**
   * Resolves the principal when this authenticator's credential is present and valid, null when
   * the request carries no credential of this kind. A credential that is present but invalid
   * must throw (e.g. `UnauthenticatedException`): it is never treated as absent. `context` is the
   * Nest execution context, for authenticators built on Passport's `AuthGuard`.
   */
  authenticate(request: SecurityRequest, context: ExecutionContext): Promise<SecurityPrincipal | null>;
}

/** Injection token for the ordered list of {@link Authenticator}s. */
export const AUTHENTICATORS = Symbol.for('api-security:Authenticators');
