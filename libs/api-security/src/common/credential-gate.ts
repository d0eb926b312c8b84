/*
 * The check a request must pass before anything costly is done with its credential (a signature
 * verification, a password hash, a database lookup, a failure event). The security guard sets it
 * per request (the rate-limit pre-check); authenticators that know which of their paths are cheap
 * (a verified-token cache hit, no credential at all) call it only on the costly ones, and the
 * authentication step calls it before any other authenticator. It runs at most once per request.
 */

type Gate = () => Promise<void>;

/**
 * The gate rides on the request under a symbol no one else holds, rather than in a WeakMap: a
 * WeakMap entry per request is an ephemeron the garbage collector must trace for every request.
 */
const GATE = Symbol('api-security.credentialGate');
type GatedRequest = { [GATE]?: Gate };

const gated = new WeakSet<object>();
const OPEN: Promise<void> = Promise.resolve();

/** Sets the request's gate, run at most once however many authenticators reach it. */
export function setCredentialGate(request: object, gate: Gate): void {
  let pending: Promise<void> | undefined;
  (request as GatedRequest)[GATE] = () => (pending ??= gate());
}

/** Resolves when the request may go on to its costly checks; rejects (e.g. 429) otherwise. */
export function passCredentialGate(request: object): Promise<void> {
  const gate = (request as GatedRequest)[GATE];
  return gate === undefined ? OPEN : gate();
}

/** Marks an authenticator that calls {@link passCredentialGate} itself, before its costly work. */
export function callsCredentialGate(authenticator: object): void {
  gated.add(authenticator);
}

/** True when the authenticator runs the gate itself; otherwise the step runs it first. */
export function runsCredentialGate(authenticator: object): boolean {
  return gated.has(authenticator);
}
