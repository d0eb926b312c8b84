import { PROTOTYPE_KEYS } from '../common/body-facts';

/** Longest path reported, so an attacker's key names cannot bloat the error response. */
const MAX_PATH = 200;

function child(path: string, key: string | number): string {
  const next = typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
  return next.length > MAX_PATH ? `${next.slice(0, MAX_PATH)}…` : next;
}

/**
 * Paths of every `__proto__`, `constructor` and `prototype` key in a parsed JSON value, at any
 * depth and inside arrays, up to `limit`. `JSON.parse` makes `"__proto__"` an own property, so
 * it shows up in `Object.keys` like any other. Walks with an explicit stack: a deeply nested body
 * cannot overflow the call stack.
 */
export function findPrototypeKeys(value: unknown, limit = 10): string[] {
  // Every request with a body comes here: answer the common case without building a path per node.
  if (!hasPrototypeKey(value)) return [];
  const found: string[] = [];
  const pending: [unknown, string][] = [[value, '']];
  while (pending.length > 0 && found.length < limit) {
    const [current, path] = pending.pop() as [unknown, string];
    if (typeof current !== 'object' || current === null) continue;
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) pending.push([current[i], child(path, i)]);
      continue;
    }
    const keys = Object.keys(current);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      if (PROTOTYPE_KEYS.has(key)) found.push(child(path, key));
      else pending.push([(current as Record<string, unknown>)[key], child(path, key)]);
    }
  }
  return found.slice(0, limit);
}

/** Whether any prototype key occurs, walking without allocating paths. */
function hasPrototypeKey(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const current = pending.pop();
    if (typeof current !== 'object' || current === null) continue;
    if (Array.isArray(current)) {
      for (const item of current) if (typeof item === 'object' && item !== null) pending.push(item);
      continue;
    }
    for (const key of Object.keys(current)) {
      if (PROTOTYPE_KEYS.has(key)) return true;
      const item = (current as Record<string, unknown>)[key];
      if (typeof item === 'object' && item !== null) pending.push(item);
    }
  }
  return false;
}
