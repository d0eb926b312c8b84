import type { FindOptionsWhere, ObjectLiteral } from 'typeorm';
import type { SecurityPrincipal } from '../common/security-principal';
import { expandRoles } from './role-expansion';
import { DEFAULT_ROLE_HIERARCHY } from './roles.options';

/** The ownership rule of `@Owns`, applied to a list query. */
export interface OwnerScopeOptions {
  /**
   * Property holding the owner's principal id; dot-separated to go through relations, e.g.
   * `'order.userId'` scopes order lines to their order's owner.
   * @default 'userId'
   */
  ownerColumn?: string;
  /**
   * Roles that see every row, expanded through `hierarchy`. Keep it in line with the `@Owns`
   * of the routes that read single rows.
   * @default ['admin']
   */
  bypassRoles?: readonly string[];
  /**
   * The role hierarchy; pass `roles.hierarchy` of the module options when you changed it.
   * @default { admin: ['manager'], manager: ['user'] }
   */
  hierarchy?: Readonly<Record<string, readonly string[]>>;
}

/**
 * A TypeORM `where` that limits a list to the principal's own rows (`{}` for bypass roles), so that a
 * list endpoint answers BOLA (OWASP API1) with the same rule as `@Owns` does for one row. Spread it
 * into every branch of the query's `where`, after the caller's filters so that it wins:
 *
 * ```ts
 * repository.find({ where: { status, ...scopeToOwner<OrderEntity>(principal) }, ...pagination(limit, offset) });
 * ```
 *
 * Throws when the principal has no usable id: TypeORM ignores an `undefined` condition, which would
 * quietly return everyone's rows.
 */
export function scopeToOwner<T extends ObjectLiteral>(
  principal: SecurityPrincipal,
  options: OwnerScopeOptions = {},
): FindOptionsWhere<T> {
  const id: unknown = principal?.id;
  if (typeof id !== 'string' || id.length === 0) {
    throw new TypeError('scopeToOwner needs an authenticated principal with a non-empty id.');
  }
  const roles = expandRoles(
    Array.isArray(principal.roles) ? principal.roles : [],
    options.hierarchy ?? DEFAULT_ROLE_HIERARCHY,
  );
  if ((options.bypassRoles ?? ['admin']).some((role) => roles.has(role))) return {};
  const path = (options.ownerColumn ?? 'userId').split('.');
  if (path.some((segment) => segment === '')) {
    throw new TypeError(`scopeToOwner ownerColumn '${options.ownerColumn}' is not a property path.`);
  }
  // Built inside out: 'order.userId' → { order: { userId: id } }.
  const where = path.reduceRight<unknown>((inner, segment) => ({ [segment]: inner }), id);
  return where as FindOptionsWhere<T>;
}
