import { expandRoles, isPseudoRole } from './role-expansion';

/** Role → roles it includes, as configured in `roles.hierarchy`. */
export type RoleHierarchyMap = Readonly<Record<string, readonly string[]>>;

/**
 * The role hierarchy seen from the other side: for a requirement, which held roles satisfy it.
 * Computed at boot so that the guard never expands roles per request.
 */
export class RoleGraph {
  /** Every role the hierarchy names, as a key or as an included role. */
  readonly known: ReadonlySet<string>;
  private readonly cache = new Map<string, ReadonlySet<string>>();

  constructor(private readonly hierarchy: RoleHierarchyMap) {
    this.known = new Set([...Object.keys(hierarchy), ...Object.values(hierarchy).flat()]);
  }

  /**
   * The roles whose holders satisfy at least one of `required`: the required roles themselves and
   * every known role that includes one of them. A role outside the hierarchy satisfies only itself
   * (the audit reports it); a pseudo-role (`public`, `authenticated`, `owner`) carried by a credential
   * never satisfies anything.
   */
  satisfying(required: readonly string[]): ReadonlySet<string> {
    const key = JSON.stringify(required);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const result = new Set(required);
    for (const role of this.known) {
      const includes = new Set(expandRoles([role], this.hierarchy));
      if (required.some((r) => includes.has(r))) result.add(role);
    }
    for (const role of result) if (isPseudoRole(role)) result.delete(role);
    this.cache.set(key, result);
    return result;
  }
}
