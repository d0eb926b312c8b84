import { ApiSecurityConfigError, resolveApiSecurityOptions } from '../api-security.options';
import { expandRoles, isPseudoRole } from './role-expansion';
import { DEFAULT_ROLE_HIERARCHY } from './roles.options';

function refusal(hierarchy: unknown): string {
  try {
    resolveApiSecurityOptions({ roles: { hierarchy: hierarchy as Record<string, string[]> } });
  } catch (error) {
    expect(error).toBeInstanceOf(ApiSecurityConfigError);
    return (error as Error).message;
  }
  throw new Error('expected roles.hierarchy to be refused');
}

describe('expandRoles', () => {
  const hierarchy = { admin: ['manager'], manager: ['user'] };

  it('includes the given roles and every role they include, transitively', () => {
    expect([...expandRoles(['admin'], hierarchy)].sort()).toEqual(['admin', 'manager', 'user']);
    expect([...expandRoles(['manager'], hierarchy)].sort()).toEqual(['manager', 'user']);
    expect([...expandRoles(['user'], hierarchy)]).toEqual(['user']);
    expect([...expandRoles([], hierarchy)]).toEqual([]);
  });

  it('merges several roles and branches', () => {
    const wide = { lead: ['dev', 'ops'], dev: ['reader'], ops: ['reader'] };
    expect([...expandRoles(['lead', 'auditor'], wide)].sort()).toEqual(['auditor', 'dev', 'lead', 'ops', 'reader']);
  });

  it('never follows Object.prototype for roles named like its members', () => {
    expect([...expandRoles(['constructor', '__proto__', 'toString'], hierarchy)].sort()).toEqual([
      '__proto__',
      'constructor',
      'toString',
    ]);
  });

  it('terminates on a cycle (which option validation refuses anyway)', () => {
    expect([...expandRoles(['a'], { a: ['b'], b: ['a'] })].sort()).toEqual(['a', 'b']);
  });

  it('knows the pseudo-roles', () => {
    expect(['public', 'authenticated', 'owner'].every(isPseudoRole)).toBe(true);
    expect(isPseudoRole('admin')).toBe(false);
  });
});

describe('roles.hierarchy option', () => {
  it('defaults to admin → manager → user', () => {
    const { hierarchy } = resolveApiSecurityOptions().roles;
    expect(hierarchy).toBe(DEFAULT_ROLE_HIERARCHY);
    expect([...expandRoles(['admin'], hierarchy)].sort()).toEqual(['admin', 'manager', 'user']);
  });

  it('replaces the default with the given hierarchy', () => {
    const { hierarchy } = resolveApiSecurityOptions({ roles: { hierarchy: { owner_admin: ['editor'] } } }).roles;
    expect(Object.keys(hierarchy)).toEqual(['owner_admin']);
    expect(expandRoles(['admin'], hierarchy).has('manager')).toBe(false);
  });

  it('refuses a cycle, naming roles.hierarchy and the loop', () => {
    const message = refusal({ admin: ['manager'], manager: ['user'], user: ['admin'] });
    expect(message).toContain('roles.hierarchy has a cycle');
    expect(message).toContain('admin → manager → user → admin');
  });

  it('refuses a role that includes itself', () => {
    expect(refusal({ admin: ['admin'] })).toContain('roles.hierarchy has a cycle (admin → admin)');
  });

  it('refuses empty and reserved names and non-list values, listing every problem', () => {
    const message = refusal({ '': ['user'], admin: ['', 'owner'], manager: 'user', public: [] });
    expect(message).toContain('roles.hierarchy has a role name that is empty');
    expect(message).toContain('roles.hierarchy.admin lists a role name that is empty');
    expect(message).toContain('roles.hierarchy.admin lists a role name that is reserved');
    expect(message).toContain('roles.hierarchy.manager must be a list');
    expect(message).toContain('"public"');
  });

  it('refuses a hierarchy that is not an object', () => {
    expect(refusal(['admin'])).toContain('roles.hierarchy must be an object');
  });

  it('keeps a role named __proto__ as data, not as a prototype', () => {
    const given = JSON.parse('{"__proto__": ["user"]}') as Record<string, string[]>;
    const { hierarchy } = resolveApiSecurityOptions({ roles: { hierarchy: given } }).roles;
    expect(Object.getPrototypeOf(hierarchy)).toBeNull();
    expect([...expandRoles(['__proto__'], hierarchy)].sort()).toEqual(['__proto__', 'user']);
  });
});
