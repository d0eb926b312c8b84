import type { CustomDecorator, Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { nameList } from './name-list';

const ScopesMetadata = Reflector.createDecorator<readonly string[], readonly string[]>({
  key: 'api-security:scopes',
  transform: (scopes) => nameList('@Scopes()', scopes ?? []),
});

/** `@Scopes(...scopes)`; `KEY` is the metadata key. */
export type ScopesDecorator = ((...scopes: string[]) => CustomDecorator) & { readonly KEY: string };

/**
 * Scopes an API-key principal (`authMethod === 'api-key'`) or an external identity provider's
 * access token (`'oidc'`, scopes from its `scope` claim) must hold, every one of them, to call
 * the route. The library's own user sessions are not limited by scopes (their roles are what counts), so a key can
 * be given a narrower power than its owner's. Method level replaces controller level. Missing scope → 403.
 *
 * @example
 * ```ts
 * @Scopes('orders:read')
 * @Get(':id') @Owns('order') find() {}
 * ```
 */
export const Scopes: ScopesDecorator = Object.assign((...scopes: string[]): CustomDecorator => ScopesMetadata(scopes), {
  KEY: ScopesMetadata.KEY,
});

/** The `@Scopes` in force for a handler: the method's, else the controller's. Boot-time only. */
export function declaredScopes(reflector: Reflector, handler: object, controller: Type): readonly string[] | undefined {
  return reflector.getAllAndOverride(ScopesMetadata, [handler as () => unknown, controller]);
}
