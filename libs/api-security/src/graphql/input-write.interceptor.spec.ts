import type { CallHandler, ExecutionContext } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import { of } from 'rxjs';
import { PRINCIPAL_KEY } from '../common/security-principal';
import { SecurityException } from '../errors/security.exception';
import type { BodyBinding } from '../properties/write-policy';
import { WritePolicyStep } from '../properties/write-policy.step';
import type { GraphqlFieldSecurity } from './field-security.installer';
import { GraphqlInputWriteInterceptor } from './input-write.interceptor';

const handler = (): void => undefined;
const bindings: BodyBinding[] = [
  {
    property: 'input',
    policy: { type: class Input {}, restricted: new Map([['role', ['admin']]]), nested: new Map() },
  },
];

function setup(): {
  interceptor: GraphqlInputWriteInterceptor;
  enforced: unknown[][];
  next: CallHandler & { calls: number };
} {
  const enforced: unknown[][] = [];
  const step = Object.create(WritePolicyStep.prototype) as WritePolicyStep;
  step.enforce = (...args: unknown[]) => {
    enforced.push(args);
  };
  const moduleRef = { get: () => step } as unknown as ModuleRef;
  const security = {
    writeRuleFor: (h: object) => (h === handler ? { route: 'MUTATION Mutation.update', bindings } : undefined),
  } as unknown as GraphqlFieldSecurity;
  const next = {
    calls: 0,
    handle() {
      this.calls++;
      return of('ran');
    },
  };
  return { interceptor: new GraphqlInputWriteInterceptor(security, moduleRef), enforced, next };
}

function graphqlContext(args: unknown, gqlContext: unknown, h: () => void = handler): ExecutionContext {
  const list = [undefined, args, gqlContext, {}];
  return {
    getType: () => 'graphql',
    getHandler: () => h,
    getArgByIndex: (i: number) => list[i],
  } as unknown as ExecutionContext;
}

describe('GraphqlInputWriteInterceptor', () => {
  it('passes HTTP handlers through untouched', () => {
    const { interceptor, enforced, next } = setup();
    const http = { getType: () => 'http' } as unknown as ExecutionContext;
    interceptor.intercept(http, next);
    expect(next.calls).toBe(1);
    expect(enforced).toEqual([]);
  });

  it('passes resolvers without restricted input through after one lookup', () => {
    const { interceptor, enforced, next } = setup();
    interceptor.intercept(
      graphqlContext({}, { req: {} }, () => undefined),
      next,
    );
    expect(next.calls).toBe(1);
    expect(enforced).toEqual([]);
  });

  it('enforces the resolver’s bindings on its arguments, for the request’s principal, before the resolver', () => {
    const { interceptor, enforced, next } = setup();
    const req = { [PRINCIPAL_KEY]: { id: 'u' } };
    const args = { input: { role: 'admin' } };
    interceptor.intercept(graphqlContext(args, { req }), next);
    expect(enforced).toEqual([[req, 'MUTATION Mutation.update', args, bindings]]);
    expect(next.calls).toBe(1);
  });

  it('lets a refusal stop the resolver', () => {
    const { interceptor, next } = setup();
    const refusing = setup();
    const step = Object.create(WritePolicyStep.prototype) as WritePolicyStep;
    step.enforce = () => {
      throw new SecurityException(403, 'ERR_FORBIDDEN');
    };
    (refusing.interceptor as unknown as { step: WritePolicyStep }).step = step;
    expect(() => refusing.interceptor.intercept(graphqlContext({ input: {} }, { req: {} }), refusing.next)).toThrow(
      SecurityException,
    );
    expect(refusing.next.calls).toBe(0);
    expect(() => interceptor.intercept(graphqlContext({ input: {} }, {}), next)).toThrow(SecurityException);
    expect(next.calls).toBe(0);
  });
});
