import type { Type } from '@nestjs/common';
import type { RoutePlan } from '../plan/route-plan';
import type { BuiltInStepName, SecurityStep } from '../plan/security-step';

/** DI token of the application's assembled chain (built-in and application steps, in order). */
export const SECURITY_STEPS = Symbol('SECURITY_STEPS');

/** A name in the chain: a built-in step's, or one of the application's steps registered before. */
export type StepAnchor = BuiltInStepName | (string & NonNullable<unknown>);

/**
 * Where an application step goes in the security guard's chain. At most one of `before`, `after`
 * and `replace`; with none, the step runs last.
 */
export interface SecurityStepRegistration {
  /** The step class, registered as a provider of `ApiSecurityModule` and resolved through DI. */
  readonly use: Type<SecurityStep>;
  /** Runs just before the named step. */
  readonly before?: StepAnchor;
  /** Runs just after the named step. */
  readonly after?: StepAnchor;
  /** Runs instead of the named step (e.g. a subclass of `RolesStep` replacing `roles`). */
  readonly replace?: StepAnchor;
}

/** Stable codes of the boot errors for a chain that cannot be assembled. */
export type SecurityStepErrorCode = 'ERR_STEP_INVALID' | 'ERR_STEP_UNKNOWN_ANCHOR' | 'ERR_STEP_DUPLICATE';

/** Thrown at boot when `steps` cannot be assembled into a chain; `code` says why. */
export class SecurityStepError extends Error {
  constructor(
    readonly code: SecurityStepErrorCode,
    message: string,
  ) {
    super(`[${code}] ${message}`);
    this.name = 'SecurityStepError';
  }
}

/** A registration as given: a bare class runs last. */
export type SecurityStepEntry = Type<SecurityStep> | SecurityStepRegistration;

/** The class of an entry, to register as a provider. */
export function stepClassOf(entry: SecurityStepEntry): Type<SecurityStep> {
  return typeof entry === 'function' ? entry : entry.use;
}

function isStep(value: unknown): value is SecurityStep {
  const step = value as Partial<SecurityStep> | null | undefined;
  return (
    typeof step?.name === 'string' &&
    step.name.length > 0 &&
    typeof step.appliesTo === 'function' &&
    typeof step.run === 'function'
  );
}

/**
 * The guard's chain for the whole application: the built-in steps in their fixed order, with the
 * application's steps inserted or swapped in as registered. Throws a {@link SecurityStepError} on
 * an instance that is not a step, an anchor no step has, or two steps of one name.
 */
export function assembleSteps(
  builtIns: readonly SecurityStep[],
  entries: readonly SecurityStepEntry[],
  instances: readonly unknown[],
): SecurityStep[] {
  const chain = [...builtIns];
  const indexOf = (anchor: string, user: string): number => {
    const index = chain.findIndex((step) => step.name === anchor);
    if (index < 0) {
      const known = chain.map((step) => step.name).join(', ');
      throw new SecurityStepError(
        'ERR_STEP_UNKNOWN_ANCHOR',
        `step '${user}' refers to '${anchor}', which is not in the chain (${known}).`,
      );
    }
    return index;
  };
  entries.forEach((entry, i) => {
    const step = instances[i];
    const className = stepClassOf(entry).name;
    if (!isStep(step)) {
      throw new SecurityStepError(
        'ERR_STEP_INVALID',
        `${className} is not a SecurityStep: it needs a non-empty name, appliesTo(plan) and run(context).`,
      );
    }
    const placement: Partial<SecurityStepRegistration> = typeof entry === 'function' ? {} : entry;
    const given = [placement.before, placement.after, placement.replace].filter((a) => a !== undefined);
    if (given.length > 1) {
      throw new SecurityStepError(
        'ERR_STEP_INVALID',
        `step '${step.name}' (${className}) may have one of before, after and replace, not ${given.length}.`,
      );
    }
    if (placement.replace !== undefined) {
      const index = indexOf(placement.replace, step.name);
      chain[index] = step;
    } else if (placement.before !== undefined) {
      chain.splice(indexOf(placement.before, step.name), 0, step);
    } else if (placement.after !== undefined) {
      chain.splice(indexOf(placement.after, step.name) + 1, 0, step);
    } else {
      chain.push(step);
    }
    const twice = chain.filter((other) => other.name === step.name);
    if (twice.length > 1) {
      throw new SecurityStepError(
        'ERR_STEP_DUPLICATE',
        `two steps are named '${step.name}': rename ${className}, or use replace: '${step.name}'.`,
      );
    }
  });
  return chain;
}

/**
 * One route's chain, compiled at boot: the steps whose `appliesTo` holds for the plan, in order.
 * A step with `around` (the rate limit) is bound to the step it wraps when that one applies too,
 * and runs in its place; the bound link is built here, once per route, never per request.
 */
export function compileChain(steps: readonly SecurityStep[], plan: RoutePlan): readonly SecurityStep[] {
  const applying = steps.filter((step) => step.appliesTo(plan));
  const links: SecurityStep[] = [];
  const wrapped = new Map<SecurityStep, SecurityStep>();
  for (const step of applying) {
    const inner = step.wraps === undefined ? undefined : applying.find((other) => other.name === step.wraps);
    if (step.around && inner && applying.indexOf(inner) > applying.indexOf(step)) wrapped.set(inner, step);
  }
  const outers = new Set(wrapped.values());
  for (const step of applying) {
    const outer = wrapped.get(step);
    if (outer) links.push(bind(outer, step));
    else if (!outers.has(step)) links.push(step);
  }
  return links;
}

function bind(outer: SecurityStep, inner: SecurityStep): SecurityStep {
  const around = outer.around as NonNullable<SecurityStep['around']>;
  return {
    name: `${outer.name}(${inner.name})`,
    appliesTo: () => true,
    run: (context) => around.call(outer, context, inner),
  };
}
