import type { ClassType } from './visibility.metadata';

type Json = Record<string, unknown>;

/** What a compiled copier calls back into for property values that are objects. */
export interface ValueProjector {
  value(value: unknown, depth: number): unknown;
  instance(object: Json, type: ClassType, depth: number): unknown;
}

/**
 * Copies the allowed properties of one instance into a new plain object. Each allowed property
 * becomes a key (possibly `undefined`, which JSON omits); object values go back to the projector
 * at `depth`.
 */
export type FieldCopier = (object: Json, projector: ValueProjector, depth: number) => Json;

/** The loop version: always available, used when code generation is disabled in this process. */
export function interpretedCopier(fields: readonly string[], models: readonly (ClassType | undefined)[]): FieldCopier {
  return (object, projector, depth) => {
    const out: Json = {};
    for (let i = 0; i < fields.length; i++) {
      const name = fields[i] as string;
      const item = object[name];
      const model = models[i];
      out[name] =
        typeof item !== 'object' || item === null
          ? item
          : model !== undefined && (item as object).constructor === model
            ? projector.instance(item as Json, model, depth)
            : projector.value(item, depth);
    }
    return out;
  };
}

/**
 * The generated version: one object literal per plan, so every projected object of a plan gets
 * the same hidden class and property reads are monomorphic; this is what makes projection an
 * order of magnitude cheaper than a generic loop. Property names only ever enter the source as
 * `JSON.stringify` string literals (and `__proto__` is refused as a field name at decoration
 * time, since a literal `"__proto__"` key would set the prototype). Returns undefined when the
 * process forbids code generation (`--disallow-code-generation-from-strings`).
 */
export function generatedCopier(
  fields: readonly string[],
  models: readonly (ClassType | undefined)[],
): FieldCopier | undefined {
  if (fields.includes('__proto__')) return undefined;
  const reads = fields.map((name, i) => `v${i} = o[${JSON.stringify(name)}]`);
  const entries = fields.map((name, i) => {
    const nested =
      models[i] === undefined
        ? `p.value(v${i}, d)`
        : `(v${i}.constructor === M${i} ? p.instance(v${i}, M${i}, d) : p.value(v${i}, d))`;
    return `${JSON.stringify(name)}: (typeof v${i} !== "object" || v${i} === null) ? v${i} : ${nested}`;
  });
  const bindings = models.map((_, i) => `M${i} = M[${i}]`);
  const source = [
    '"use strict";',
    bindings.length > 0 ? `var ${bindings.join(', ')};` : '',
    'return function copy(o, p, d) {',
    reads.length > 0 ? `  var ${reads.join(', ')};` : '',
    `  return {${entries.join(', ')}};`,
    '};',
  ].join('\n');
  try {
    return new Function('M', source)(models) as FieldCopier;
  } catch {
    return undefined;
  }
}

/** The fastest copier this process allows. */
export function fieldCopier(fields: readonly string[], models: readonly (ClassType | undefined)[]): FieldCopier {
  return generatedCopier(fields, models) ?? interpretedCopier(fields, models);
}
