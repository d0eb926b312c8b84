import { Controller, Get } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthorizationCompiler } from './authorization.compiler';
import type { OwnershipResolver } from './ownership-resolver';
import { Owns } from './owns.decorator';
import { RoleGraph } from './role-graph';
import { Roles } from './roles.decorator';
import { Scopes } from './scopes.decorator';

const resolver: OwnershipResolver = { owns: async () => true };

@Roles('user')
@Owns('order')
@Controller('orders')
class OrdersController {
  @Get()
  list(): void {}

  @Get(':id')
  find(): void {}

  @Roles('manager')
  @Scopes('orders:read')
  @Get(':orderId/lines')
  @Owns('order', { param: 'orderId', bypassRoles: ['manager'], onDenied: 403 })
  lines(): void {}

  @Get('codes/:codeId')
  @Owns(false, { reason: 'voucher codes are shared' })
  code(): void {}
}

describe('AuthorizationCompiler', () => {
  const lookups: string[] = [];
  const compiler = new AuthorizationCompiler(
    new Reflector(),
    new RoleGraph({ admin: ['manager'], manager: ['user'] }),
    (resource) => {
      lookups.push(resource);
      return resource === 'order' ? resolver : undefined;
    },
  );
  const compile = (name: keyof OrdersController, paths: string[]) =>
    compiler.compile(OrdersController.prototype[name], OrdersController, paths);

  it('expands required roles into the set of roles that satisfy them', () => {
    const plan = compile('list', ['/api/orders']);
    expect(plan.roles?.required).toEqual(['user']);
    expect([...(plan.roles?.satisfiedBy ?? [])].sort()).toEqual(['admin', 'manager', 'user']);
    expect(plan.scopes).toBeUndefined();
  });

  it('applies a controller-level @Owns only where its parameter is in the path', () => {
    expect(compile('list', ['/api/orders']).ownership).toBeUndefined();
    expect(compile('find', ['/api/orders/:id']).ownership).toEqual({
      kind: 'resource',
      resource: 'order',
      param: 'id',
      onDenied: 404,
      bypassRoles: ['admin'],
      bypassedBy: new Set(['admin']),
      resolver,
    });
    // One decision per handler: a second path without the parameter keeps the check (the audit names it).
    expect(compile('find', ['/api/orders/:id', '/api/orders']).ownership?.kind).toBe('resource');
  });

  it('compiles method-level roles, scopes and ownership with the resolver instance', () => {
    const plan = compile('lines', ['/api/orders/:orderId/lines']);
    expect([...(plan.roles?.satisfiedBy ?? [])].sort()).toEqual(['admin', 'manager']);
    expect(plan.scopes).toEqual(['orders:read']);
    expect(plan.ownership).toMatchObject({ param: 'orderId', onDenied: 403, resolver });
    expect(plan.ownership?.kind === 'resource' && [...plan.ownership.bypassedBy].sort()).toEqual(['admin', 'manager']);
  });

  it('keeps an opt-out with its reason', () => {
    expect(compile('code', ['/api/orders/codes/:codeId']).ownership).toEqual({
      kind: 'opt-out',
      reason: 'voucher codes are shared',
    });
  });

  it('leaves the resolver undefined when none is registered', () => {
    @Controller('notes')
    class NotesController {
      @Get(':id')
      @Owns('note')
      find(): void {}
    }
    const plan = compiler.compile(NotesController.prototype.find, NotesController, ['/notes/:id']);
    expect(plan.ownership).toMatchObject({ kind: 'resource', resource: 'note', resolver: undefined });
    expect(lookups).toContain('note');
  });
});
