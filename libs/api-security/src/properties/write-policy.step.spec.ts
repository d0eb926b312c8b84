import { Body, type ExecutionContext } from '@nestjs/common';
import { IsOptional, IsString } from 'class-validator';
import type { SecurityEventBus } from '../audit/security-event.bus';
import type { SecurityEvent } from '../audit/security-event';
import { recordBodyFacts } from '../common/body-facts';
import type { SecurityPrincipal } from '../common/security-principal';
import { ErrorCode } from '../errors/codes';
import { SecurityException, ValidationProblemException } from '../errors/security.exception';
import { PrincipalRoles } from '../authorization/principal-roles';
import { DEFAULT_ROLE_HIERARCHY } from '../authorization/roles.options';
import { WritableBy } from './writable-by.decorator';
import { WritePolicyCompiler } from './write-policy.compiler';
import { WritePolicyStep } from './write-policy.step';
import type { RoutePlan } from '../plan/route-plan';
import type { SecurityStepContext } from '../plan/security-step';

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
): SecurityStepContext {
  const request = { method: 'PATCH', url: '/users/1?x=1', headers: {}, body, principal, ip: '10.0.0.1' };
  const execution = {
    getType: () => 'http',
    getClass: () => Controller,
    getHandler: () => handler,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
  const writePolicy = new WritePolicyCompiler().forHandler(Controller, handler);
  const plan = { key: 'PATCH /users/:id', ...(writePolicy.length > 0 ? { writePolicy } : {}) } as RoutePlan;
  return { request: request as SecurityStepContext['request'], plan, execution };
}

describe('WritePolicyStep', () => {
  const events: SecurityEvent[] = [];
  const bus = { emit: (event: SecurityEvent) => events.push(event) } as unknown as SecurityEventBus;
  const step = new WritePolicyStep(new PrincipalRoles({ roles: { hierarchy: DEFAULT_ROLE_HIERARCHY } }), bus);
  const user: SecurityPrincipal = { id: 'u1', roles: ['user'], authMethod: 'test', scopes: [] };
  const admin: SecurityPrincipal = { id: 'a1', roles: ['admin'], authMethod: 'test', scopes: [] };

  beforeEach(() => {
    events.length = 0;
  });

  it('refuses a restricted field with a 403 naming it, emits access.denied and never calls the handler', () => {
    let error: unknown;
    try {
      step.run(context({ name: 'x', role: 'admin' }, user));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SecurityException);
    expect((error as SecurityException).getStatus()).toBe(403);
    expect((error as SecurityException).code).toBe(ErrorCode.FORBIDDEN);
    expect((error as SecurityException).errors).toEqual([
      { field: 'role', message: 'role may not be written by this principal' },
    ]);
    expect(events).toEqual([
      {
        type: 'access.denied',
        reason: 'field_write',
        principalId: 'u1',
        route: 'PATCH /users/:id',
        ip: '10.0.0.1',
        details: { field: 'role', fields: 'role', count: 1 },
      },
    ]);
  });

  it('refuses an anonymous caller too', () => {
    expect(() => step.run(context({ role: 'x' }))).toThrow(SecurityException);
    expect(events[0]).not.toHaveProperty('principalId');
  });

  it('enforces bindings on any value, as GraphQL arguments are: a bound property is read from it', () => {
    const policy = new WritePolicyCompiler().policyFor(RoleDto);
    const request = {
      method: 'POST',
      url: '/graphql',
      headers: {},
      principal: user,
    } as unknown as SecurityStepContext['request'];
    const args = { input: { name: 'x', role: 'admin' } };
    expect(() => step.enforce(request, 'MUTATION Mutation.update', args, [{ property: 'input', policy }])).toThrow(
      expect.objectContaining({
        code: ErrorCode.FORBIDDEN,
        errors: [expect.objectContaining({ field: 'input.role' })],
      }),
    );
    expect(events).toEqual([
      expect.objectContaining({ type: 'access.denied', reason: 'field_write', route: 'MUTATION Mutation.update' }),
    ]);
    expect(() =>
      step.enforce(request, 'MUTATION Mutation.update', { other: args.input }, [{ property: 'input', policy }]),
    ).not.toThrow();
  });

  it('lets the role through', () => {
    expect(() => step.run(context({ role: 'admin' }, admin))).not.toThrow();
    expect(events).toEqual([]);
  });

  it('refuses prototype keys on any route, before the write policy', () => {
    const poisoned = JSON.parse('{"role": "x", "a": [{"__proto__": {}}]}') as unknown;
    expect(() => step.run(context(poisoned, admin, Controller.prototype.free))).toThrow(ValidationProblemException);
    expect(() => step.run(context(poisoned, user))).toThrow(ValidationProblemException);
    expect(events).toEqual([]);
  });

  it('passes requests without a body or with a scalar body', () => {
    expect(() => step.run(context(undefined, user))).not.toThrow();
    expect(() => step.run(context('text', user))).not.toThrow();
  });
  describe('with the facts of the request-limits walk', () => {
    it('takes "no prototype key" from them for the body they describe, and walks a replaced body again', () => {
      const poisoned = JSON.parse('{"a": {"prototype": 1}}') as object;
      const run = context(poisoned, user, Controller.prototype.free);
      // Facts that say "none" for this very body are believed: nothing walks it again.
      recordBodyFacts(run.request, { body: poisoned, prototypeKeys: false });
      expect(() => step.run(run)).not.toThrow();
      // The same facts for another object say nothing about this body: it is walked and refused.
      recordBodyFacts(run.request, { body: {}, prototypeKeys: false });
      expect(() => step.run(run)).toThrow(ValidationProblemException);
    });

    it('names the paths again when the walk saw a prototype key', () => {
      const poisoned = JSON.parse('{"a": [{"x": 1}, {"constructor": {}}], "b": {"prototype": 1}}') as object;
      const run = context(poisoned, admin);
      recordBodyFacts(run.request, { body: poisoned, prototypeKeys: true });
      const error = (() => {
        try {
          step.run(run);
        } catch (e) {
          return e as ValidationProblemException;
        }
        return undefined;
      })();
      expect(error?.errors?.map((e) => e.field)).toEqual(['a[1].constructor', 'b.prototype']);
    });

    it('takes a false alarm for what it is', () => {
      const body = { name: 'x' };
      const run = context(body, admin);
      recordBodyFacts(run.request, { body, prototypeKeys: true });
      expect(() => step.run(run)).not.toThrow();
    });
  });
});
