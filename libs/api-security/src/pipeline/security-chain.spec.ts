import type { RoutePlan } from '../plan/route-plan';
import { assembleSteps, compileChain, SecurityStepError, type SecurityStepEntry } from './security-chain';
import type { SecurityStep, SecurityStepContext } from '../plan/security-step';

const plan = (overrides: Partial<RoutePlan> = {}): RoutePlan => ({
  key: 'GET /x',
  method: 'GET',
  path: '/x',
  versions: [],
  controller: 'C',
  handler: 'h',
  isPublic: false,
  ...overrides,
});

const calls: string[] = [];
const step = (name: string, appliesTo: (plan: RoutePlan) => boolean = () => true): SecurityStep => ({
  name,
  appliesTo,
  run: () => {
    calls.push(name);
  },
});
const builtIns = (): SecurityStep[] => [
  step('rate-limit', (p) => p.rateLimit !== undefined),
  step('authentication', (p) => !p.isPublic),
  step('roles', (p) => p.roles !== undefined),
];
class Added {}
const entry = (placement: Omit<Extract<SecurityStepEntry, { use: unknown }>, 'use'>): SecurityStepEntry => ({
  use: Added as never,
  ...placement,
});
const names = (steps: readonly SecurityStep[]): string[] => steps.map((s) => s.name);
const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    return error instanceof SecurityStepError ? error.code : 'other';
  }
  return undefined;
};

describe('assembleSteps', () => {
  it('keeps the built-in order and places application steps before, after, instead of a step, or last', () => {
    const chain = assembleSteps(
      builtIns(),
      [Added as never, entry({ before: 'roles' }), entry({ after: 'authentication' }), entry({ replace: 'roles' })],
      [step('last'), step('pre-roles'), step('tenant'), step('roles')],
    );
    expect(names(chain)).toEqual(['rate-limit', 'authentication', 'tenant', 'pre-roles', 'roles', 'last']);
  });

  it('anchors on an application step registered before', () => {
    const chain = assembleSteps(
      builtIns(),
      [entry({ after: 'authentication' }), entry({ after: 'tenant' })],
      [step('tenant'), step('quota')],
    );
    expect(names(chain)).toEqual(['rate-limit', 'authentication', 'tenant', 'quota', 'roles']);
  });

  it('refuses unknown anchors, duplicate names, several placements and non-steps with stable codes', () => {
    expect(codeOf(() => assembleSteps(builtIns(), [entry({ after: 'auth' })], [step('a')]))).toBe(
      'ERR_STEP_UNKNOWN_ANCHOR',
    );
    expect(codeOf(() => assembleSteps(builtIns(), [entry({ replace: 'nope' })], [step('a')]))).toBe(
      'ERR_STEP_UNKNOWN_ANCHOR',
    );
    expect(codeOf(() => assembleSteps(builtIns(), [Added as never], [step('roles')]))).toBe('ERR_STEP_DUPLICATE');
    expect(codeOf(() => assembleSteps(builtIns(), [entry({ replace: 'roles' })], [step('authentication')]))).toBe(
      'ERR_STEP_DUPLICATE',
    );
    expect(codeOf(() => assembleSteps(builtIns(), [entry({ before: 'roles', replace: 'roles' })], [step('a')]))).toBe(
      'ERR_STEP_INVALID',
    );
    expect(codeOf(() => assembleSteps(builtIns(), [Added as never], [{ name: 'x', run: () => undefined }]))).toBe(
      'ERR_STEP_INVALID',
    );
    expect(codeOf(() => assembleSteps(builtIns(), [Added as never], [{ ...step('x'), name: '' }]))).toBe(
      'ERR_STEP_INVALID',
    );
  });
});

describe('compileChain', () => {
  beforeEach(() => {
    calls.length = 0;
  });

  it('keeps only the steps whose appliesTo holds for the route, in order', () => {
    expect(names(compileChain(builtIns(), plan()))).toEqual(['authentication']);
    expect(names(compileChain(builtIns(), plan({ isPublic: true })))).toEqual([]);
    const roles = { required: ['user'], satisfiedBy: new Set(['user']) };
    expect(names(compileChain(builtIns(), plan({ roles })))).toEqual(['authentication', 'roles']);
  });

  it('binds a wrapping step to the step it wraps when both apply, and runs it in its place', async () => {
    const seen: string[] = [];
    const outer: SecurityStep = {
      name: 'outer',
      wraps: 'inner',
      appliesTo: () => true,
      run: () => {
        seen.push('outer alone');
      },
      around: async (context: SecurityStepContext, next: SecurityStep) => {
        seen.push('before');
        await next.run(context);
        seen.push('after');
      },
    };
    const inner = step('inner', (p) => !p.isPublic);
    const chain = compileChain([outer, step('between'), inner, step('end')], plan());
    expect(names(chain)).toEqual(['between', 'outer(inner)', 'end']);
    for (const link of chain) await link.run({} as SecurityStepContext);
    expect(seen).toEqual(['before', 'after']);
    expect(calls).toEqual(['between', 'inner', 'end']);

    // Where the wrapped step does not apply, the wrapping step runs on its own, at its own place.
    const alone = compileChain([outer, step('between'), inner], plan({ isPublic: true }));
    expect(names(alone)).toEqual(['outer', 'between']);
  });
});
