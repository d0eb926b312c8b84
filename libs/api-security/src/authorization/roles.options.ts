import { isPseudoRole } from './role-expansion';

/** Role names and which roles each one includes. */
export interface RolesOptions {
  /**
   * For each role, the roles it includes (transitively): with the default an `admin` is also a
   * `manager` and a `user`. Replaces the default entirely; `{}` means roles include nothing.
   * Names must be non-empty, must not be `public`, `authenticated` or `owner`, and the graph must
   * have no cycle.
   * @default { admin: ['manager'], manager: ['user'] }
   */
  hierarchy?: Record<string, string[]>;
}

/** {@link RolesOptions} after validation. */
export interface ResolvedRolesOptions {
  /** Null-prototype, frozen: safe to index with any role name a credential carries. */
  hierarchy: Readonly<Record<string, readonly string[]>>;
}

/** The hierarchy used when `roles.hierarchy` is not given. */
export const DEFAULT_ROLE_HIERARCHY: Readonly<Record<string, readonly string[]>> = Object.freeze({
  admin: Object.freeze(['manager']),
  manager: Object.freeze(['user']),
});

function badName(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.trim() === '') return 'is empty or not a string';
  if (isPseudoRole(name)) return 'is reserved (public, authenticated and owner are evaluated per request)';
  return undefined;
}

/** Finds one cycle per strongly connected loop, as `a → b → a`. */
function cycles(hierarchy: Readonly<Record<string, readonly string[]>>): string[] {
  const state = new Map<string, 'visiting' | 'done'>();
  const found: string[] = [];
  const visit = (role: string, path: string[]): void => {
    state.set(role, 'visiting');
    for (const next of Object.hasOwn(hierarchy, role) ? (hierarchy[role] as readonly string[]) : []) {
      const seen = state.get(next);
      if (seen === 'visiting') found.push([...path.slice(path.indexOf(next)), next].join(' → '));
      else if (seen === undefined) visit(next, [...path, next]);
    }
    state.set(role, 'done');
  };
  for (const role of Object.keys(hierarchy)) if (!state.has(role)) visit(role, [role]);
  return found;
}

/** Validates `roles` into `problems` (so every option problem is reported at once) and fills defaults. */
export function resolveRolesOptions(options: RolesOptions | undefined, problems: string[]): ResolvedRolesOptions {
  const given: unknown = options?.hierarchy;
  if (given === undefined) return { hierarchy: DEFAULT_ROLE_HIERARCHY };
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    problems.push('roles.hierarchy must be an object mapping a role to the roles it includes.');
    return { hierarchy: DEFAULT_ROLE_HIERARCHY };
  }
  // A null prototype so that `__proto__` is stored as a name, and lookups never see Object.prototype.
  const hierarchy = Object.create(null) as Record<string, readonly string[]>;
  for (const [role, included] of Object.entries(given as Record<string, unknown>)) {
    const roleProblem = badName(role);
    if (roleProblem) problems.push(`roles.hierarchy has a role name that ${roleProblem}: "${role}".`);
    if (!Array.isArray(included)) {
      problems.push(`roles.hierarchy.${role} must be a list of role names.`);
      continue;
    }
    for (const name of included as unknown[]) {
      const nameProblem = badName(name);
      if (nameProblem)
        problems.push(`roles.hierarchy.${role} lists a role name that ${nameProblem}: "${String(name)}".`);
    }
    hierarchy[role] = Object.freeze(included.filter((name): name is string => typeof name === 'string'));
  }
  for (const cycle of cycles(hierarchy)) {
    problems.push(`roles.hierarchy has a cycle (${cycle}): a role cannot include itself; remove one of these links.`);
  }
  return { hierarchy: Object.freeze(hierarchy) };
}
