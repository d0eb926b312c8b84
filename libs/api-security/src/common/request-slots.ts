import { reserveBodyFacts } from './body-facts';
import { reserveCredentialGate } from './credential-gate';
import { reserveRevocationDeferral } from './deferred-revocation';

type PrincipalSlots = { principal?: unknown; user?: unknown };

/*
 * Express 5 gives every request a prototype of its own (`Object.setPrototypeOf(req, app.request)`).
 * From then on V8 shares no hidden-class transitions with any other request, so each property added
 * afterwards builds new hidden classes for that one request: about 1.5 µs a property, measured, where a
 * plain IncomingMessage takes some 60 ns. Added here, on the plain IncomingMessage in the HTTP server's
 * first `request` listener, the same properties are later ordinary writes to existing fields.
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
