import { inspectJsonShape, jsonShapeViolation } from './json-shape';

const limits = { maxDepth: 4, maxKeys: 5, maxArrayLength: 3, maxStringLength: 10 };

describe('jsonShapeViolation', () => {
  it('accepts a body within every limit', () => {
    expect(jsonShapeViolation({ a: [1, 2, { b: 'short' }], c: null }, limits)).toBeUndefined();
    expect(jsonShapeViolation('plain', limits)).toBeUndefined();
  });

  it('reports depth, keys, array length and string length', () => {
    expect(jsonShapeViolation({ a: { b: { c: { d: {} } } } }, limits)).toBe('depth');
    expect(jsonShapeViolation([[[[[]]]]], limits)).toBe('depth');
    expect(jsonShapeViolation({ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 }, limits)).toBe('keys');
    expect(jsonShapeViolation({ a: { b: 1, c: 2 }, d: { e: 3, f: 4 } }, limits)).toBe('keys');
    expect(jsonShapeViolation({ a: [1, 2, 3, 4] }, limits)).toBe('array');
    expect(jsonShapeViolation({ a: 'x'.repeat(11) }, limits)).toBe('string');
    expect(jsonShapeViolation({ ['k'.repeat(11)]: 1 }, limits)).toBe('string');
    expect(jsonShapeViolation(['x'.repeat(11)], limits)).toBe('string');
  });

  it('walks 100,000 levels without recursion', () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(jsonShapeViolation(deep, { ...limits, maxDepth: 256 })).toBe('depth');
  });
});

describe('inspectJsonShape', () => {
  const roomy = { maxDepth: 32, maxKeys: 1000, maxArrayLength: 1000, maxStringLength: 1000 };
  const parse = (json: string): unknown => JSON.parse(json);

  /** What the write-policy step looked for on its own walk before: any such own key, anywhere. */
  function hasPrototypeKey(value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    if (Array.isArray(value)) return value.some(hasPrototypeKey);
    return Object.keys(value).some(
      (key) =>
        key === '__proto__' ||
        key === 'constructor' ||
        key === 'prototype' ||
        hasPrototypeKey((value as Record<string, unknown>)[key]),
    );
  }

  it('notes prototype keys at any depth on the walk that checks the limits', () => {
    expect(inspectJsonShape(parse('{"a": [[{"b": {"__proto__": {}}}]]}'), roomy)).toEqual({
      violation: undefined,
      prototypeKeys: true,
    });
    expect(inspectJsonShape(parse('{"a": {"constructor": {"prototype": 1}}}'), roomy).prototypeKeys).toBe(true);
    expect(inspectJsonShape(parse('[{"prototype": 1}]'), roomy).prototypeKeys).toBe(true);
  });

  it('does not take prototype words as values for keys', () => {
    expect(inspectJsonShape(parse('{"name": "constructor", "tags": ["__proto__"]}'), roomy).prototypeKeys).toBe(false);
    for (const value of [null, 'x', 1, [], {}]) expect(inspectJsonShape(value, roomy).prototypeKeys).toBe(false);
  });

  it('still stops at the first broken limit', () => {
    expect(inspectJsonShape(parse('{"a": {"b": {"c": {"d": {"prototype": 1}}}}}'), limits).violation).toBe('depth');
  });

  it('agrees with a walk of its own on 2,000 generated bodies', () => {
    // mulberry32: a seeded generator, so a failure reproduces.
    let seed = 7;
    const next = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const KEYS = ['a', 'b', 'id', 'items', '__proto__', 'constructor', 'prototype', 'proto'];
    const json = (depth: number): string => {
      const pick = next(depth > 4 ? 3 : 6);
      if (pick === 0) return JSON.stringify(KEYS[next(KEYS.length)]);
      if (pick === 1) return String(next(100));
      if (pick === 2) return 'null';
      if (pick === 3) return `[${Array.from({ length: next(4) }, () => json(depth + 1)).join(',')}]`;
      const members = Array.from(
        { length: next(4) },
        () => `${JSON.stringify(KEYS[next(KEYS.length)])}:${json(depth + 1)}`,
      );
      return `{${members.join(',')}}`;
    };
    let poisoned = 0;
    for (let i = 0; i < 2000; i++) {
      const value = parse(json(0));
      const expected = hasPrototypeKey(value);
      if (expected) poisoned++;
      expect(inspectJsonShape(value, roomy)).toEqual({ violation: undefined, prototypeKeys: expected });
    }
    expect(poisoned).toBeGreaterThan(200);
    expect(poisoned).toBeLessThan(1800);
  });

  it('counts an inherited enumerable key too: a false alarm, never a miss', () => {
    const inherited = Object.create({ constructor: 1 }) as Record<string, unknown>;
    inherited.a = 1;
    expect(inspectJsonShape(inherited, roomy).prototypeKeys).toBe(true);
  });
});
