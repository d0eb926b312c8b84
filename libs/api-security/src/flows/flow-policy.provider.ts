import type { InjectionToken, OptionalFactoryDependency, Provider } from '@nestjs/common';
import { FLOW_NAME, type SensitiveFlowPolicy } from './sensitive-flow.policy';

/** The injection token a policy for the flow `name` is registered under. */
export function flowPolicyToken(name: string): string {
  if (typeof name !== 'string' || !FLOW_NAME.test(name)) {
    throw new TypeError(`A flow name is 1–64 letters, digits, _ . : - (got ${JSON.stringify(name)}).`);
  }
  return `api-security:flow-policy:${name}`;
}

/** What {@link provideFlowPolicy} accepts: a policy, or a factory with the providers it needs. */
export type FlowPolicySource =
  | { useValue: SensitiveFlowPolicy }
  | {
      useFactory: (...dependencies: never[]) => SensitiveFlowPolicy | Promise<SensitiveFlowPolicy>;
      inject?: Array<InjectionToken | OptionalFactoryDependency>;
    };

/**
 * Supplies (part of) the policy of every `@SensitiveFlow(name)` route at boot, for values known
 * only at run time such as environment settings. Each option given replaces the decorator's;
 * the merged policy is validated at boot, naming the route.
 *
 * @example
 * ```ts
 * providers: [
 *   provideFlowPolicy('checkout', {
 *     useFactory: (config: AppConfig) => ({ perPrincipal: `${config.maxPerHour}/3600s` }),
 *     inject: [APP_CONFIG],
 *   }),
 * ]
 * ```
 */
export function provideFlowPolicy(name: string, source: FlowPolicySource): Provider {
  const provide = flowPolicyToken(name);
  if ('useValue' in source) return { provide, useValue: source.useValue };
  return {
    provide,
    useFactory: source.useFactory as (...dependencies: unknown[]) => SensitiveFlowPolicy,
    inject: source.inject ?? [],
  };
}
