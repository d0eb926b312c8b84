import { fieldCopier, generatedCopier, interpretedCopier, type ValueProjector } from './projection.codegen';
import type { ClassType } from './visibility.metadata';
import { VisibleTo } from './visible-to.decorator';

class Child {
  constructor(readonly label: string) {}
}

const projector: ValueProjector = {
  value: (value, depth) => ({ projected: value, depth }),
  instance: (object, type, depth) => ({ instance: (object as { label?: string }).label, type: type.name, depth }),
  copier: () => undefined,
};

const FIELDS = ['id', 'child', 'list', 'odd"name\\\u2028', 'missing'];
const MODELS = [undefined, Child, undefined, undefined, undefined];

describe('projection copiers', () => {
  const source = { id: 7, child: new Child('c'), list: [1], 'odd"name\\\u2028': 'x', extra: 'never copied' };

  it('generated and interpreted copiers produce the same objects', () => {
    const generated = generatedCopier(FIELDS, MODELS);
    expect(generated).toBeDefined();
    const expected = {
      id: 7,
      child: { instance: 'c', type: 'Child', depth: 3 },
      list: { projected: [1], depth: 3 },
      'odd"name\\\u2028': 'x',
      missing: undefined,
    };
    expect(generated?.(source, projector, 3)).toEqual(expected);
    expect(interpretedCopier(FIELDS, MODELS)(source, projector, 3)).toEqual(expected);
    expect(Object.keys(fieldCopier(FIELDS, MODELS)(source, projector, 3))).toEqual(FIELDS);
  });

  it('calls the copier the projector hands out for a declared model, one level deeper, and instance otherwise', () => {
    const copy = generatedCopier(['child', 'other'], [Child, Child]);
    const seen: unknown[] = [];
    const direct: ValueProjector = {
      ...projector,
      copier: (type, depth) => {
        seen.push([type.name, depth]);
        return depth === 3
          ? (object, _p, d) => ({ direct: (object as { label?: string }).label, depth: d })
          : undefined;
      },
    };
    expect(copy?.({ child: new Child('c'), other: { label: 'plain' } }, direct, 3)).toEqual({
      child: { direct: 'c', depth: 4 },
      other: { projected: { label: 'plain' }, depth: 3 },
    });
    expect(copy?.({ child: new Child('c') }, direct, 5)).toEqual({
      child: { instance: 'c', type: 'Child', depth: 5 },
      other: undefined,
    });
    expect(seen).toEqual([
      ['Child', 3],
      ['Child', 5],
    ]);
  });

  it('treats property names as data, never as code', () => {
    const hostile = ['a"]; globalThis.pwned = 1; //', '\\"', '}), (globalThis.pwned = 2'];
    const copy = generatedCopier(hostile, [undefined, undefined, undefined]);
    const out = copy?.(Object.fromEntries(hostile.map((k) => [k, k])), projector, 0);
    expect(out).toEqual(Object.fromEntries(hostile.map((k) => [k, k])));
    expect((globalThis as Record<string, unknown>).pwned).toBeUndefined();
  });

  it('copies nothing for an empty plan', () => {
    expect(fieldCopier([], [])({ a: 1 }, projector, 0)).toEqual({});
  });

  it('never generates a __proto__ key, which an object literal would turn into the prototype', () => {
    expect(generatedCopier(['__proto__'], [undefined])).toBeUndefined();
    expect(() => {
      class Bad {
        @VisibleTo('public') ['__proto__']!: unknown;
      }
      return Bad;
    }).toThrow(/other than __proto__/);
  });
});

