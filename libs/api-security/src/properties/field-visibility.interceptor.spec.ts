import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { lastValueFrom, of } from 'rxjs';
import type { SecurityPrincipal } from '../authentication/security-principal';
import { FieldProjector } from './field-projector';
import { FieldVisibilityInterceptor } from './field-visibility.interceptor';
import { PrincipalRoles } from './principal-roles';
import { ProjectionCompiler } from './projection.compiler';
import { DEFAULT_ROLE_HIERARCHY } from './roles.options';
import { VisibleTo } from './visible-to.decorator';

class Card {
  @VisibleTo('public') title = 'card';
  @VisibleTo('admin') cost = 3;
}

function http(principal?: SecurityPrincipal): ExecutionContext {
  return {
    getType: () => 'http',
    switchToHttp: () => ({ getRequest: () => ({ principal }) }),
  } as unknown as ExecutionContext;
}

describe('FieldVisibilityInterceptor', () => {
  const interceptor = new FieldVisibilityInterceptor(
    new FieldProjector(
      new ProjectionCompiler(new Reflector()),
      new PrincipalRoles({ roles: { hierarchy: DEFAULT_ROLE_HIERARCHY } }),
    ),
  );
  const returns = (value: unknown): CallHandler => ({ handle: () => of(value) });
  const admin: SecurityPrincipal = { id: 'a', roles: ['admin'], authMethod: 'test', scopes: [] };

  it("projects the handler's value for the request's principal", async () => {
    await expect(lastValueFrom(interceptor.intercept(http(), returns([new Card()])))).resolves.toEqual([
      { title: 'card' },
    ]);
    await expect(lastValueFrom(interceptor.intercept(http(admin), returns(new Card())))).resolves.toEqual({
      title: 'card',
      cost: 3,
    });
  });

  it('leaves non-HTTP results alone', async () => {
    const card = new Card();
    const rpc = { getType: () => 'rpc' } as unknown as ExecutionContext;
    await expect(lastValueFrom(interceptor.intercept(rpc, returns(card)))).resolves.toBe(card);
  });
});
