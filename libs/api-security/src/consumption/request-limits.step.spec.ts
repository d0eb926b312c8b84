import type { ExecutionContext } from '@nestjs/common';
import { resolveApiSecurityOptions } from '../api-security.options';
import { bodyFactsOf } from '../common/body-facts';
import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';
import type { RoutePlan } from '../plan/route-plan';
import type { SecurityStepContext } from '../plan/security-step';
import { RequestLimitsStep } from './request-limits.step';

function context(body: unknown): SecurityStepContext {
  const request = { method: 'POST', url: '/x', headers: { 'content-length': '10' }, body };
  return {
    request: request as SecurityStepContext['request'],
    plan: { key: 'POST /x' } as RoutePlan,
    execution: {} as ExecutionContext,
  };
}

const bodyOf = (run: SecurityStepContext): object =>
  (run.request as SecurityStepContext['request'] & { body: object }).body;

describe('RequestLimitsStep', () => {
  const step = new RequestLimitsStep(resolveApiSecurityOptions({ requestLimits: { maxDepth: 3 } }));

  it('records, for the body it walked, whether a prototype key occurs', () => {
    const clean = context({ a: [{ b: 1 }] });
    step.run(clean);
    const cleanBody = bodyOf(clean);
    expect(bodyFactsOf(clean.request, cleanBody)).toEqual({ body: cleanBody, prototypeKeys: false });
    expect(bodyFactsOf(clean.request, {})).toBeUndefined();

    const poisoned = context(JSON.parse('{"a": {"__proto__": {}}}'));
    step.run(poisoned);
    const poisonedBody = bodyOf(poisoned);
    expect(bodyFactsOf(poisoned.request, poisonedBody)?.prototypeKeys).toBe(true);
  });

  it('refuses a misshapen body with 400 before recording anything', () => {
    const deep = context({ a: { b: { c: { prototype: 1 } } } });
    let error: unknown;
    try {
      step.run(deep);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SecurityException);
    expect((error as SecurityException).getStatus()).toBe(400);
    expect((error as SecurityException).code).toBe(ErrorCode.BODY_SHAPE);
    expect(bodyFactsOf(deep.request, bodyOf(deep))).toBeUndefined();
  });

  it('records nothing for a scalar or absent body', () => {
    const none = context(undefined);
    (none.request.headers as Record<string, string>)['content-length'] = '0';
    expect(() => step.run(none)).not.toThrow();
    expect(() => step.run(context('text'))).not.toThrow();
  });
});
