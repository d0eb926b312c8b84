import { Reflector } from '@nestjs/core';
import { declaredOwnership, Owns, type OwnsOptions } from './owns.decorator';

@Owns('order')
class OrdersController {
  inherited(): void {}

  @Owns('line', { param: 'lineId', bypassRoles: ['manager'], onDenied: 403 })
  overridden(): void {}

  @Owns(false, { reason: ' codes are public vouchers ' })
  optedOut(): void {}
}

class PlainController {
  plain(): void {}
}

describe('@Owns', () => {
  const reflector = new Reflector();

  it('fills in the defaults: param id, admin bypass, 404', () => {
    expect(declaredOwnership(reflector, OrdersController.prototype.inherited, OrdersController)).toEqual({
      on: 'controller',
      decision: { kind: 'resource', resource: 'order', param: 'id', bypassRoles: ['admin'], onDenied: 404 },
    });
  });

  it('is replaced by a method-level @Owns, options and all', () => {
    expect(declaredOwnership(reflector, OrdersController.prototype.overridden, OrdersController)).toEqual({
      on: 'handler',
      decision: { kind: 'resource', resource: 'line', param: 'lineId', bypassRoles: ['manager'], onDenied: 403 },
    });
  });

  it('records an explicit opt-out with its reason', () => {
    expect(declaredOwnership(reflector, OrdersController.prototype.optedOut, OrdersController)).toEqual({
      on: 'handler',
      decision: { kind: 'opt-out', reason: 'codes are public vouchers' },
    });
  });

  it('is absent when not declared', () => {
    expect(declaredOwnership(reflector, PlainController.prototype.plain, PlainController)).toBeUndefined();
  });

  it('allows nobody to bypass with bypassRoles: []', () => {
    @Owns('order', { bypassRoles: [] })
    class Strict {}
    expect(declaredOwnership(reflector, Strict.prototype, Strict)?.decision).toMatchObject({ bypassRoles: [] });
  });

  const apply = (decorator: ClassDecorator | MethodDecorator) => () => (decorator as ClassDecorator)(PlainController);

  it('refuses an opt-out without a reason', () => {
    expect(apply(Owns(false, { reason: '' }))).toThrow(/needs a non-empty reason/);
    expect(apply(Owns(false, { reason: '   ' }))).toThrow(/needs a non-empty reason/);
    expect(apply(Owns(false, undefined as unknown as { reason: string }))).toThrow(/needs a non-empty reason/);
  });

  it('refuses bad resource names and options', () => {
    expect(apply(Owns(''))).toThrow(/resource name/);
    expect(apply(Owns('bad name'))).toThrow(/resource name/);
    expect(apply(Owns(true as unknown as string))).toThrow(/resource name/);
    expect(apply(Owns('order', { params: 'orderId' } as unknown as OwnsOptions))).toThrow(
      /unknown option\(s\): params/,
    );
    expect(apply(Owns('order', { param: '' }))).toThrow(/param must be a route parameter name/);
    expect(apply(Owns('order', { param: 'a/b' }))).toThrow(/param must be a route parameter name/);
    expect(apply(Owns('order', { onDenied: 401 as 404 }))).toThrow(/onDenied must be 404 or 403/);
    expect(apply(Owns('order', { bypassRoles: 'admin' as unknown as string[] }))).toThrow(
      /bypassRoles must be an array/,
    );
    expect(apply(Owns('order', { bypassRoles: [''] }))).toThrow(/non-empty names/);
  });

  it('reads the id from a body field with { body }, never together with param', () => {
    class CheckoutController {
      @Owns('order', { body: 'orderId' })
      checkout(): void {}
    }
    expect(declaredOwnership(reflector, CheckoutController.prototype.checkout, CheckoutController)).toEqual({
      on: 'handler',
      decision: {
        kind: 'resource',
        resource: 'order',
        param: 'orderId',
        from: 'body',
        bypassRoles: ['admin'],
        onDenied: 404,
      },
    });
    expect(apply(Owns('order', { body: 'orderId', param: 'id' }))).toThrow(/not both/);
    expect(apply(Owns('order', { body: '' }))).toThrow(/body must be a body field name/);
    expect(apply(Owns('order', { body: 'a.b' }))).toThrow(/body must be a body field name/);
    expect(apply(Owns('order', { body: 42 as unknown as string }))).toThrow(/body must be a body field name/);
  });

  it('takes the id from a GraphQL argument ({ arg }) or the parent object ({ parent }), one source only', () => {
    class OrderResolver {
      @Owns('order', { arg: 'orderId' })
      order(): void {}

      @Owns('order', { parent: 'orderId', onDenied: 403 })
      invoice(): void {}
    }
    expect(declaredOwnership(reflector, OrderResolver.prototype.order, OrderResolver)?.decision).toEqual({
      kind: 'resource',
      resource: 'order',
      param: 'orderId',
      from: 'arg',
      bypassRoles: ['admin'],
      onDenied: 404,
    });
    expect(declaredOwnership(reflector, OrderResolver.prototype.invoice, OrderResolver)?.decision).toMatchObject({
      param: 'orderId',
      from: 'parent',
      onDenied: 403,
    });
    expect(apply(Owns('order', { arg: 'id', param: 'id' }))).toThrow(/not both param and arg/);
    expect(apply(Owns('order', { arg: 'id', parent: 'orderId' }))).toThrow(/not both arg and parent/);
    expect(apply(Owns('order', { arg: '' }))).toThrow(/arg must be a GraphQL argument name/);
    expect(apply(Owns('order', { parent: 'a.b' }))).toThrow(/parent must be a parent field name/);
  });
});
