import { Logger, type CallHandler, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { lastValueFrom, of } from 'rxjs';
import type { SecurityPrincipal } from '../common/security-principal';
import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';
import { CredentialTripwire } from './credential.tripwire';
import { FieldProjector } from './field-projector';
import { FieldVisibilityInterceptor } from './field-visibility.interceptor';
import { PrincipalRoles } from '../authorization/principal-roles';
import { ProjectionCompiler } from './projection.compiler';
import { DEFAULT_ROLE_HIERARCHY } from '../authorization/roles.options';
import { VisibleTo } from './visible-to.decorator';

class Card {
  @VisibleTo('public') title = 'card';
  @VisibleTo('admin') cost = 3;
}

function http(principal?: SecurityPrincipal): ExecutionContext {
  return {
    getType: () => 'http',
    getHandler: () => function list() {},
    getClass: () => class CardsController {},
    switchToHttp: () => ({ getRequest: () => ({ principal }) }),
    getArgByIndex: (index: number) => (index === 0 ? { principal } : undefined),
  } as unknown as ExecutionContext;
}

describe('FieldVisibilityInterceptor', () => {
  const interceptor = new FieldVisibilityInterceptor(
    new FieldProjector(
      new ProjectionCompiler(new Reflector()),
      new PrincipalRoles({ roles: { hierarchy: DEFAULT_ROLE_HIERARCHY } }),
      new CredentialTripwire({ audit: { mode: 'strict' }, credentialFields: { names: ['password*'], allow: [] } }),
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

  it('names the route when a plain result carries a credential field', async () => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const error = await lastValueFrom(interceptor.intercept(http(), returns({ id: 1, passwordHash: 'h' }))).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SecurityException);
    expect((error as SecurityException).code).toBe(ErrorCode.RESPONSE_CREDENTIAL);
    expect((error as SecurityException).reason).toContain('CardsController.list');
    expect((error as SecurityException).reason).not.toContain('"h"');
  });

  it('leaves non-HTTP results alone', async () => {
    const card = new Card();
    const rpc = { getType: () => 'rpc' } as unknown as ExecutionContext;
    await expect(lastValueFrom(interceptor.intercept(rpc, returns(card)))).resolves.toBe(card);
  });
});
