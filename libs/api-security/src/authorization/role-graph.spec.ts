import { RoleGraph } from './role-graph';

describe('RoleGraph', () => {
  const graph = new RoleGraph({ admin: ['manager'], manager: ['user'] });

  it('knows every role the hierarchy names', () => {
    expect([...graph.known].sort()).toEqual(['admin', 'manager', 'user']);
  });

  it('lists who satisfies a requirement: the role and every role above it', () => {
    expect([...graph.satisfying(['user'])].sort()).toEqual(['admin', 'manager', 'user']);
    expect([...graph.satisfying(['manager'])].sort()).toEqual(['admin', 'manager']);
    expect([...graph.satisfying(['admin'])]).toEqual(['admin']);
    expect([...graph.satisfying(['admin', 'user'])].sort()).toEqual(['admin', 'manager', 'user']);
    expect([...graph.satisfying([])]).toEqual([]);
  });

  it('lets a role outside the hierarchy satisfy only itself, and a pseudo-role nothing', () => {
    expect([...graph.satisfying(['auditor'])]).toEqual(['auditor']);
    expect([...graph.satisfying(['owner', 'authenticated', 'public'])]).toEqual([]);
  });

  it('follows branches and does not treat prototype names as roles', () => {
    const branched = new RoleGraph({ root: ['billing', 'support'], support: ['user'], billing: [] });
    expect([...branched.satisfying(['user'])].sort()).toEqual(['root', 'support', 'user']);
    expect([...branched.satisfying(['billing'])].sort()).toEqual(['billing', 'root']);
    expect([...branched.satisfying(['constructor'])]).toEqual(['constructor']);
  });

  it('returns the same set for the same requirement', () => {
    expect(graph.satisfying(['user'])).toBe(graph.satisfying(['user']));
  });
});
