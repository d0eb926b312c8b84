import { jsonShapeViolation } from './json-shape';

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
