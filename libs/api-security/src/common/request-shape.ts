import { reserveRequestSlots } from './request-slots';

/*
 * Express 5 swaps the prototype of every request and response (`Object.setPrototypeOf(req,
 * app.request)`). V8 keeps hidden-class transitions only in the tree a class belongs to, and a
 * property added after the swap starts a new class for that one request. Express, its router and
 * body-parser add a dozen such properties to every request (`next`, `baseUrl`, `params`, `body`,
 * `route`, `res.locals`, `res.statusCode`, …): each builds classes and migrates the object, and every
 * inline cache that later sees a request or response meets a class it never saw, so it goes
 * megamorphic. callgrind counted that at more than half of an Express request, and the library's
 * full chain at about a third of its instructions once the properties existed before the swap
 * (`npm run bench:instructions`; figures in docs/benchmarks.md).
 *
 * So the hardener's first `request` listener gives the plain request and response, before Express
 * sees them, every property the first requests gained after it, already holding the value a read
 * would have given (undefined, or the primitive the prototype holds: `statusCode` 200,
 * `_eventsCount` 0). Learning them, rather than listing them, also covers the router's private
 * symbol and whatever the application's own middleware adds (`cookies`, `session`).
 */

/** A property to create before the swap, with the value a read gives without it. */
type Preset = readonly [key: PropertyKey, value: unknown];

/** The part of a response the shape needs: whether every byte of it was handed to the OS. */
interface FinishingResponse {
  readonly writableFinished: boolean;
}

interface Sample {
  readonly request: object;
  readonly response: FinishingResponse;
  /** Own keys right after `prepare`: anything else was added later, mostly after the swap. */
  readonly requestKeys: ReadonlySet<PropertyKey>;
  readonly responseKeys: ReadonlySet<PropertyKey>;
  /** Prototypes before the swap: a preset must read the same under both. */
  readonly requestPrototype: object | null;
  readonly responsePrototype: object | null;
}

/** Requests whose properties are learned from, once they are answered. */
const SAMPLED_REQUESTS = 32;
/** Requests after the last sample whose answer is still awaited before the samples are let go. */
const SAMPLE_PATIENCE = 1024;
/**
 * Most properties preset on a request or a response. What middleware adds is up to the application,
 * and a middleware that copies client input onto the request (`Object.assign(req, req.query)`) would
 * otherwise let the first clients choose how much work every later request does here.
 */
const MAX_PRESETS = 64;
/** Requests whose new fields are widened (see `widen`) after each change of the presets. */
const WIDENED_REQUESTS = 16;
const WIDENING_VALUES: readonly unknown[] = [{}, 'widened', 0];

/**
 * Prepares Express's requests and responses before its prototype swap: the security chain's own
 * slots (`reserveRequestSlots`) and, when `learn` is on, the properties learned from the first
 * answered requests. Each preset holds exactly what a read of the missing property gave, so only
 * an own-property check (`hasOwnProperty`, `Object.keys`) can tell it is there; `learn: false`
 * (`hardening.shapeExpressRequests: false`) leaves those out.
 */
export class RequestShape {
  private readonly requestPresets: Preset[] = [];
  private readonly responsePresets: Preset[] = [];
  /** Keys already judged, kept or not. */
  private readonly judgedRequestKeys = new Set<PropertyKey>();
  private readonly judgedResponseKeys = new Set<PropertyKey>();
  private pending: Sample[] = [];
  private unsampled: number;
  private patience = SAMPLE_PATIENCE;
  private widenings = WIDENED_REQUESTS;

  constructor(learn: boolean) {
    this.unsampled = learn ? SAMPLED_REQUESTS : 0;
  }

  /** Called for every request before the framework sees it. */
  prepare(request: object, response: object & FinishingResponse): void {
    if (this.pending.length > 0) this.learn();
    const watching = this.widenings > 0 || this.unsampled > 0;
    const requestBefore = watching ? new Set(Reflect.ownKeys(request)) : undefined;
    const responseBefore = watching ? new Set(Reflect.ownKeys(response)) : undefined;
    reserveRequestSlots(request);
    applyPresets(request, this.requestPresets);
    applyPresets(response, this.responsePresets);
    if (this.widenings > 0) {
      this.widenings--;
      widen(request, requestBefore as ReadonlySet<PropertyKey>);
      widen(response, responseBefore as ReadonlySet<PropertyKey>);
    }
    if (this.unsampled > 0) {
      this.unsampled--;
      this.pending.push({
        request,
        response,
        requestKeys: new Set(Reflect.ownKeys(request)),
        responseKeys: new Set(Reflect.ownKeys(response)),
        requestPrototype: Object.getPrototypeOf(request) as object | null,
        responsePrototype: Object.getPrototypeOf(response) as object | null,
      });
    }
  }

