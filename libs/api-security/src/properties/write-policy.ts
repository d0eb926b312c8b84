import type { ClassType } from './visibility.metadata';

/**
 * Who may write what in one input DTO class, compiled once per class by `WritePolicyCompiler`.
 * Only classes that restrict something (themselves or below) appear in `nested`.
 */
export interface WritePolicy {
  readonly type: ClassType;
  /** Property → the roles any one of which may send it. */
  readonly restricted: ReadonlyMap<string, readonly string[]>;
  /**
   * Property → the policies of the DTO class its value (or each element of it) becomes; several
   * when `@Type` declares a discriminator, and then every one of them is checked.
   */
  readonly nested: ReadonlyMap<string, readonly WritePolicy[]>;
}

/** One `@Body()` parameter of a route handler that is subject to a write policy. */
export interface BodyBinding {
  /** `@Body('profile')` binds `body.profile`; undefined binds the whole body. */
  readonly property: string | undefined;
  readonly policy: WritePolicy;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/**
 * Paths (`role`, `profile.verified`, `addresses[1].verified`) of every property in a raw request
 * value that the holder of `roles` may not write, up to `limit`. Walks the policy's properties,
 * not the payload's, so the work is bounded by the DTO, and uses an explicit stack so that a
 * deeply nested body cannot overflow the call stack.
 */
export function findForbiddenWrites(
  value: unknown,
  policy: WritePolicy,
  roles: ReadonlySet<string>,
  path = '',
  limit = 20,
): string[] {
  const found: string[] = [];
  const pending: [unknown, WritePolicy, string][] = [[value, policy, path]];
  while (pending.length > 0 && found.length < limit) {
    const [current, rules, at] = pending.pop() as [unknown, WritePolicy, string];
    if (typeof current !== 'object' || current === null) continue;
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) pending.push([current[i], rules, `${at}[${i}]`]);
      continue;
    }
    for (const [property, allowed] of rules.restricted) {
      // Presence is the write attempt: `null` or an unchanged value is refused just the same.
      if (Object.hasOwn(current, property) && !allowed.some((role) => roles.has(role))) {
        found.push(join(at, property));
      }
    }
    for (const [property, policies] of rules.nested) {
      if (!Object.hasOwn(current, property)) continue;
      const inner = (current as Record<string, unknown>)[property];
      for (const nested of policies) pending.push([inner, nested, join(at, property)]);
    }
  }
  return found.slice(0, limit);
}
