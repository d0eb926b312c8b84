import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { graphqlRequestOf, isGraphqlContext } from '../common/graphql-context';
import { PRINCIPAL_KEY, type SecurityPrincipal, type SecurityRequest } from '../common/security-principal';

/**
 * Injects the authenticated {@link SecurityPrincipal} (undefined on a public route without credentials),
 * in a controller or a GraphQL resolver (from the HTTP request under the GraphQL context).
 *
 * @example
 * ```ts
 * @Get('me')
 * me(@CurrentPrincipal() principal: SecurityPrincipal) { return this.users.find(principal.id); }
 * ```
 */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): SecurityPrincipal | undefined => {
    const request = isGraphqlContext(context)
      ? (graphqlRequestOf(context) as SecurityRequest | undefined)
      : context.switchToHttp().getRequest<SecurityRequest>();
    return request?.[PRINCIPAL_KEY];
  },
);
