/** Keys that can reach an object's prototype when a body is merged or assigned into an object. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * What the guard's one walk of a parsed body found, for the steps after it. The `request-limits`
 * step walks the body for its shape limits and notes on the way whether a prototype key occurs;
 * `write-policy` reads that instead of walking the body a second time.
 */
export interface BodyFacts {
  /** The body object walked: facts hold for this object only. */
  readonly body: object;
  /**
   * Whether a `__proto__`, `constructor` or `prototype` key may occur, at any depth. `false` is
   * exact; `true` may be a false alarm (an inherited enumerable key), so its paths are found again.
   */
  readonly prototypeKeys: boolean;
}

/**
 * The facts ride on the request under a symbol no one else holds (not enumerable by JSON or
 * `Object.keys`), rather than in a WeakMap: a WeakMap entry per request is an ephemeron the garbage
 * collector must trace for every request.
 */
const FACTS = Symbol('api-security.bodyFacts');
type FactsRequest = { [FACTS]?: BodyFacts };

/** Gives the request its slot, empty, before a framework changes its prototype (see `reserveRequestSlots`). */
export function reserveBodyFacts(request: object): void {
  (request as FactsRequest)[FACTS] = undefined;
}

/** Records what the walk of `found.body` found, for the rest of this request's guard chain. */
export function recordBodyFacts(request: object, found: BodyFacts): void {
  (request as FactsRequest)[FACTS] = found;
}

/**
 * The facts recorded for this request, when they describe `body`: a body replaced since it was
 * walked (by an application step, say) has none, and its reader walks it again. Steps between the
 * walk and its reader are guard steps; the validation pipe, after interceptors, never reads facts.
 */
export function bodyFactsOf(request: object, body: object): BodyFacts | undefined {
  const found = (request as FactsRequest)[FACTS];
  return found?.body === body ? found : undefined;
}
