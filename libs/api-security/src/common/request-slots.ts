import { reserveBodyFacts } from './body-facts';
import { reserveCredentialGate } from './credential-gate';
import { reserveRevocationDeferral } from './deferred-revocation';

type PrincipalSlots = { principal?: unknown; user?: unknown };

/**
 * Adds, empty, every property the security chain sets on a request (`principal`, `user` and the
 * chain's private slots), unless already present. Called before the framework sees the request,
 * whose prototype Express swaps (see `RequestShape`).
 */
export function reserveRequestSlots(request: object): void {
  const slots = request as PrincipalSlots;
  if (!('principal' in slots)) slots.principal = undefined;
  if (!('user' in slots)) slots.user = undefined;
  reserveCredentialGate(request);
  reserveRevocationDeferral(request);
  reserveBodyFacts(request);
}
