import type { SecurityRequest } from '../common/security-principal';
import { eventContext } from '../audit/event-context';
import type { SecurityEvent } from '../audit/security-event';
import type { RoutePlan } from '../plan/route-plan';

/** Attacker-controlled values (ids) are cut short before they reach an event: they are evidence, not payload. */
const MAX_DETAIL_LENGTH = 128;

/** Shortens a client-supplied value for an event or a log line. */
export function shortened(value: string): string {
  return value.length > MAX_DETAIL_LENGTH ? `${value.slice(0, MAX_DETAIL_LENGTH)}…` : value;
}

/** The `access.denied` event for a refused request, with who, where and why. */
export function accessDeniedEvent(
  request: SecurityRequest,
  plan: RoutePlan,
  reason: 'role' | 'scope' | 'ownership',
  details: Readonly<Record<string, string | number | boolean | null>>,
): SecurityEvent {
  return {
    type: 'access.denied',
    reason,
    ...eventContext(request, plan.key),
    ...(request.principal ? { principalId: request.principal.id } : {}),
    details,
  };
}
