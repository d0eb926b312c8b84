import type { ClassType } from './visibility.metadata';

type Json = Record<string, unknown>;

/** What a compiled copier calls back into for property values that are objects. */
export interface ValueProjector {
  value(value: unknown, depth: number): unknown;
  instance(object: Json, type: ClassType, depth: number): unknown;
  /**
   * The copier an instance of `type` at `depth` gets when nothing but its plan applies to it (a
   * class already met in this response, one plan for all its instances, no undeclared fields):
   * generated code calls it itself, a call site of its own that the compiler can inline.
   * Undefined sends the object through {@link instance}.
   */
  copier(type: ClassType, depth: number): FieldCopier | undefined;
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

/** Names an object literal can hold but an assignment could not create as an own data property. */
function inheritedFromObject(name: string): boolean {
  return name in Object.prototype;
}

/**
 * The generated version: straight-line code per plan, so every projected object of a plan gets
 * the same hidden class and property reads are monomorphic; this is what makes projection an
 * order of magnitude cheaper than a generic loop. Property names only ever enter the source as
 * `JSON.stringify` string literals (and `__proto__` is refused as a field name at decoration
 * time, since a literal `"__proto__"` key would set the prototype). Returns undefined when the
 * process forbids code generation (`--disallow-code-generation-from-strings`).
 *
 * The object is built by a generated constructor whose `prototype` is `Object.prototype`, not by
 * an object literal: V8 tracks an allocation site per object literal and, once objects from it
 * survive a young-generation collection (a 10,000-item response does while it is being built, and
 * every response does while it is serialized and written), allocates everything from that site in
 * the old generation for the rest of the process. Every later projection then paid for old-space
 * allocation and full collections: 2 to 6 times slower, and most of the reason projecting 10,000
 * items cost far more than 10 times 1,000. Constructor calls carry no such site. Assignment in a constructor
 * would call an inherited setter or fail on an inherited read-only property where a literal
 * defines its own, so a plan with a field named like an `Object.prototype` member (`constructor`,
 * `toString`...) keeps the literal; a writable value added to `Object.prototype` later (what
 * pollution through a merge creates) is shadowed by the assignment as by a literal.
 */
export function generatedCopier(
  fields: readonly string[],
  models: readonly (ClassType | undefined)[],
): FieldCopier | undefined {
  if (fields.includes('__proto__')) return undefined;
  const reads = fields.map((name, i) => `v${i} = o[${JSON.stringify(name)}]`);
  const values = fields.map((_, i) => {
    const nested =
      models[i] === undefined
        ? `p.value(v${i}, d)`
        : `(v${i}.constructor === M${i} ? ((c = p.copier(M${i}, d)) === undefined ? p.instance(v${i}, M${i}, d) : c(v${i}, p, d + 1)) : p.value(v${i}, d))`;
    return `(typeof v${i} !== "object" || v${i} === null) ? v${i} : ${nested}`;
  });
  const bindings = models.map((_, i) => `M${i} = M[${i}]`);
  const literal = fields.some(inheritedFromObject);
  const build = literal
    ? [`  return {${fields.map((name, i) => `${JSON.stringify(name)}: ${values[i]}`).join(', ')}};`]
    : [`  return new Projected(${values.join(', ')});`];
  const constructor = literal
    ? []
    : [
        `function Projected(${fields.map((_, i) => `v${i}`).join(', ')}) {`,
        ...fields.map((name, i) => `  this[${JSON.stringify(name)}] = v${i};`),
        '}',
        'Projected.prototype = Object.prototype;',
      ];
  const source = [
    '"use strict";',
    bindings.length > 0 ? `var ${bindings.join(', ')};` : '',
    ...constructor,
    'return function copy(o, p, d) {',
    reads.length > 0 ? `  var c, ${reads.join(', ')};` : '',
    ...build,
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
