import type { ModuleRef } from '@nestjs/core';
import type { RoutePlan } from '../plan/route-plan';
import type { SecurityStep, SecurityStepContext } from '../plan/security-step';
import { findCredentialSteps, runCredentialSteps } from './credential-steps';

const plan = {} as RoutePlan;
const context = {} as SecurityStepContext;

function step(name: string, calls: string[], extra: Partial<SecurityStep> = {}): SecurityStep {
  return { name, appliesTo: () => true, run: () => void calls.push(name), ...extra };
}

function moduleRefWith(steps: SecurityStep[]): ModuleRef {
  return { get: () => steps } as unknown as ModuleRef;
}

describe('findCredentialSteps', () => {
  it('finds the authentication step and a rate limit that applies to the plan', () => {
    const authentication = step('authentication', []);
    const rateLimit = step('rate-limit', []);
    const found = findCredentialSteps(moduleRefWith([rateLimit, step('roles', []), authentication]), plan, 'Owner');
    expect(found).toEqual({ authentication, rateLimit });
  });

  it('leaves out a rate limit that does not apply to the plan', () => {
    const steps = [step('rate-limit', [], { appliesTo: () => false }), step('authentication', [])];
    expect(findCredentialSteps(moduleRefWith(steps), plan, 'Owner').rateLimit).toBeUndefined();
  });

  it('throws when the chain has no authentication step: the check never passes by default', () => {
    expect(() => findCredentialSteps(moduleRefWith([step('rate-limit', [])]), plan, 'Owner')).toThrow(
      'Owner: the chain has no authentication step.',
    );
  });
});

describe('runCredentialSteps', () => {
  it('runs authentication inside the rate limit when the rate limit wraps it', async () => {
    const calls: string[] = [];
    const authentication = step('authentication', calls);
    const around = jest.fn(async (_: SecurityStepContext, next: SecurityStep) => {
      calls.push('around:start');
      await next.run(context);
      calls.push('around:end');
    });
    const rateLimit = step('rate-limit', calls, { wraps: 'authentication', around });
    await runCredentialSteps({ authentication, rateLimit }, context);
    expect(calls).toEqual(['around:start', 'authentication', 'around:end']);
    expect(around).toHaveBeenCalledWith(context, authentication);
  });

  it('runs the rate limit, then authentication, when it does not wrap it', async () => {
    const calls: string[] = [];
    await runCredentialSteps(
      { authentication: step('authentication', calls), rateLimit: step('rate-limit', calls) },
      context,
    );
    expect(calls).toEqual(['rate-limit', 'authentication']);
  });

  it('runs authentication alone without a rate limit, and lets its refusal through', async () => {
    const refusal = new Error('refused');
    const authentication = step('authentication', [], {
      run: () => {
        throw refusal;
      },
    });
    await expect(runCredentialSteps({ authentication, rateLimit: undefined }, context)).rejects.toBe(refusal);
  });
});
