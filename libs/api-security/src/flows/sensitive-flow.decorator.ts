import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FlowOutcomeInterceptor } from './flow-outcome.interceptor';
import { compileFlowPolicy, type SensitiveFlowPolicy } from './sensitive-flow.policy';

/** What `@SensitiveFlow` records on a handler; compiled into the route plan at boot. */
export interface DeclaredFlow {
  readonly name: string;
  readonly policy: Readonly<SensitiveFlowPolicy>;
}

const FlowMetadata = Reflector.createDecorator<DeclaredFlow>({ key: 'api-security:sensitive-flow' });

/**
 * Protects an abuse-prone business flow (OWASP API6: checkout, sign-up, voucher redemption,
 * password reset…) with velocity limits per principal and per IP, a cooldown after success and an
 * optional proof-of-work challenge. Checked by the security guard as its last step, after
 * authentication, roles and ownership; `@SkipThrottle()` has no effect on it.
 *
 * The policy is validated when the decorator is applied (a bad limit such as `'5/hour'` throws,
 * naming the route). Values known only at run time (environment) come from `provideFlowPolicy`.
 * Refusals answer 429 `ERR_FLOW_LIMITED` with `Retry-After`, 400 `ERR_CHALLENGE_REQUIRED` /
 * `ERR_CHALLENGE_INVALID` or 409 `ERR_CHALLENGE_REUSED`, and emit a `flow.refused` event; a
 * `FlowEscalation` registered under `FLOW_ESCALATION` may escalate instead (CAPTCHA, step-up).
 *
 * @example
 * ```ts
 * @Post('checkout')
 * @SensitiveFlow('checkout', { perPrincipal: '5/3600s', count: 'successes', challenge: { difficulty: 4 } })
 * checkout(@Body() body: CheckoutDto) {}
 * ```
 */
export function SensitiveFlow(name: string, policy: SensitiveFlowPolicy = {}): MethodDecorator {
  return (target, key, descriptor) => {
    const where = `${(target as { constructor: { name: string } }).constructor.name}.${String(key)}`;
    compileFlowPolicy(name, policy, where, false);
    const declared: DeclaredFlow = Object.freeze({ name, policy: Object.freeze({ ...policy }) });
    applyDecorators(FlowMetadata(declared), UseInterceptors(FlowOutcomeInterceptor))(target, key, descriptor);
  };
}

/** The `@SensitiveFlow` on a handler, if any. Boot-time only. */
export function declaredFlow(reflector: Reflector, handler: object): DeclaredFlow | undefined {
  return reflector.get(FlowMetadata, handler as () => unknown);
}
