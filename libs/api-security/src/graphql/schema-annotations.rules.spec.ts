import { buildSchema } from 'graphql';
import type { RoutePlan } from '../plan/route-plan';
import { annotateSchema, securityNote } from './schema-annotations.rules';

function plan(overrides: Partial<RoutePlan>, field = 'order', type = 'Query'): RoutePlan {
  return {
    key: `QUERY ${type}.${field}`,
    method: 'QUERY',
    path: `${type}.${field}`,
    versions: [],
    controller: 'R',
    handler: field,
    isPublic: false,
    graphql: { kind: type === 'Query' ? 'query' : 'field', type, field, args: [] },
    ...overrides,
  };
}

const owns = (from: 'arg' | 'parent', param: string, bypassRoles: string[] = []): RoutePlan['ownership'] => ({
  kind: 'resource',
  resource: 'order',
  param,
  from,
  onDenied: 404,
  bypassRoles,
  bypassedBy: new Set(bypassRoles),
  resolver: undefined,
});

describe('securityNote', () => {
  it('says who may call a resolver', () => {
    expect(securityNote(plan({ isPublic: true }))).toBe('Security: Public, no authentication.');
    expect(securityNote(plan({}))).toBe('Security: Requires authentication.');
    expect(securityNote(plan({ roles: { required: ['admin'], satisfiedBy: new Set(['admin']) } }))).toBe(
      'Security: Requires role admin.',
    );
    expect(securityNote(plan({ roles: { required: ['a', 'b'], satisfiedBy: new Set(['a', 'b']) } }))).toBe(
      'Security: Requires one of the roles a, b.',
    );
    expect(securityNote(plan({ ownership: owns('arg', 'id') }))).toBe('Security: Owner only (id from argument id).');
    expect(securityNote(plan({ ownership: owns('parent', 'orderId', ['admin', 'ops']) }))).toBe(
      'Security: Owner only (id from parent field orderId). Roles admin, ops bypass the owner check.',
    );
    expect(securityNote(plan({ scopes: ['orders:read'] }))).toBe('Security: API keys need scope orders:read.');
  });

  it('has nothing to say about an HTTP route', () => {
    expect(securityNote({ ...plan({}), graphql: undefined })).toBeUndefined();
  });
});

describe('annotateSchema', () => {
  it('appends the note after the author’s description, once', () => {
    const schema = buildSchema('type Query { "An order." order: String health: String } type Order { id: String }');
    const plans = [plan({ ownership: owns('arg', 'id') }), plan({ isPublic: true }, 'health'), plan({}, 'missing')];
    expect(annotateSchema(schema, plans)).toBe(2);
    expect(annotateSchema(schema, plans)).toBe(0);
    const fields = schema.getQueryType()?.getFields();
    expect(fields?.order?.description).toBe('An order.\n\nSecurity: Owner only (id from argument id).');
    expect(fields?.health?.description).toBe('Security: Public, no authentication.');
  });
});
