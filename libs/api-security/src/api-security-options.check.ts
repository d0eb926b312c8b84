import { closestMatch } from './common/closest-match';
import type { ObjectShape, OptionShape, ValueShape } from './api-security-options.schema';

/** Objects whose own keys are options; arrays, Buffers and other binary values are not. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

/** What a walk does at an unknown key and at a given leaf. */
interface Visitor {
  unknownKey(key: string, shape: ObjectShape, path: string, hint: string): void;
  leaf(value: unknown, shape: ValueShape): void;
}

function walkObject(value: Record<string, unknown>, shape: ObjectShape, path: string, visit: Visitor, hint = ''): void {
  for (const [key, child] of Object.entries(value)) {
    const childShape = Object.hasOwn(shape.keys, key) ? shape.keys[key] : undefined;
    if (childShape === undefined) visit.unknownKey(key, shape, path, hint);
    else walk(child, childShape, join(path, key), visit);
  }
}

function walk(value: unknown, shape: OptionShape, path: string, visit: Visitor): void {
  if (value === undefined) return;
  switch (shape.kind) {
    case 'value':
      visit.leaf(value, shape);
      return;
    case 'object':
      if (isRecord(value)) walkObject(value, shape, path, visit);
      return;
    case 'map':
      if (isRecord(value)) {
        for (const [key, child] of Object.entries(value)) walk(child, shape.values, join(path, key), visit);
      }
      return;
    case 'array':
      if (Array.isArray(value)) {
        value.forEach((item: unknown, index) => walk(item, shape.items, `${path}[${index}]`, visit));
      }
      return;
    case 'variants': {
      if (!isRecord(value)) return;
      const tag = value[shape.discriminator];
      const variant = typeof tag === 'string' && Object.hasOwn(shape.variants, tag) ? shape.variants[tag] : undefined;
      if (variant !== undefined) {
        walkObject(value, variant, path, visit, ` for ${join(path, shape.discriminator)} '${tag}'`);
      } else {
        // The discriminator itself is reported by the value checks; still catch keys no variant has.
        const keys = Object.assign({}, ...Object.values(shape.variants).map((v) => v.keys)) as ObjectShape['keys'];
        walkObject(value, { kind: 'object', keys }, path, visit);
      }
      return;
    }
  }
}

/**
 * Every key of `options` that `schema` does not declare, one sentence each naming the full path
 * of the key and, when one is close, the valid key that was probably meant.
 */
export function findUnknownOptions(options: unknown, schema: ObjectShape): string[] {
  const problems: string[] = [];
  walk(options, schema, '', {
    unknownKey(key, shape, path, hint) {
      const known = Object.keys(shape.keys);
      const suggestion = closestMatch(key, known);
      problems.push(
        suggestion !== undefined
          ? `Unknown option "${join(path, key)}"${hint}; did you mean "${join(path, suggestion)}"?`
          : `Unknown option "${join(path, key)}"${hint}; the options ${path === '' ? 'of ApiSecurityModule' : `under "${path}"`} are: ${known.join(', ')}.`,
      );
    },
    leaf: () => undefined,
  });
  return problems;
}

/** The problems the value checks declared in `schema` find in the given (not defaulted) options. */
export function findInvalidOptionValues(options: unknown, schema: ObjectShape): string[] {
  const problems: string[] = [];
  walk(options, schema, '', {
    unknownKey: () => undefined,
    leaf(value, shape) {
      const problem = shape.check?.(value);
      if (problem !== undefined) problems.push(problem);
    },
  });
  return problems;
}