describe('generated copiers against the interpreted one', () => {
  /** Own properties with their descriptors and the prototype: everything a literal would have made. */
  const shape = (value: object): unknown => ({
    prototype: Object.getPrototypeOf(value) as unknown,
    properties: Object.getOwnPropertyDescriptors(value),
    keys: Reflect.ownKeys(value),
  });

  const TABLE: { name: string; fields: string[]; models?: (ClassType | undefined)[] }[] = [
    { name: 'plain names', fields: ['id', 'name', 'price', 'active'] },
    { name: 'a nested model', fields: ['id', 'child', 'list'], models: [undefined, Child, undefined] },
    {
      name: 'quotes, backslashes and line breaks',
      fields: ['a"b', "c'd", 'e\\f', 'g\nh', 'i\u2028j', 'k\u2029l', '`${x}`'],
    },
    { name: 'names that are not identifiers', fields: ['0', '1.5', 'with space', '-', '', 'ünïcödé', '😀'] },
    { name: 'names of Object.prototype members', fields: ['constructor', 'toString', 'valueOf', 'hasOwnProperty'] },
    { name: 'a member name among ordinary ones', fields: ['id', 'constructor', 'name'] },
    { name: 'names of Function.prototype and array members', fields: ['prototype', 'length', 'call', 'apply', 'bind'] },
    { name: 'no fields', fields: [] },
  ];

  it.each(TABLE)('$name: same own data properties, prototype and order', ({ fields, models }) => {
    const types = models ?? fields.map(() => undefined);
    const source: Record<string, unknown> = Object.fromEntries(fields.map((name, i) => [name, `value ${i}`]));
    if (fields.includes('child')) source.child = new Child('c');
    if (fields.includes('list')) source.list = [1, 2];
    source.extra = 'never copied';
    const generated = generatedCopier(fields, types);
    expect(generated).toBeDefined();
    const fromGenerated = generated?.(source, projector, 1) as object;
    const fromInterpreted = interpretedCopier(fields, types)(source, projector, 1);
    expect(shape(fromGenerated)).toEqual(shape(fromInterpreted));
    expect(Object.getPrototypeOf(fromGenerated)).toBe(Object.prototype);
    expect(JSON.stringify(fromGenerated)).toBe(JSON.stringify(fromInterpreted));
    expect(fromGenerated).not.toHaveProperty('extra');
  });

  it('builds objects with a generated constructor, which carries no allocation site V8 could move to the old generation', () => {
    // An object literal here made V8 allocate every projected object in the old generation once
    // one large response had survived a scavenge (issue 14): keep the constructor.
    expect(String(generatedCopier(['id', 'name'], [undefined, undefined]))).toContain('new Projected(');
    expect(String(generatedCopier([], []))).toContain('new Projected(');
  });

  it('keeps the object literal when a field is named like an Object.prototype member', () => {
    // Assignment would fail on a frozen Object.prototype (override mistake) or call an inherited
    // setter; a literal defines its own property whatever the prototype holds.
    const copy = generatedCopier(['id', 'toString'], [undefined, undefined]);
    expect(String(copy)).not.toContain('new Projected(');
    const out = copy?.({ id: 1, toString: 'text' }, projector, 0) as Record<string, unknown>;
    expect(Object.getOwnPropertyDescriptor(out, 'toString')).toEqual({
      value: 'text',
      writable: true,
      enumerable: true,
      configurable: true,
    });
  });

  it('creates own properties where a polluted Object.prototype holds a value of the same name', () => {
    // What a merge bug can do to Object.prototype: add writable data properties after compilation.
    const copy = generatedCopier(['isAdmin', 'id'], [undefined, undefined]);
    const prototype = Object.prototype as Record<string, unknown>;
    prototype.isAdmin = true;
    try {
      const out = copy?.({ isAdmin: false, id: 1 }, projector, 0) as Record<string, unknown>;
      expect(Object.getOwnPropertyDescriptor(out, 'isAdmin')).toEqual({
        value: false,
        writable: true,
        enumerable: true,
        configurable: true,
      });
      expect(JSON.stringify(out)).toBe('{"isAdmin":false,"id":1}');
    } finally {
      delete prototype.isAdmin;
    }
  });
});
