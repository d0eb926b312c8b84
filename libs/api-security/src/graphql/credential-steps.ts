import type { ModuleRef } from '@nestjs/core';
import { SECURITY_STEPS } from '../pipeline/security-chain';
import type { RoutePlan } from '../plan/route-plan';
import type { SecurityStep, SecurityStepContext } from '../plan/security-step';

/** The chain's `authentication` step and, where it applies to the plan, its `rate-limit` step. */
export interface CredentialSteps {
  readonly authentication: SecurityStep;
  readonly rateLimit: SecurityStep | undefined;
}

/**
 * The app's own steps (a replaced `authentication` or `rate-limit` included), for a credential check
 * made outside the guard (a WebSocket `connection_init`, an introspection policy). Throws when the
 * chain has none: such a check must never pass by default.
 */
export function findCredentialSteps(moduleRef: ModuleRef, plan: RoutePlan, owner: string): CredentialSteps {
  const steps = moduleRef.get<readonly SecurityStep[]>(SECURITY_STEPS, { strict: false });
  const authentication = steps.find((step) => step.name === 'authentication');
  if (authentication === undefined) throw new Error(`${owner}: the chain has no authentication step.`);
  const rateLimit = steps.find((step) => step.name === 'rate-limit');
  return { authentication, rateLimit: rateLimit !== undefined && rateLimit.appliesTo(plan) ? rateLimit : undefined };
}

/**
 * Runs them as the guard would: authentication inside the rate limit's `around` when it wraps it (a
 * failed credential is charged), else one after the other. A refusal throws.
 */
export async function runCredentialSteps(steps: CredentialSteps, context: SecurityStepContext): Promise<void> {
  const { authentication, rateLimit } = steps;
  if (rateLimit === undefined) return authentication.run(context);
  if (rateLimit.around !== undefined && rateLimit.wraps === authentication.name) {
    return rateLimit.around(context, authentication);
  }
  await rateLimit.run(context);
  await authentication.run(context);
}
