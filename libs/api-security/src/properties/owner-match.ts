import type { SecurityPrincipal } from '../common/security-principal';

/**
 * Whether `principal` owns an object whose `@OwnedBy` property holds `ownerId`: its id, compared as
 * a string. Only strings and integers count as ids, and an empty principal id owns nothing, so a
 * missing or malformed owner field never makes anyone an owner. Shared by the REST projection and
 * GraphQL field visibility.
 */
export function ownsValue(principal: SecurityPrincipal | undefined, ownerId: unknown): boolean {
  const id = principal?.id;
  if (typeof id !== 'string' || id === '') return false;
  return (
    (typeof ownerId === 'string' || typeof ownerId === 'number' || typeof ownerId === 'bigint') &&
    String(ownerId) === id
  );
}
