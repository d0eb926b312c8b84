import { RequestShape } from './request-shape';

type Fields = Record<PropertyKey, unknown>;

const ROUTED = Symbol('router.private');

let headerSetterCalls = 0;

/** Node's prototypes stand-in: one inherited primitive, one inherited object, one setter. */
const nodeRequest: object = Object.create(Object.prototype, {
  _eventsCount: { value: 0, writable: true },
  shared: { value: { shared: true }, writable: true },
  headers: {
    get: () => ({}),
    set: () => {
      headerSetterCalls++;
    },
  },
});
const nodeResponse: object = Object.create(Object.prototype, { statusCode: { value: 200, writable: true } });
/** Express's stand-in, swapped in by `handle`: a primitive that differs from Node's (undefined). */
const appRequest: object = Object.create(nodeRequest, { protocol: { value: 'http', writable: true } });
const appResponse: object = Object.create(nodeResponse);

interface Exchange {
  request: Fields;
  response: Fields & { writableFinished: boolean };
}

function exchange(): Exchange {
  return {
    request: Object.create(nodeRequest) as Fields,
    response: Object.assign(Object.create(nodeResponse) as Fields, { writableFinished: false }),
  };
}

/** What Express does to a request after the hardener's listener: a swap, then properties. */
function handle({ request, response }: Exchange): void {
  Object.setPrototypeOf(request, appRequest);
  Object.setPrototypeOf(response, appResponse);
  request.next = () => undefined;
  request.params = { id: '1' };
  request.body = undefined;
  request[ROUTED] = '/orders/:id';
  request._eventsCount = 1;
  request.protocol = 'https';
  request.shared = { own: true };
  Object.defineProperty(request, 'hidden', { value: 1, writable: true, configurable: true, enumerable: false });
  // An own data property over an inherited setter, made as a plain assignment would have made it.
  Object.defineProperty(request, 'headers', {
    value: { own: true },
    writable: true,
    configurable: true,
    enumerable: true,
  });
  response.locals = Object.create(null) as object;
  response.statusCode = 201;
  response.writableFinished = true;
}

/** One request through the shape and the framework. */
function serve(shape: RequestShape): void {
  const current = exchange();
  shape.prepare(current.request, current.response);
  handle(current);
}

/** The own keys of a request and its response after `prepare`, before the framework's swap. */
function ownKeysBeforeSwap(shape: RequestShape): { request: Set<PropertyKey>; response: Set<PropertyKey> } {
  const current = exchange();
  shape.prepare(current.request, current.response);
  const own = {
    request: new Set(Reflect.ownKeys(current.request)),
    response: new Set(Reflect.ownKeys(current.response)),
  };
  handle(current);
  return own;
}

describe('RequestShape', () => {
  it("creates, before the swap, the properties the first answered request gained after it, with a read's value", () => {
    const shape = new RequestShape(true);
    serve(shape);
    const current = exchange();
    shape.prepare(current.request, current.response);
    const request = current.request;
    expect(Object.hasOwn(request, 'next')).toBe(true);
    expect(Object.hasOwn(request, 'params')).toBe(true);
    expect(Object.hasOwn(request, 'body')).toBe(true);
    expect(Object.hasOwn(request, ROUTED)).toBe(true);
    expect(request.next).toBeUndefined();
    expect(request.params).toBeUndefined();
    expect(request[ROUTED]).toBeUndefined();
    // The inherited primitive, as a read without the property gave.
    expect(Object.hasOwn(request, '_eventsCount')).toBe(true);
    expect(request._eventsCount).toBe(0);
    expect(Object.hasOwn(current.response, 'locals')).toBe(true);
    expect(current.response.locals).toBeUndefined();
    expect(Object.hasOwn(current.response, 'statusCode')).toBe(true);
    expect(current.response.statusCode).toBe(200);
  });

  it('creates nothing a read or a write would see differently', () => {
    headerSetterCalls = 0;
    const shape = new RequestShape(true);
    serve(shape);
    const { request } = ownKeysBeforeSwap(shape);
    // Made by defineProperty, not by an assignment.
    expect(request.has('hidden')).toBe(false);
    // Reads differently before ('undefined') and after the swap ('http').
    expect(request.has('protocol')).toBe(false);
    // Inherits an object: an own copy would be one object shared by every request.
    expect(request.has('shared')).toBe(false);
    // Inherits a setter: an early assignment would run it, and with another value.
    expect(request.has('headers')).toBe(false);
    expect(headerSetterCalls).toBe(0);
  });

  it('presets at most 64 properties, however many a middleware copies from client input', () => {
    const shape = new RequestShape(true);
    const first = exchange();
    shape.prepare(first.request, first.response);
    handle(first);
    for (let i = 0; i < 1000; i++) first.request[`q${i}`] = 'from the query string';
    const { request } = ownKeysBeforeSwap(shape);
    // The chain's own six slots, then 64 learned properties.
    expect(request.size).toBe(6 + 64);
  });

  it('keeps a value another listener set before it', () => {
    const shape = new RequestShape(true);
    serve(shape);
    const current = exchange();
    current.request.params = { set: 'earlier' };
    shape.prepare(current.request, current.response);
    expect(current.request.params).toEqual({ set: 'earlier' });
  });

  it('learns from a request only once it is answered', () => {
    const shape = new RequestShape(true);
    const first = exchange();
    shape.prepare(first.request, first.response);
    handle(first);
    first.response.writableFinished = false;
    expect(ownKeysBeforeSwap(shape).request.has('params')).toBe(false);
    first.response.writableFinished = true;
    // The second request was answered too, so both are learned from by now.
    ownKeysBeforeSwap(shape);
    expect(ownKeysBeforeSwap(shape).request.has('params')).toBe(true);
  });

  it("with learn off, reserves only the chain's own slots", () => {
    const shape = new RequestShape(false);
    serve(shape);
    serve(shape);
    const { request, response } = ownKeysBeforeSwap(shape);
    expect([...request].map(String).sort()).toEqual(
      [
        'principal',
        'user',
        'Symbol(api-security.bodyFacts)',
        'Symbol(api-security.credentialGate)',
        'Symbol(api-security.deferredRevocation)',
        'Symbol(api-security.revocationDeferralOffered)',
      ].sort(),
    );
    expect([...response]).toEqual(['writableFinished']);
  });

  it('leaves every property it creates or widens reading as it would without it, first requests and later', () => {
    const shape = new RequestShape(true);
    const withoutRequest = Object.create(nodeRequest) as Fields;
    const withoutResponse = Object.create(nodeResponse) as Fields;
    for (let i = 0; i < 40; i++) {
      const current = exchange();
      const before = {
        request: new Set(Reflect.ownKeys(current.request)),
        response: new Set(Reflect.ownKeys(current.response)),
      };
      shape.prepare(current.request, current.response);
      const request = Reflect.ownKeys(current.request).filter((key) => !before.request.has(key));
      const response = Reflect.ownKeys(current.response).filter((key) => !before.response.has(key));
      expect(request.length).toBe(i === 0 ? 6 : 11);
      expect(response.length).toBe(i === 0 ? 0 : 2);
      for (const key of request) expect(current.request[key]).toBe(withoutRequest[key]);
      for (const key of response) expect(current.response[key]).toBe(withoutResponse[key]);
      handle(current);
    }
  });
});
