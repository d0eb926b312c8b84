/*
 * The check a request must pass before anything costly is done with its credential (a signature
 * verification, a password hash, a database lookup, a failure event). The security guard sets it
 * per request (the rate-limit pre-check); authenticators that know which of their paths are cheap
 * (a verified-token cache hit, no credential at all) call it only on the costly ones, and the
 * authentication step calls it before any other authenticator. It runs at most once per request.
 */

/** What a request must pass before its credential is checked at cost (the rate-limit pre-check). */
export interface CredentialGate {
  /** Resolves when the request may go on; rejects (e.g. 429) otherwise. Called at most once per request. */
  open(): Promise<void>;
}

/**
 * The gate rides on the request under a symbol no one else holds, rather than in a WeakMap (a
 * WeakMap entry per request is an ephemeron the garbage collector must trace for every request),
 * and as an object rather than a closure: a closure made inside the step would capture the step's
 * whole async frame (execution context, response) and, hung on the request, make V8 keep those
 * frames in the old generation; that once made every young-generation collection several times
 * costlier (measured: 0.5 ms to 3.5 ms per scavenge under load).
 */
const GATE = Symbol('api-security.credentialGate');
type GatedRequest = { [GATE]?: GateSlot };

class GateSlot {
  pending: Promise<void> | undefined = undefined;
  constructor(readonly gate: CredentialGate) {}
}

const gated = new WeakSet<object>();
const OPEN: Promise<void> = Promise.resolve();

/** Sets the request's gate, opened at most once however many authenticators reach it. */
export function setCredentialGate(request: object, gate: CredentialGate): void {
  (request as GatedRequest)[GATE] = new GateSlot(gate);
}

/** Gives the request its gate slot, empty, before a framework changes its prototype (see `reserveRequestSlots`). */
export function reserveCredentialGate(request: object): void {
  (request as GatedRequest)[GATE] = undefined;
}

/** Removes the request's gate once the checks it guards are over. */
export function clearCredentialGate(request: object): void {
  (request as GatedRequest)[GATE] = undefined;
}

/** Resolves when the request may go on to its costly checks; rejects (e.g. 429) otherwise. */
export function passCredentialGate(request: object): Promise<void> {
  const slot = (request as GatedRequest)[GATE];
  return slot === undefined ? OPEN : (slot.pending ??= slot.gate.open());
}

/** Marks an authenticator that calls {@link passCredentialGate} itself, before its costly work. */
export function callsCredentialGate(authenticator: object): void {
  gated.add(authenticator);
}

/** True when the authenticator runs the gate itself; otherwise the step runs it first. */
export function runsCredentialGate(authenticator: object): boolean {
  return gated.has(authenticator);
}
