import { Reflector } from '@nestjs/core';
import { declaredRoles, Roles } from './roles.decorator';
import { declaredScopes, Scopes } from './scopes.decorator';

@Roles('manager')
@Scopes('reports:read')
class ReportsController {
  inherited(): void {}

  @Roles('admin', 'admin', 'user')
  @Scopes('reports:write')
  overridden(): void {}
}

class PlainController {
  plain(): void {}
}

describe('@Roles and @Scopes', () => {
  const reflector = new Reflector();

  it('apply at controller level and are replaced by the method level', () => {
    expect(declaredRoles(reflector, ReportsController.prototype.inherited, ReportsController)).toEqual(['manager']);
    expect(declaredRoles(reflector, ReportsController.prototype.overridden, ReportsController)).toEqual([
      'admin',
      'user',
    ]);
    expect(declaredScopes(reflector, ReportsController.prototype.inherited, ReportsController)).toEqual([
      'reports:read',
    ]);
    expect(declaredScopes(reflector, ReportsController.prototype.overridden, ReportsController)).toEqual([
      'reports:write',
    ]);
  });

  it('are absent when not declared', () => {
    expect(declaredRoles(reflector, PlainController.prototype.plain, PlainController)).toBeUndefined();
    expect(declaredScopes(reflector, PlainController.prototype.plain, PlainController)).toBeUndefined();
  });

  it('expose their metadata key like Reflector.createDecorator decorators', () => {
    expect(Roles.KEY).toBe('api-security:roles');
    expect(Scopes.KEY).toBe('api-security:scopes');
    expect(Reflect.getMetadata(Roles.KEY, ReportsController)).toEqual(['manager']);
  });

  it('refuse empty or blank names when the class is defined', () => {
    expect(() => Roles()).not.toThrow(); // the factory is lazy; applying it is what validates
    expect(() => Roles()(PlainController)).toThrow(/@Roles\(\) needs at least one name/);
    expect(() => Roles('')(PlainController)).toThrow(/non-empty names/);
    expect(() => Roles(' admin')(PlainController)).toThrow(/without surrounding spaces/);
    expect(() => Roles(42 as unknown as string)(PlainController)).toThrow(/non-empty names/);
    expect(() => Scopes()(PlainController)).toThrow(/@Scopes\(\) needs at least one name/);
  });
});
