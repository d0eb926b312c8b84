import type { Reflector } from '@nestjs/core';
import { AmbiguousProviderError, type AppProviderIndex } from '../common/app-provider.index';
import type { FlowPlan } from '../plan/flow-plan';
import { flowPolicyToken } from './flow-policy.provider';
import { declaredFlow } from './sensitive-flow.decorator';
import { compileFlowPolicy, mergeFlowPolicies, type SensitiveFlowPolicy } from './sensitive-flow.policy';

/**
 * Compiles each handler's `@SensitiveFlow` once at boot, merged with the policy registered for its
 * name by `provideFlowPolicy`. Routes sharing a flow name share its counters, cooldown and
 * challenges, so they must end up with the same policy; a mismatch stops the boot.
 */
export class FlowCompiler {
  private readonly byName = new Map<string, { plan: FlowPlan; where: string; json: string }>();

  constructor(
    private readonly reflector: Reflector,
    private readonly providers: AppProviderIndex,
  ) {}

  /** The flow plan of a handler, or undefined without `@SensitiveFlow`. `where` is `Controller.method`. */
  compile(handler: object, where: string): FlowPlan | undefined {
    const declared = declaredFlow(this.reflector, handler);
    if (!declared) return undefined;
    const override = this.registered(declared.name);
    const policy = override ? mergeFlowPolicies(declared.policy, override) : declared.policy;
    const plan = compileFlowPolicy(declared.name, policy, where);
    const json = JSON.stringify(plan);
    const first = this.byName.get(plan.name);
    if (!first) this.byName.set(plan.name, { plan, where, json });
    else if (first.json !== json) {
      throw new TypeError(
        `@SensitiveFlow('${plan.name}') on ${where} has a different policy than on ${first.where}; routes ` +
          'sharing a flow name share its counters and challenges, so give them one policy or different names.',
      );
    }
    return first?.plan ?? plan;
  }

  private registered(name: string): SensitiveFlowPolicy | undefined {
    try {
      return this.providers.find<SensitiveFlowPolicy>(flowPolicyToken(name));
    } catch (error) {
      if (error instanceof AmbiguousProviderError) throw error;
      return undefined;
    }
  }
}
