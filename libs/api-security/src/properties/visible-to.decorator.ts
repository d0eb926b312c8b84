import { checkRoleNames, defineFieldVisibility } from './visibility.metadata';

/**
 * Property decorator of a response model: the property is sent only to principals holding one of
 * these roles (the role hierarchy applies) or matching one of the pseudo-roles `public` (anyone,
 * anonymous too), `authenticated` (any principal) and `owner` (needs `@OwnedBy` on the class).
 * A property with no visibility decorator is not sent unless the class opts into a default with
 * `@ResponseModel`.
 *
 * @example
 * ```ts
 * @OwnedBy('id')
 * export class UserView {
 *   @VisibleTo('authenticated') id!: string;
 *   @VisibleTo('owner', 'admin') email!: string;
 * }
 * ```
 */
export function VisibleTo(...roles: [string, ...string[]]): PropertyDecorator {
  const names = checkRoleNames('VisibleTo', roles, true);
  return (target, property) => defineFieldVisibility(target, property, { kind: 'roles', roles: names });
}
