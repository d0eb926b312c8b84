import { findPrototypeKeys } from './prototype-keys';

const parse = (raw: string): unknown => JSON.parse(raw);

describe('findPrototypeKeys', () => {
  it('finds __proto__, which JSON.parse creates as an own key', () => {
    expect(findPrototypeKeys(parse('{"__proto__": {"isAdmin": true}}'))).toEqual(['__proto__']);
  });

  it('finds constructor and prototype at any depth', () => {
    expect(findPrototypeKeys(parse('{"a": {"constructor": {"prototype": {}}}}'))).toEqual(['a.constructor']);
    expect(findPrototypeKeys(parse('{"a": {"b": {"c": {"prototype": 1}}}}'))).toEqual(['a.b.c.prototype']);
  });

  it('finds keys in objects inside arrays, and in array bodies', () => {
    expect(findPrototypeKeys(parse('[{"prototype": 1}]'))).toEqual(['[0].prototype']);
    expect(findPrototypeKeys(parse('{"items": [{"ok": 1}, [{"__proto__": {}}]]}'))).toEqual(['items[1][0].__proto__']);
  });

  it('reports several in document order, up to the limit', () => {
    expect(findPrototypeKeys(parse('{"a": {"prototype": 1}, "b": [{"constructor": 2}]}'))).toEqual([
      'a.prototype',
      'b[0].constructor',
    ]);
    const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, { prototype: i }]));
    expect(findPrototypeKeys(many)).toHaveLength(10);
  });

  it('accepts ordinary bodies, values named like the keys, and non-objects', () => {
    expect(findPrototypeKeys(parse('{"name": "constructor", "tags": ["__proto__", "prototype"]}'))).toEqual([]);
    for (const value of [null, undefined, 'x', 1, []]) expect(findPrototypeKeys(value)).toEqual([]);
  });

  it('bounds the reported path and survives a deeply nested body', () => {
    const long = 'k'.repeat(500);
    expect(findPrototypeKeys({ [long]: { prototype: 1 } })[0]).toHaveLength(201);
    let deep: unknown = { prototype: 1 };
    for (let i = 0; i < 50_000; i++) deep = [deep];
    expect(findPrototypeKeys(deep)).toHaveLength(1);
  });
});
