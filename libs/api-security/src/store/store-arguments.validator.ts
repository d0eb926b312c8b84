/*
 * Argument checks shared by every SecurityStore implementation, so that a bad call fails the
 * same way (TypeError, before any I/O) whichever backend is configured.
 */

export function assertKey(key: unknown, name = 'key'): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new TypeError(`SecurityStore: ${name} must be a non-empty string.`);
  }
}

/** {@link assertKey} for `list[i]` (+ `suffix`): the name is only built for the error, never per call. */
function assertKeyAt(key: unknown, list: string, i: number, suffix = ''): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) assertKey(key, `${list}[${i}]${suffix}`);
}

export function assertKeys(keys: unknown): asserts keys is readonly string[] {
  if (!Array.isArray(keys)) {
    throw new TypeError('SecurityStore: keys must be an array of non-empty strings.');
  }
  for (let i = 0; i < keys.length; i++) {
    assertKeyAt(keys[i], 'keys', i);
  }
}

export function assertTtl(ttlMs: unknown): asserts ttlMs is number {
  // Redis PX only takes integers; a fractional or huge TTL is almost always a unit mistake.
  if (typeof ttlMs !== 'number' || !Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new TypeError(
      `SecurityStore: ttlMs must be a positive integer number of milliseconds, got ${String(ttlMs)}.`,
    );
  }
}

export function assertBy(by: unknown): asserts by is number {
  if (typeof by !== 'number' || !Number.isSafeInteger(by)) {
    throw new TypeError(`SecurityStore: by must be a finite integer, got ${String(by)}.`);
  }
}

export function assertValue(value: unknown): asserts value is string {
  if (typeof value !== 'string') {
    throw new TypeError('SecurityStore: value must be a string.');
  }
}

function assertCount(value: unknown, lowest: number, i: number, field: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < lowest) {
    throw new TypeError(`SecurityStore: requests[${i}].${field} must be a positive integer, got ${String(value)}.`);
  }
}

/** Counters per consume call: a request has a handful of tiers, never hundreds. */
const MAX_CONSUME = 16;

export function assertConsumeRequests(requests: unknown): asserts requests is readonly ConsumeRequestShape[] {
  if (!Array.isArray(requests) || requests.length > MAX_CONSUME) {
    throw new TypeError(`SecurityStore: consume takes an array of at most ${MAX_CONSUME} requests.`);
  }
  requests.forEach((request: Partial<ConsumeRequestShape> | null, i) => {
    if (typeof request !== 'object' || request === null) {
      throw new TypeError(`SecurityStore: consume requests[${i}] must be an object.`);
    }
    assertKeyAt(request.key, 'requests', i, '.key');
    const cost = request.cost;
    if (typeof cost !== 'number' || !Number.isSafeInteger(cost) || cost < 0) {
      throw new TypeError(`SecurityStore: requests[${i}].cost must be an integer >= 0, got ${String(cost)}.`);
    }
    // A check (cost 0) may ask "is there room for n more?" as a limit lowered by n, down to 0.
    const lowest = cost === 0 ? 0 : 1;
    assertCount(request.limit, lowest, i, 'limit');
    assertCount(request.windowMs, 1, i, 'windowMs');
    const block = request.blockMs;
    if (typeof block !== 'number' || !Number.isSafeInteger(block) || block < 0) {
      throw new TypeError(`SecurityStore: requests[${i}].blockMs must be an integer >= 0, got ${String(block)}.`);
    }
  });
}

interface ConsumeRequestShape {
  key: string;
  cost: number;
  limit: number;
  windowMs: number;
  blockMs: number;
}

export function assertReserveRequests(requests: unknown): asserts requests is readonly ReserveRequestShape[] {
  assertRequestList('reserve', requests);
  requests.forEach((item: unknown, i) => {
    if (typeof item !== 'object' || item === null) {
      throw new TypeError(`SecurityStore: reserve requests[${i}] must be an object.`);
    }
    const request = item as Partial<ReserveRequestShape>;
    assertKeyAt(request.key, 'requests', i, '.key');
    assertInteger(request.cost, `requests[${i}].cost`, 0);
    assertInteger(request.limit, `requests[${i}].limit`, 0);
    assertInteger(request.windowMs, `requests[${i}].windowMs`, 1);
  });
  assertDistinctKeys('reserve', requests as readonly ReserveRequestShape[]);
}

export function assertReleaseRequests(requests: unknown): asserts requests is readonly ReleaseRequestShape[] {
  assertRequestList('release', requests);
  requests.forEach((item: unknown, i) => {
    if (typeof item !== 'object' || item === null) {
      throw new TypeError(`SecurityStore: release requests[${i}] must be an object.`);
    }
    const request = item as Partial<ReleaseRequestShape>;
    assertKeyAt(request.key, 'requests', i, '.key');
    assertInteger(request.cost, `requests[${i}].cost`, 1);
    assertInteger(request.resetMs, `requests[${i}].resetMs`, 0);
  });
  assertDistinctKeys('release', requests as readonly ReleaseRequestShape[]);
}

function assertRequestList(operation: string, requests: unknown): asserts requests is readonly object[] {
  if (!Array.isArray(requests) || requests.length > MAX_CONSUME) {
    throw new TypeError(`SecurityStore: ${operation} takes an array of at most ${MAX_CONSUME} requests.`);
  }
}

function assertInteger(value: unknown, name: string, min: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`SecurityStore: ${name} must be an integer >= ${min}, got ${String(value)}.`);
  }
}

/** One key twice in a call would be checked against its old value twice: refused outright. */
function assertDistinctKeys(operation: string, requests: readonly { key: string }[]): void {
  if (new Set(requests.map((request) => request.key)).size !== requests.length) {
    throw new TypeError(`SecurityStore: ${operation} takes each key at most once per call.`);
  }
}

interface ReserveRequestShape {
  key: string;
  cost: number;
  limit: number;
  windowMs: number;
}

interface ReleaseRequestShape {
  key: string;
  cost: number;
  resetMs: number;
}

/** Marks per consumeIfClear call: a credential has a handful of revocation records. */
const MAX_MARKS = 16;

export function assertConsumeIfClearRequest(request: unknown): asserts request is ConsumeIfClearShape {
  if (typeof request !== 'object' || request === null) {
    throw new TypeError('SecurityStore: consumeIfClear takes an object { marks, stamp?, counters }.');
  }
  const { marks, stamp, counters } = request as Partial<ConsumeIfClearShape>;
  if (!Array.isArray(marks) || marks.length > MAX_MARKS) {
    throw new TypeError(`SecurityStore: consumeIfClear marks must be an array of at most ${MAX_MARKS} keys.`);
  }
  for (let i = 0; i < marks.length; i++) assertKeyAt(marks[i], 'marks', i);
  if (stamp !== undefined) {
    if (typeof stamp !== 'object' || stamp === null) {
      throw new TypeError('SecurityStore: consumeIfClear stamp must be { key, atMostMs }.');
    }
    assertKey(stamp.key, 'stamp.key');
    if (typeof stamp.atMostMs !== 'number' || !Number.isSafeInteger(stamp.atMostMs)) {
      throw new TypeError(`SecurityStore: stamp.atMostMs must be an integer, got ${String(stamp.atMostMs)}.`);
    }
  }
  assertConsumeRequests(counters);
}

interface ConsumeIfClearShape {
  marks: readonly string[];
  stamp?: { key: string; atMostMs: number };
  counters: readonly ConsumeRequestShape[];
}
