import type { WritePolicy } from '../plan/write-policy.plan';

export type { BodyBinding, WritePolicy } from '../plan/write-policy.plan';

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
