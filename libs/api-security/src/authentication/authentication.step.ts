import { Inject, Injectable, Optional, type ExecutionContext } from '@nestjs/common';
import { UnauthenticatedException } from '../errors/security.exception';
import type { RoutePlan } from '../plan/route-plan';
import type { SecurityStep, SecurityStepContext } from '../plan/security-step';
import { AUTHENTICATORS, type Authenticator } from './authenticator';
import { PrincipalCheckService } from './principal-check.service';
import { DpopProofVerifier } from './dpop-proof.verifier';
import { DpopRequirement } from './dpop-requirement';
import { passCredentialGate, runsCredentialGate } from '../common/credential-gate';
import { PRINCIPAL_KEY, type SecurityPrincipal, type SecurityRequest } from '../common/security-principal';

/**
 * The `authentication` step of the security guard: establishes the principal. Public routes skip
 * it entirely; every other route gets a principal or a 401. A client already over its rate limit
 * is refused (429) before any costly credential check: the built-in authenticators run that
 * pre-check themselves on their costly paths only; any other authenticator is preceded by it.
 * Whatever authenticated it, the principal then passes the application's `PrincipalCheck` (when
 * one is registered): a subject that is gone or inactive gets 401. Override `authenticate` to
 * change how credentials are tried.
 */
@Injectable()
export class AuthenticationStep implements SecurityStep {
  readonly name: string = 'authentication';

  constructor(
    @Inject(AUTHENTICATORS) protected readonly authenticators: readonly Authenticator[],
    protected readonly principals: PrincipalCheckService,
    // Optional so that subclasses written before DPoP keep compiling; the module always provides them.
    @Optional() protected readonly dpopRequirement?: DpopRequirement,
    @Optional() protected readonly dpopProofs?: DpopProofVerifier,
  ) {
    const [only] = authenticators;
    this.sole =
      authenticators.length === 1 &&
      this.authenticate === AuthenticationStep.prototype.authenticate &&
      runsCredentialGate(only)
        ? only
        : undefined;
  }

  /**
   * The one authenticator, when {@link authenticate} is not overridden and would only await it: asked
   * directly, that is one async frame and one promise resolved with the principal fewer per request.
   */
  private readonly sole: Authenticator | undefined;

  /** Every route that is not `@Public()`. */
  appliesTo(plan: RoutePlan): boolean {
    return !plan.isPublic;
  }

  /**
   * Establishes the request's principal (`request.principal` and `request.user`), or throws: 401
   * without one, or when the application's `PrincipalCheck` says it is gone or inactive.
   */
  async run({ request, execution }: SecurityStepContext): Promise<void> {
    const sole = this.sole;
    const principal = sole ? await sole.authenticate(request, execution) : await this.authenticate(request, execution);
    // A route that requires DPoP takes only a principal whose bound token came with a valid proof
    // (the JWT authenticator refuses a bound token without one), whatever authenticator answered.
    if (this.dpopProofs && this.dpopRequirement?.requiredFor(execution) && principal?.keyThumbprint === undefined) {
      throw this.dpopProofs.required(request, principal?.id);
    }
    if (!principal) throw new UnauthenticatedException('no credentials presented');
    const checking = this.principals.assertActiveIfChecked(principal, request);
    if (checking) await checking;
    request[PRINCIPAL_KEY] = principal;
    request.user = principal;
  }

  /**
   * Asks the authenticators in order and returns the first principal, or null. Each is preceded by
   * the rate limit's pre-check unless it runs that itself on its costly paths (the built-in ones do).
   * Override to change how credentials are tried.
   */
  protected async authenticate(request: SecurityRequest, context: ExecutionContext): Promise<SecurityPrincipal | null> {
    const authenticators = this.authenticators;
    for (let i = 0; i < authenticators.length; i++) {
      const authenticator = authenticators[i];
      // An authenticator that does not say which of its paths are cheap is assumed to be costly.
      if (!runsCredentialGate(authenticator)) await passCredentialGate(request);
      const principal = await authenticator.authenticate(request, context);
      if (principal) return principal;
    }
    return null;
  }
}
