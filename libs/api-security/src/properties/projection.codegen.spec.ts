import { fieldCopier, generatedCopier, interpretedCopier, type ValueProjector } from './projection.codegen';
import { VisibleTo } from './visible-to.decorator';

class Child {
  constructor(readonly label: string) {}
}

const projector: ValueProjector = {
  value: (value, depth) => ({ projected: value, depth }),
  instance: (object, type, depth) => ({ instance: (object as { label?: string }).label, type: type.name, depth }),
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
