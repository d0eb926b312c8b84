import type { SecurityRequest } from '../common/security-principal';
import type { RoutePlan } from '../plan/route-plan';
import type { FlowRefusal } from './flow-refusal';

/** `refuse`: answer the default refusal. `allow`: let this request through the flow check. */
export type FlowEscalationDecision = 'refuse' | 'allow';

/**
 * Called by the flow check instead of refusing outright, so an app can escalate: accept a request
 * that carries a valid CAPTCHA answer or a fresh step-up authentication (`allow`), or demand one
 * by throwing its own exception (e.g. a 401 or 403 with its own code). Returning `refuse` gives the
 * default answer. Register a provider under {@link FLOW_ESCALATION}; without one every refusal
 * stands. Every refusal still emits `flow.refused`, and an allowed one `flow.escalated`.
 *
 * Called for every refusal reason, challenge refusals included: an app may accept a CAPTCHA from
 * clients that cannot do the proof of work. It runs in the guard, before validation pipes, so read
 * the request defensively.
 */
export interface FlowEscalation {
  escalate(
    refusal: FlowRefusal,
    request: SecurityRequest,
    route: RoutePlan,
  ): FlowEscalationDecision | Promise<FlowEscalationDecision>;
}

/** Injection token for the app's {@link FlowEscalation}. */
export const FLOW_ESCALATION = Symbol.for('api-security:FlowEscalation');

/** The default: every refusal stands. */
export class RefuseFlowEscalation implements FlowEscalation {
  escalate(): FlowEscalationDecision {
    return 'refuse';
  }
}
