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
  const slots = request as PrincipalSlots;
  if (!('principal' in slots)) slots.principal = undefined;
  if (!('user' in slots)) slots.user = undefined;
  reserveCredentialGate(request);
  reserveRevocationDeferral(request);
  reserveBodyFacts(request);
}
