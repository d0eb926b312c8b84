import { closestMatch } from './common/closest-match';
import type { ObjectShape, OptionShape } from './api-security-options.schema';

/** Objects whose own keys are options; arrays, Buffers and other binary values are not. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

function checkObject(
  value: Record<string, unknown>,
  shape: ObjectShape,
  path: string,
  problems: string[],
  hint = '',
): void {
  const known = Object.keys(shape.keys);
  for (const [key, child] of Object.entries(value)) {
    const childShape = Object.hasOwn(shape.keys, key) ? shape.keys[key] : undefined;
    if (childShape !== undefined) {
      walk(child, childShape, join(path, key), problems);
      continue;
    }
    const suggestion = closestMatch(key, known);
    problems.push(
      suggestion !== undefined
        ? `Unknown option "${join(path, key)}"${hint}; did you mean "${join(path, suggestion)}"?`
        : `Unknown option "${join(path, key)}"${hint}; the options ${path === '' ? 'of ApiSecurityModule' : `under "${path}"`} are: ${known.join(', ')}.`,
    );
  }
}

function walk(value: unknown, shape: OptionShape, path: string, problems: string[]): void {
  if (value === undefined || value === null) return;
  switch (shape.kind) {
    case 'value':
      return;
    case 'object':
      if (isRecord(value)) checkObject(value, shape, path, problems);
      return;
    case 'map':
      if (isRecord(value))
        for (const [key, child] of Object.entries(value)) walk(child, shape.values, join(path, key), problems);
      return;
    case 'array':
      if (Array.isArray(value))
        value.forEach((item: unknown, index) => walk(item, shape.items, `${path}[${index}]`, problems));
      return;
    case 'variants': {
      if (!isRecord(value)) return;
      const tag = value[shape.discriminator];
      const variant = typeof tag === 'string' && Object.hasOwn(shape.variants, tag) ? shape.variants[tag] : undefined;
      if (variant !== undefined) {
        checkObject(value, variant, path, problems, ` for ${join(path, shape.discriminator)} '${tag}'`);
      } else {
        // The discriminator itself is reported by the value checks; still catch keys no variant has.
        const keys = Object.assign({}, ...Object.values(shape.variants).map((v) => v.keys)) as ObjectShape['keys'];
        checkObject(value, { kind: 'object', keys }, path, problems);
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
  walk(options, schema, '', problems);
  return problems;
}
