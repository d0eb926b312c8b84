import { Body, type CallHandler, type ExecutionContext } from '@nestjs/common';
import { IsOptional, IsString } from 'class-validator';
import { lastValueFrom, of } from 'rxjs';
import type { SecurityEventBus } from '../audit/security-event.bus';
import type { SecurityEvent } from '../audit/security-event';
import type { SecurityPrincipal } from '../authentication/security-principal';
import { ErrorCode } from '../errors/codes';
import { SecurityException, ValidationProblemException } from '../errors/security.exception';
import { PrincipalRoles } from './principal-roles';
import { DEFAULT_ROLE_HIERARCHY } from './roles.options';
import { WritableBy } from './writable-by.decorator';
import { WritePolicyCompiler } from './write-policy.compiler';
import { WritePolicyInterceptor } from './write-policy.interceptor';

class RoleDto {
  @IsOptional() @IsString() name?: string;
  @IsOptional() @IsString() @WritableBy('admin') role?: string;
}

class Controller {
  update(@Body() _body: RoleDto): string {
    return 'ran';
  }
  free(): string {
    return 'ran';
  }
}

function context(
  body: unknown,
  principal?: SecurityPrincipal,
  handler = Controller.prototype.update,
): ExecutionContext {
  const request = { method: 'PATCH', url: '/users/1?x=1', headers: {}, body, principal, ip: '10.0.0.1' };
  return {
    getType: () => 'http',
    getClass: () => Controller,
    getHandler: () => handler,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

describe('WritePolicyInterceptor', () => {
  const events: SecurityEvent[] = [];
  const bus = { emit: (event: SecurityEvent) => events.push(event) } as unknown as SecurityEventBus;
  const interceptor = new WritePolicyInterceptor(
    new WritePolicyCompiler(),
    new PrincipalRoles({ roles: { hierarchy: DEFAULT_ROLE_HIERARCHY } }),
    bus,
  );
  const next: CallHandler = { handle: jest.fn(() => of('ran')) };
  const user: SecurityPrincipal = { id: 'u1', roles: ['user'], authMethod: 'test', scopes: [] };
  const admin: SecurityPrincipal = { id: 'a1', roles: ['admin'], authMethod: 'test', scopes: [] };

  beforeEach(() => {
    events.length = 0;
    jest.mocked(next.handle).mockClear();
  });

  it('refuses a restricted field with a 403 naming it, emits access.denied and never calls the handler', () => {
    let error: unknown;
    try {
      interceptor.intercept(context({ name: 'x', role: 'admin' }, user), next);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SecurityException);
    expect((error as SecurityException).getStatus()).toBe(403);
    expect((error as SecurityException).code).toBe(ErrorCode.FORBIDDEN);
    expect((error as SecurityException).errors).toEqual([
      { field: 'role', message: 'role may not be written by this principal' },
    ]);
    expect(next.handle).not.toHaveBeenCalled();
    expect(events).toEqual([
      {
        type: 'access.denied',
        reason: 'field_write',
        principalId: 'u1',
        route: 'PATCH /users/1',
        ip: '10.0.0.1',
        details: { field: 'role', fields: 'role', count: 1 },
      },
    ]);
  });

  it('refuses an anonymous caller too', () => {
    expect(() => interceptor.intercept(context({ role: 'x' }), next)).toThrow(SecurityException);
    expect(events[0]).not.toHaveProperty('principalId');
  });

  it('lets the role through', async () => {
    await expect(lastValueFrom(interceptor.intercept(context({ role: 'admin' }, admin), next))).resolves.toBe('ran');
    expect(events).toEqual([]);
  });

  it('refuses prototype keys on any route, before the write policy', () => {
    const poisoned = JSON.parse('{"role": "x", "a": [{"__proto__": {}}]}') as unknown;
    expect(() => interceptor.intercept(context(poisoned, admin, Controller.prototype.free), next)).toThrow(
      ValidationProblemException,
    );
    expect(() => interceptor.intercept(context(poisoned, user), next)).toThrow(ValidationProblemException);
    expect(events).toEqual([]);
  });

  it('passes requests without a body or with a scalar body', () => {
    interceptor.intercept(context(undefined, user), next);
    interceptor.intercept(context('text', user), next);
    expect(next.handle).toHaveBeenCalledTimes(2);
  });

  it('ignores non-HTTP contexts', () => {
    const rpc = { getType: () => 'rpc' } as unknown as ExecutionContext;
    interceptor.intercept(rpc, next);
    expect(next.handle).toHaveBeenCalledTimes(1);
  });
});
