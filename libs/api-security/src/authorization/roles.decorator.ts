import type { CustomDecorator, Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { nameList } from './name-list';

const RolesMetadata = Reflector.createDecorator<readonly string[], readonly string[]>({
  key: 'api-security:roles',
  transform: (roles) => nameList('@Roles()', roles ?? []),
});

/** `@Roles(...roles)`; `KEY` is the metadata key, as for decorators made by `Reflector.createDecorator`. */
export type RolesDecorator = ((...roles: string[]) => CustomDecorator) & { readonly KEY: string };

/**
 * Restricts a route (or every route of a controller) to principals holding at least one of the
 * roles, directly or through the role hierarchy (`admin` includes `manager`, which includes `user`
 * by default). A method-level `@Roles` replaces the controller's. A caller without the role gets
 * 403, never 401: it is authenticated, just not allowed.
 *
 * Checked once per request by the security guard after authentication; the set of roles that satisfy
 * the requirement is computed at boot. Role names must exist in the hierarchy, and `@Roles` on a
 * `@Public()` route is refused at boot.
 *
 * @example
 * ```ts
 * @Roles('admin')
 * @Controller('admin')
 * export class AdminController {
 *   @Roles('manager') // managers and admins
 *   @Get('reports') reports() {}
 * }
 * ```
 */
export const Roles: RolesDecorator = Object.assign((...roles: string[]): CustomDecorator => RolesMetadata(roles), {
  KEY: RolesMetadata.KEY,
});

/** The `@Roles` in force for a handler: the method's, else the controller's. Boot-time only. */
export function declaredRoles(reflector: Reflector, handler: object, controller: Type): readonly string[] | undefined {
  return reflector.getAllAndOverride(RolesMetadata, [handler as () => unknown, controller]);
}