  /** Folds in the samples answered since the last request; lets go of the rest after a while. */
  private learn(): void {
    let changed = false;
    const waiting: Sample[] = [];
    for (const sample of this.pending) {
      if (!sample.response.writableFinished) {
        waiting.push(sample);
        continue;
      }
      changed =
        judge(
          sample.request,
          sample.requestKeys,
          sample.requestPrototype,
          this.judgedRequestKeys,
          this.requestPresets,
        ) || changed;
      changed =
        judge(
          sample.response,
          sample.responseKeys,
          sample.responsePrototype,
          this.judgedResponseKeys,
          this.responsePresets,
        ) || changed;
    }
    // A request that is never answered (a long poll, a stalled upload) is not held for ever.
    this.pending = this.unsampled > 0 || --this.patience > 0 ? waiting : [];
    // New presets start new fields in the classes requests share: widen them again.
    if (changed) this.widenings = WIDENED_REQUESTS;
  }
}

function applyPresets(target: object, presets: readonly Preset[]): void {
  const fields = target as Record<PropertyKey, unknown>;
  for (const [key, value] of presets) if (!Object.hasOwn(target, key)) fields[key] = value;
}

/** Adds to `presets` the keys `target` gained since `before` that can be created early unseen. */
function judge(
  target: object,
  before: ReadonlySet<PropertyKey>,
  prototypeBefore: object | null,
  judged: Set<PropertyKey>,
  presets: Preset[],
): boolean {
  let added = false;
  for (const key of Reflect.ownKeys(target)) {
    if (presets.length >= MAX_PRESETS) break;
    if (before.has(key) || judged.has(key) || key === '__proto__') continue;
    judged.add(key);
    const preset = presetOf(target, key, prototypeBefore);
    if (preset === undefined) continue;
    presets.push(preset);
    added = true;
  }
  return added;
}

const NOT_PRESETTABLE = Symbol('not presettable');

/**
 * The value to create `key` with, when creating it early changes nothing a read or a plain write
 * sees: the property was made by a plain assignment, and both before and after the swap a read of
 * the missing property gives the same primitive, through no getter or setter. An object value is
 * never preset: a shared object would outlive one request.
 */
function presetOf(target: object, key: PropertyKey, prototypeBefore: object | null): Preset | undefined {
  const own = Reflect.getOwnPropertyDescriptor(target, key);
  if (!own || !('value' in own) || !own.writable || !own.enumerable || !own.configurable) return undefined;
  const after = inheritedValue(Object.getPrototypeOf(target) as object | null, key);
  const before = inheritedValue(prototypeBefore, key);
  if (after === NOT_PRESETTABLE || !Object.is(after, before)) return undefined;
  return [key, after];
}

/** What reading `key` through `prototype` gives, when that is a primitive read without a getter. */
function inheritedValue(prototype: object | null, key: PropertyKey): unknown {
  for (let holder = prototype; holder !== null; holder = Object.getPrototypeOf(holder) as object | null) {
    const descriptor = Reflect.getOwnPropertyDescriptor(holder, key);
    if (descriptor === undefined) continue;
    if (!('value' in descriptor) || !descriptor.writable) return NOT_PRESETTABLE;
    const value: unknown = descriptor.value;
    return value === null || (typeof value !== 'object' && typeof value !== 'function') ? value : NOT_PRESETTABLE;
  }
  return undefined;
}

/*
 * V8 marks a field written once as constant, and the first write of another value makes it
 * mutable. In the tree all requests share, that happens once; after Express's swap it happens
 * again on every request, whose classes are its own (`node --trace-generalization`: three per
 * request for the chain's slots alone). So each new field of the first requests is written a few
 * more times here, with values of every representation, before Express copies the class, and then
 * given back its value: with no other code running in between, nothing sees the others.
 */
function widen(target: object, before: ReadonlySet<PropertyKey>): void {
  const fields = target as Record<PropertyKey, unknown>;
  for (const key of Reflect.ownKeys(target)) {
    if (before.has(key)) continue;
    const value = fields[key];
    for (const other of WIDENING_VALUES) fields[key] = other;
    fields[key] = value;
  }
}
