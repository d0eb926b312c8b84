import type { SecurityPrincipal } from '../common/security-principal';
import { PrincipalRoles } from './principal-roles';

const principal = (roles: unknown[]): SecurityPrincipal =>
  ({ id: 'u', roles, authMethod: 'jwt', scopes: [] }) as unknown as SecurityPrincipal;

describe('PrincipalRoles', () => {
  const roles = new PrincipalRoles({ roles: { hierarchy: { admin: ['user'], user: [] } } } as never);

  it('expands a single role and a list through the hierarchy', () => {
    expect([...roles.of(principal(['admin']))].sort()).toEqual(['admin', 'user']);
    expect([...roles.of(principal(['user', 'admin']))].sort()).toEqual(['admin', 'user']);
    expect(roles.of(principal([])).size).toBe(0);
    expect(roles.of(undefined).size).toBe(0);
  });

  it('never lets a role named like another list share that list’s memo', () => {
    expect([...roles.of(principal(['admin', 'user']))].sort()).toEqual(['admin', 'user']);
    // The single-role memo is keyed by the name itself: this role must not read the list's entry.
    expect([...roles.of(principal(['["admin","user"]']))]).toEqual(['["admin","user"]']);
    expect([...roles.of(principal(['["admin"]']))]).toEqual(['["admin"]']);
    expect([...roles.of(principal(['admin']))].sort()).toEqual(['admin', 'user']);
  });

  it('drops pseudo-roles a credential claims, single or listed', () => {
    expect(roles.of(principal(['owner'])).size).toBe(0);
    expect([...roles.of(principal(['owner', 'user']))]).toEqual(['user']);
  });
});
