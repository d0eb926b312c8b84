/**
 * Names the library evaluates from the request itself rather than from the principal's roles:
 * `public` (anyone, even anonymous), `authenticated` (any principal) and `owner` (the principal's
 * id equals the object's `@OwnedBy` field). A credential carrying one of these as a role name
 * gains nothing from it, and `roles.hierarchy` may not use them.
 */
export const PSEUDO_ROLES = ['public', 'authenticated', 'owner'] as const;
export type PseudoRole = (typeof PSEUDO_ROLES)[number];

const PSEUDO = new Set<string>(PSEUDO_ROLES);

/** True for `public`, `authenticated` and `owner`. */
export function isPseudoRole(name: string): name is PseudoRole {
  return PSEUDO.has(name);
}

/**
 * Every role the given roles include through the hierarchy, the given ones too.
 *
 * Only the hierarchy's own entries are followed, so a role named `constructor` or `__proto__`
 * cannot reach `Object.prototype`; an (invalid) cycle terminates instead of looping.
 *
 * @example
 * ```ts
 * expandRoles(['admin'], { admin: ['manager'], manager: ['user'] }); // Set { 'admin', 'manager', 'user' }
 * ```
 */
export function expandRoles(
  roles: readonly string[],
  hierarchy: Readonly<Record<string, readonly string[]>>,
): ReadonlySet<string> {
  const expanded = new Set<string>();
  const pending = [...roles];
  while (pending.length > 0) {
    const role = pending.pop() as string;
    if (expanded.has(role)) continue;
    expanded.add(role);
    if (!Object.hasOwn(hierarchy, role)) continue;
    for (const included of hierarchy[role] as readonly string[]) {
      if (!expanded.has(included)) pending.push(included);
    }
  }
  return expanded;
}
