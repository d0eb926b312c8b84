/**
 * Validates the names given to a decorator (`@Roles`, `@Scopes`, `bypassRoles`) when the class is
 * defined, so a typo such as `@Roles('')` stops the import instead of producing a route that nobody
 * can reach or everybody can.
 */
export function nameList(where: string, values: readonly unknown[]): readonly string[] {
  if (values.length === 0) throw new TypeError(`${where} needs at least one name.`);
  for (const value of values) {
    if (typeof value !== 'string' || value.trim() === '' || value !== value.trim()) {
      throw new TypeError(`${where} takes non-empty names without surrounding spaces (got ${JSON.stringify(value)}).`);
    }
  }
  return Object.freeze([...new Set(values as readonly string[])]);
}

/** A resource name for `@Owns` and its resolver: short and printable, since it appears in boot messages. */
export const RESOURCE_NAME = /^[A-Za-z][\w.:-]{0,63}$/;
