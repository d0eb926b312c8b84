/** A scalar value of a GraphQL response and where it is: `order.items.sku` (list indexes left out). */
export interface ResponseLeaf {
  readonly path: string;
  readonly value: string | number | boolean;
}

/**
 * Every non-null scalar under `data`, `__typename` left out (it names a type, not an object's data).
 * `normalize` maps each response key (an alias the prober added, say) back to the one the caller
 * knows; list indexes are not part of the path, so a rule on `orders.id` covers every element.
 */
export function responseLeaves(data: unknown, normalize: (key: string) => string = (key) => key): ResponseLeaf[] {
  const leaves: ResponseLeaf[] = [];
  const walk = (value: unknown, path: readonly string[]): void => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      for (const element of value) walk(element, path);
      return;
    }
    if (typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (key === '__typename') continue;
        walk(child, [...path, normalize(key)]);
      }
      return;
    }
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      leaves.push({ path: path.join('.'), value });
    }
  };
  walk(data, []);
  return leaves;
}

/** Whether `path` is one of `prefixes` or lies under one (`shipment` covers `shipment.id`). */
export function underAny(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}.`));
}
