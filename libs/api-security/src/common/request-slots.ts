import { reserveBodyFacts } from './body-facts';
import { reserveCredentialGate } from './credential-gate';
import { reserveRevocationDeferral } from './deferred-revocation';

type PrincipalSlots = { principal?: unknown; user?: unknown };

/*
 * Express 5 swaps every request's prototype (`Object.setPrototypeOf(req, app.request)`). V8 keeps no
 * hidden-class transitions from the class a request has after that swap, so each property added
 * afterwards builds a new hidden class for that one request: about 1.5 µs a property, measured, where
 * a plain IncomingMessage takes some 60 ns. Added here, on the plain IncomingMessage in the HTTP
 * server's first `request` listener, the same properties are later ordinary writes to existing fields.
 */

/**
 * Adds, empty, every property the security chain sets on a request (`principal`, `user` and the
 * chain's private slots), unless already present. Called before the framework sees the request.
 */
export function reserveRequestSlots(request: object): void {
  const before = widenings > 0 ? new Set(Reflect.ownKeys(request)) : undefined;
  const slots = request as PrincipalSlots;
  if (!('principal' in slots)) slots.principal = undefined;
  if (!('user' in slots)) slots.user = undefined;
  reserveCredentialGate(request);
  reserveRevocationDeferral(request);
  reserveBodyFacts(request);
  if (before !== undefined) {
    widenings--;
    widenSlots(request, before);
  }
}

/*
 * V8 marks a field written once as constant, and the chain's first write over a reserved `undefined`
 * makes it mutable. On a plain IncomingMessage that happens once, in the hidden-class tree all
 * requests share. After Express's prototype swap it happens again on every request, whose classes are
 * its own (`node --trace-generalization` on the bench's Express server: three per request, the
 * credential gate's set and clear in the rate-limit step and `user` in authentication). So each new
 * slot of the first requests is written twice more here, in the shared tree before Express copies
 * the class, and left empty: with no other code running in between, nothing sees those values. The
 * per-request generalizations are then gone, and callgrind counts about 12k fewer instructions per
 * Express request (`npm run bench:instructions` style, median of five windows of 1,000 requests). A
 * few requests rather than one, in case the first ones differ in shape.
 */
let widenings = 16;
const WIDENING_VALUES: readonly unknown[] = [{}, 'widened', undefined];

function widenSlots(request: object, before: ReadonlySet<PropertyKey>): void {
  const slots = request as Record<PropertyKey, unknown>;
  for (const key of Reflect.ownKeys(request)) {
    if (before.has(key)) continue;
    for (const value of WIDENING_VALUES) slots[key] = value;
  }
}
