import { getMetadataStorage } from 'class-validator';
import { declaredTypeOf, isDto, typeMetadataOf, type TypeMetadata } from '../common/dto-metadata';
import { PROTOTYPE_KEYS } from '../common/body-facts';
import type { FieldError } from '../errors/security.exception';
import { MULTILINE_TEXT_CONSTRAINT } from './multiline-text.decorator';
import type { ClassType } from './visibility.metadata';

/** How a property declared as a nested DTO holds it: one object, an array of them, or a map of them. */
type Container = 'one' | 'array' | 'map';

interface NestedRule {
  readonly container: Container;
  /** The DTO class an element becomes (its discriminator or `@Type` may look at the real objects). */
  classOf(parent: object, element: object): ClassType | undefined;
}

/** What the integrity walk needs of one DTO class, compiled once per class. */
interface InputShape {
  readonly nested: ReadonlyMap<string, NestedRule>;
  readonly multiline: ReadonlySet<string>;
}

/** Options of {@link findInputViolations}. */
export interface InputIntegrityOptions {
  /** Refuse C0 control characters and DEL in strings and property names. */
  controlCharacters: boolean;
  /** Path of `value` in the request (`profile` for `@Body('profile')`); '' for the whole value. */
  path?: string;
  /** What a scalar at the root is called in an error when `path` is empty. */
  rootName?: string;
  /** Most errors reported. */
  limit?: number;
}

// Matching control characters is the point of these expressions.
/* eslint-disable no-control-regex */
/** Any C0 control character or DEL. */
const CONTROL = /[\u0000-\u001f\u007f]/;
const CONTROL_ALL = /[\u0000-\u001f\u007f]/g;
/** The same, except tab, line feed and carriage return (`@MultilineText`). */
const CONTROL_EXCEPT_LINE_LAYOUT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
/* eslint-enable no-control-regex */
/** Longest path reported, so an attacker's key names cannot bloat the error response. */
const MAX_PATH = 200;

const shapes = new WeakMap<ClassType, InputShape>();

function shapeOf(type: ClassType): InputShape {
  let shape = shapes.get(type);
  if (!shape) {
    shape = compile(type);
    shapes.set(type, shape);
  }
  return shape;
}

function compile(type: ClassType): InputShape {
  const properties = new Set<string>();
  const validatesNested = new Set<string>();
  const each = new Set<string>();
  const arrays = new Set<string>();
  const multiline = new Set<string>();
  for (const metadata of getMetadataStorage().getTargetValidationMetadatas(type, '', true, false)) {
    const property = metadata.propertyName;
    properties.add(property);
    if (metadata.type === 'nestedValidation') {
      validatesNested.add(property);
      if (metadata.each) each.add(property);
    }
    if (metadata.name === 'isArray') arrays.add(property);
    if (metadata.name === MULTILINE_TEXT_CONSTRAINT) multiline.add(property);
  }
  const nested = new Map<string, NestedRule>();
  for (const property of properties) {
    const rule = nestedRule(type, property, validatesNested.has(property), each.has(property) || arrays.has(property));
    if (rule) nested.set(property, rule);
  }
  return { nested, multiline };
}

/**
 * A property is declared as a nested class when it validates nested (`@ValidateNested`) or when
 * `@Type` turns it into a DTO class. Its container follows the declaration: `Map` → an object of
 * objects; `each: true`, `@IsArray`, `Array` or `Set` → an array of objects; anything else → one object.
 */
function nestedRule(
  type: ClassType,
  property: string,
  validatesNested: boolean,
  many: boolean,
): NestedRule | undefined {
  const metadata = typeMetadataOf(type, property);
  const declared = metadata ? declaredTypeOf(metadata, property) : undefined;
  const designed: unknown = Reflect.getMetadata('design:type', type.prototype as object, property);
  const subTypes = metadata?.options?.discriminator?.subTypes ?? [];
  const becomesDto = isDto(declared) || subTypes.some((s) => isDto(s.value)) || (validatesNested && isDto(designed));
  if (!validatesNested && !becomesDto) return undefined;
  const container: Container =
    designed === Map ? 'map' : many || designed === Array || designed === Set ? 'array' : 'one';
  return { container, classOf: classResolver(metadata, property, declared, designed) };
}

