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

/** Every declared key's full path (`jwt.secret`, `store.url`), to find a key given at the wrong level. */
function declaredPaths(shape: OptionShape, path: string, out: string[]): string[] {
  switch (shape.kind) {
    case 'object':
      for (const [key, child] of Object.entries(shape.keys)) {
        out.push(join(path, key));
        declaredPaths(child, join(path, key), out);
      }
      break;
    case 'variants':
      for (const variant of Object.values(shape.variants)) declaredPaths(variant, path, out);
      break;
    case 'map':
      declaredPaths(shape.values, join(path, '<name>'), out);
      break;
    case 'array':
      declaredPaths(shape.items, `${path}[]`, out);
      break;
    case 'value':
      break;
  }
  return out;
}

/**
 * Every key of `options` that `schema` does not declare, one sentence each naming the full path
 * of the key and the valid key that was probably meant: a close sibling (`ratelimit` for
 * `rateLimit`), else the same name at another level (`secret` for `jwt.secret`), else the list of
 * valid keys there.
 */
export function findUnknownOptions(options: unknown, schema: ObjectShape): string[] {
  const problems: string[] = [];
  let everywhere: string[] | undefined;
  walk(options, schema, '', {
    unknownKey(key, shape, path, hint) {
      const known = Object.keys(shape.keys);
      const sibling = closestMatch(key, known);
      everywhere ??= [...new Set(declaredPaths(schema, '', []))];
      const where = join(path, key);
      const elsewhere =
        sibling === undefined
          ? everywhere.find(
              (declared) => declared !== where && declared.toLowerCase().endsWith(`.${key.toLowerCase()}`),
            )
          : undefined;
      problems.push(
        hint !== '' && everywhere.includes(where)
          ? `Unknown option "${where}"${hint}; it is an option of another type.`
          : sibling !== undefined
            ? `Unknown option "${where}"${hint}; did you mean "${join(path, sibling)}"?`
            : elsewhere !== undefined
              ? `Unknown option "${where}"${hint}; did you mean "${elsewhere}"?`
              : `Unknown option "${where}"${hint}; the options ${path === '' ? 'of ApiSecurityModule' : `under "${path}"`} are: ${known.join(', ')}.`,
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
