import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { PRINCIPAL_KEY, type SecurityPrincipal, type SecurityRequest } from '../common/security-principal';

/**
 * Injects the authenticated {@link SecurityPrincipal} (undefined on a public route without credentials).
 *
 * @example
 * ```ts
 * @Get('me')
 * me(@CurrentPrincipal() principal: SecurityPrincipal) { return this.users.find(principal.id); }
 * ```
 */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): SecurityPrincipal | undefined =>
    context.switchToHttp().getRequest<SecurityRequest>()[PRINCIPAL_KEY],
);