function classResolver(
  metadata: TypeMetadata | undefined,
  property: string,
  declared: unknown,
  designed: unknown,
): NestedRule['classOf'] {
  const discriminator = metadata?.options?.discriminator;
  if (discriminator?.property && discriminator.subTypes?.length) {
    const key = discriminator.property;
    const subTypes = discriminator.subTypes;
    const fallback = isDto(declared) ? declared : undefined;
    return (_parent, element) => {
      const name = (element as Record<string, unknown>)[key];
      const match = subTypes.find((s) => s.name === name)?.value;
      return isDto(match) ? match : fallback;
    };
  }
  if (isDto(declared)) return () => declared;
  if (metadata) {
    // `@Type` that needs the real object: ask it with the object, as class-transformer will.
    return (parent) => {
      try {
        const resolved = metadata.typeFunction({ newObject: {}, object: parent, property });
        return isDto(resolved) ? resolved : undefined;
      } catch {
        return undefined;
      }
    };
  }
  return isDto(designed) ? () => designed : () => undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function join(path: string, key: string | number): string {
  const next =
    typeof key === 'number'
      ? `${path}[${key}]`
      : // A key with control characters is reported, not echoed.
        `${path ? `${path}.` : ''}${key.replace(CONTROL_ALL, '\ufffd')}`;
  return next.length > MAX_PATH ? `${next.slice(0, MAX_PATH)}…` : next;
}

type Pending = [value: unknown, path: string, type: ClassType | undefined, multiline: boolean];

/** What one integrity walk found (see {@link inspectInput}). */
export interface InputReport {
  /** The integrity problems, as {@link findInputViolations} returns them. */
  readonly errors: FieldError[];
  /**
   * Whether a `__proto__`, `constructor` or `prototype` key was met, when asked for with
   * `prototypeKeys`. It covers every own key of every object in the value only when `errors` is
   * empty: the walk does not descend into what it refuses, and stops at `limit` errors.
   */
  readonly prototypeKeys: boolean;
}

/**
 * Integrity problems of a raw request (or third-party) value, checked before class-transformer
 * sees it, up to `limit`:
 *
 * - a property declared as a nested DTO (`@ValidateNested()`, `@Type(() => Dto)`) holds a plain
 *   object, or with `each: true`/`@IsArray()`/an array type an array of plain objects; an array,
 *   primitive or array of arrays there is refused. class-transformer would turn `[[…]]` into an
 *   array of arrays and class-validator would validate the inner elements, never the array itself;
 * - with `controlCharacters`, no string and no property name contains a C0 control character or
 *   DEL, except tab, line feed and carriage return in a `@MultilineText` property.
 *
 * Walks with an explicit stack, so a deeply nested value cannot overflow the call stack.
 */
export function findInputViolations(value: unknown, type: unknown, options: InputIntegrityOptions): FieldError[] {
  return inspectInput(value, type, options).errors;
}

/**
 * {@link findInputViolations}, noting on the same walk whether a prototype key occurs (with
 * `prototypeKeys` and `controlCharacters`, when every key is read anyway), so the validation pipe
 * walks a value once for both checks.
 */
export function inspectInput(
  value: unknown,
  type: unknown,
  options: InputIntegrityOptions & { prototypeKeys?: boolean },
): InputReport {
  const { controlCharacters, path = '', rootName = 'value', limit = 10 } = options;
  const watchKeys = options.prototypeKeys === true && controlCharacters;
  let prototypeKeys = false;
  const errors: FieldError[] = [];
  const fail = (field: string, message: string) => errors.push({ field, message: `${field} ${message}` });
  // The field's path is built only when it fails: most strings are clean.
  const text = (item: string, at: string, key: string | number, multiline: boolean) => {
    if (!(multiline ? CONTROL_EXCEPT_LINE_LAYOUT : CONTROL).test(item)) return;
    fail(
      join(at, key),
      multiline
        ? 'must not contain control characters other than tab, line feed and carriage return'
        : 'must not contain control characters',
    );
  };
  if (controlCharacters && typeof value === 'string') {
    if (CONTROL.test(value)) fail(path || rootName, 'must not contain control characters');
    return { errors, prototypeKeys };
  }
  /** Checks a nested-DTO property's container and queues its objects with their classes. */
  const nested = (rule: NestedRule, parent: object, item: unknown, field: string, queue: Pending[]) => {
    if (rule.container === 'one') {
      if (isPlainObject(item)) queue.push([item, field, rule.classOf(parent, item), false]);
      else fail(field, 'must be an object');
      return;
    }
    if (rule.container === 'array' ? !Array.isArray(item) : !isPlainObject(item)) {
      fail(field, rule.container === 'array' ? 'must be an array of objects' : 'must be an object of objects');
      return;
    }
    const entries: [string | number, unknown][] = Array.isArray(item)
      ? item.map((element, index) => [index, element])
      : Object.entries(item as Record<string, unknown>);
    for (const [key, element] of entries) {
      if (watchKeys && typeof key === 'string' && PROTOTYPE_KEYS.has(key)) prototypeKeys = true;
      const at = join(field, key);
      if (controlCharacters && typeof key === 'string' && CONTROL.test(key)) {
        fail(at, 'is not an accepted property name');
      } else if (isPlainObject(element)) {
        queue.push([element, at, rule.classOf(parent, element), false]);
      } else {
        fail(at, 'must be an object');
      }
    }
  };
  const pending: Pending[] = [[value, path, isDto(type) ? type : undefined, false]];
  while (pending.length > 0 && errors.length < limit) {
    const [current, at, dto, multiline] = pending.pop() as Pending;
    if (typeof current !== 'object' || current === null) continue;
    // Children are queued in document order and pushed reversed, so problems come out in that order.
    const queue: Pending[] = [];
    if (Array.isArray(current)) {
      if (!controlCharacters) continue;
      for (let i = 0; i < current.length; i++) {
        const item: unknown = current[i];
        if (typeof item === 'string') text(item, at, i, multiline);
        else if (typeof item === 'object' && item !== null) queue.push([item, join(at, i), undefined, multiline]);
      }
    } else {
      const shape = dto ? shapeOf(dto) : undefined;
      const keys = controlCharacters ? Object.keys(current) : [...(shape?.nested.keys() ?? [])];
      for (const key of keys) {
        if (!Object.hasOwn(current, key)) continue;
        if (watchKeys && PROTOTYPE_KEYS.has(key)) prototypeKeys = true;
        if (controlCharacters && CONTROL.test(key)) {
          fail(join(at, key), 'is not an accepted property name');
          continue;
        }
        const item = (current as Record<string, unknown>)[key];
        const rule = shape?.nested.get(key);
        if (rule) {
          if (item !== undefined && item !== null) nested(rule, current, item, join(at, key), queue);
        } else if (typeof item === 'string') {
          text(item, at, key, shape?.multiline.has(key) ?? false);
        } else if (typeof item === 'object' && item !== null) {
          queue.push([item, join(at, key), undefined, shape?.multiline.has(key) ?? false]);
        }
      }
    }
    for (let i = queue.length - 1; i >= 0; i--) pending.push(queue[i] as Pending);
  }
  return { errors: errors.slice(0, limit), prototypeKeys };
}
