import type { ClassType } from '../common/class-type';
import { isPseudoRole, PSEUDO_ROLES } from '../authorization/role-expansion';

/** Who may read a property of a response model. */
export type FieldVisibility =
  | { readonly kind: 'hidden' }
  | {
      readonly kind: 'roles';
      /** Role names and pseudo-roles (`public`, `authenticated`, `owner`); any one of them is enough. */
      readonly roles: readonly string[];
    };

/** What a property without `@VisibleTo`/`@Hidden` gets: `none` (the default) sends it to nobody. */
export type DefaultVisibility = 'public' | 'authenticated' | 'none';

/** Options of `@ResponseModel()`. */
export interface ResponseModelOptions {
  /**
   * Visibility of properties that carry no `@VisibleTo`/`@Hidden`. Keep `none` unless every
   * property the class will ever get may be sent to that audience.
   * @default 'none'
   */
  defaultVisibility?: DefaultVisibility;
}

export type { ClassType } from '../common/class-type';

const FIELDS = Symbol.for('api-security:field-visibility');
const MODELS = new Set<ClassType>();

/** Records a property's rule on its class; `@Hidden` wins over `@VisibleTo`, several `@VisibleTo` add up. */
export function defineFieldVisibility(prototype: object, property: string | symbol, rule: FieldVisibility): void {
  if (typeof property !== 'string' || property === '__proto__') {
    throw new TypeError('Visibility decorators apply to string-named properties other than __proto__.');
  }
  const type = (prototype as { constructor: ClassType }).constructor;
  const own = (Reflect.getOwnMetadata(FIELDS, type) as Map<string, FieldVisibility> | undefined) ?? new Map();
  const existing = own.get(property);
  let merged = rule;
  if (existing?.kind === 'hidden' || rule.kind === 'hidden') merged = { kind: 'hidden' };
  else if (existing) merged = { kind: 'roles', roles: [...new Set([...existing.roles, ...rule.roles])] };
  own.set(property, merged);
  Reflect.defineMetadata(FIELDS, own, type);
  MODELS.add(type);
}

/** Every property rule of a class, its ancestors' included (a subclass's rule for a name wins). */
export function fieldVisibilities(type: ClassType): ReadonlyMap<string, FieldVisibility> {
  const chain: object[] = [];
  for (let t: unknown = type; typeof t === 'function' && t !== Function.prototype; t = Object.getPrototypeOf(t)) {
    chain.unshift(t);
  }
  const merged = new Map<string, FieldVisibility>();
  for (const t of chain) {
    const own = Reflect.getOwnMetadata(FIELDS, t) as Map<string, FieldVisibility> | undefined;
    for (const [name, rule] of own ?? []) merged.set(name, rule);
  }
  return merged;
}

/** Classes with at least one property rule, so that misconfigurations can be found at boot. */
export function declaredModels(): readonly ClassType[] {
  return [...MODELS];
}

/** Checks decorator arguments where they are written, so a typo fails at import time. */
export function checkRoleNames(decorator: string, roles: readonly unknown[], allowPseudo: boolean): string[] {
  if (roles.length === 0) throw new TypeError(`@${decorator} needs at least one role.`);
  for (const role of roles) {
    if (typeof role !== 'string' || role.trim() === '') {
      throw new TypeError(`@${decorator} role names must be non-empty strings (got ${JSON.stringify(role)}).`);
    }
    if (!allowPseudo && isPseudoRole(role)) {
      throw new TypeError(`@${decorator} takes role names; ${PSEUDO_ROLES.join(', ')} are not roles here.`);
    }
  }
  return [...(roles as string[])];
}
