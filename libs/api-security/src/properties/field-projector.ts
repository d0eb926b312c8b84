import { Injectable, StreamableFile } from '@nestjs/common';
import type { SecurityPrincipal } from '../common/security-principal';
import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';
import { CredentialTripwire } from './credential.tripwire';
import { ownsValue } from './owner-match';
import { PrincipalRoles } from '../authorization/principal-roles';
import type { FieldCopier, ValueProjector } from './projection.codegen';
import type { ProjectionPlan } from './projection-plan';
import { ProjectionCompiler } from './projection.compiler';
import type { ClassType } from './visibility.metadata';

/** Deeper than any sane response; reaching it means a cycle, which JSON could not encode anyway. */
const MAX_DEPTH = 64;

/** Classes per response found by a scan before the map; beyond a few, the map is faster. */
const RECENT_CLASSES = 8;

type Json = Record<string, unknown>;

/** How instances of one class are turned into plain data for the current request. */
interface ClassView {
  /** Binary or streamed data (Buffer, StreamableFile, a stream): passed through untouched. */
  readonly opaque: boolean;
  /** Undecorated class whose `toJSON` may give a primitive (Date, Decimal, ObjectId…). */
  readonly valueType: boolean;
  readonly ownerField: string | undefined;
  other: ProjectionPlan | undefined;
  owned: ProjectionPlan | undefined;
  /**
   * The plan every instance of the class gets in this response, once known: set when nothing about
   * an instance can change it (no owner field, not opaque, not a value type), so the hot path is
   * one property read instead of the opaque, value-type and ownership tests per object.
   */
  fixed: ProjectionPlan | undefined;
}

/** Binary and streamed results are the handler's explicit choice of bytes: never restructured. */
function isOpaque(value: object): boolean {
  return (
    ArrayBuffer.isView(value) ||
    value instanceof ArrayBuffer ||
    value instanceof StreamableFile ||
    typeof (value as { pipe?: unknown }).pipe === 'function'
  );
}

/** The prototype's constructor, not the object's own `constructor` property, names the class. */
function instanceClass(prototype: unknown): ClassType {
  const type = (prototype as { constructor?: unknown }).constructor;
  return typeof type === 'function' ? (type as ClassType) : Object;
}

/** The class `Projection.value` projects an object as; undefined for plain objects and arrays. */
function classOf(object: object, prototype: unknown): ClassType | undefined {
  if (prototype === Object.prototype || prototype === null || prototype === Array.prototype || Array.isArray(object)) {
    return undefined;
  }
  return instanceClass(prototype);
}

function tooDeep(): never {
  throw new SecurityException(500, ErrorCode.INTERNAL, { reason: `response nested deeper than ${MAX_DEPTH}` });
}

/** Own data property even for the key `__proto__`, which plain assignment would treat as the prototype. */
function put(target: Json, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** One response being projected: the principal's roles are expanded once, classes resolved once. */
class Projection implements ValueProjector {
  private readonly views = new Map<ClassType, ClassView>();
  private readonly authenticated: boolean;
  /**
   * The first classes met, scanned before the map: a response alternates between a few classes
   * (a product, its supplier, its variants), so remembering only the last one missed on every
   * object, and a map lookup per object cost more than the scan.
   */
  private readonly recentTypes: ClassType[] = [];
  private readonly recentViews: ClassView[] = [];

  /** Undefined when the tripwire is off, so the per-key check costs nothing. */
  private readonly credentials: CredentialTripwire | undefined;

  constructor(
    private readonly compiler: ProjectionCompiler,
    private readonly principal: SecurityPrincipal | undefined,
    private readonly roles: ReadonlySet<string>,
    tripwire: CredentialTripwire,
    private readonly route: string | undefined,
  ) {
    this.authenticated = principal !== undefined;
    this.credentials = tripwire.enabled ? tripwire : undefined;
  }

  /** An undeclared field about to be sent: false when it must be left out (throws in strict mode). */
  private sendable(key: string, item: unknown): boolean {
    if (item === undefined || item === null || this.credentials === undefined || !this.credentials.matches(key)) {
      return true;
    }
    this.credentials.trip(this.route, key);
    return false;
  }

  value(value: unknown, depth: number): unknown {
    if (typeof value !== 'object' || value === null) return value;
    if (depth > MAX_DEPTH) tooDeep();
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype === Object.prototype || prototype === null) return this.plain(value as Json, depth);
    if (prototype === Array.prototype || Array.isArray(value)) return this.array(value as unknown[], depth);
    return this.instance(value as Json, instanceClass(prototype), depth);
  }

  /** Same array back when nothing inside changes; otherwise a copy. */
  private array(list: readonly unknown[], depth: number): readonly unknown[] {
    let copy: unknown[] | undefined;
    // Lists are usually of one class: after an item that `instance` projected by its plan alone,
    // the next items with the same prototype go to that plan's copier directly (same checks and
    // depths as through `value` and `instance`).
    let seenPrototype: unknown = undefined;
    let seenCopier: FieldCopier | undefined;
    for (let i = 0; i < list.length; i++) {
      const item = list[i];
      if (typeof item !== 'object' || item === null) continue;
      let projected: unknown;
      const prototype: unknown = Object.getPrototypeOf(item);
      if (prototype === seenPrototype && seenCopier !== undefined) {
        if (depth + 1 > MAX_DEPTH) tooDeep();
        projected = seenCopier(item as Json, this, depth + 2);
      } else {
        projected = this.value(item, depth + 1);
        const type = classOf(item, prototype);
        const copier = type === undefined ? undefined : this.copier(type, depth + 1);
        if (copier !== undefined) {
          seenPrototype = prototype;
          seenCopier = copier;
        }
      }
      if (projected === item) continue;
      // Copied whole on the first change, so the copy never grows while being filled.
      copy ??= list.slice();
      copy[i] = projected;
    }
    return copy ?? list;
  }

  /**
   * Plain objects pass unchanged (same reference) unless a class instance sits somewhere inside or
   * a field named like a credential is left out.
   */
  private plain(object: Json, depth: number): Json {
    const keys = Object.keys(object);
    let copy: Json | undefined;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const item = object[key];
      if (!this.sendable(key, item)) {
        if (!copy) {
          copy = {};
          for (let j = 0; j < i; j++) put(copy, keys[j] as string, object[keys[j] as string]);
        }
        continue;
      }
      const projected = typeof item === 'object' && item !== null ? this.value(item, depth + 1) : item;
      if (copy) put(copy, key, projected);
      else if (projected !== item) {
        copy = {};
        for (let j = 0; j < i; j++) put(copy, keys[j] as string, object[keys[j] as string]);
        put(copy, key, projected);
      }
    }
    return copy ?? object;
  }

  copier(type: ClassType, depth: number): FieldCopier | undefined {
    if (depth > MAX_DEPTH) tooDeep();
    const types = this.recentTypes;
    for (let i = 0; i < types.length; i++) {
      if (types[i] === type) {
        const plan = (this.recentViews[i] as ClassView).fixed;
        return plan !== undefined && !plan.includeUndeclared ? plan.copy : undefined;
      }
    }
    return undefined;
  }

  instance(object: Json, type: ClassType, depth: number): unknown {
    // Checked here too: compiled plans call back into `instance` directly for declared models.
    if (depth > MAX_DEPTH) tooDeep();
    let view: ClassView | undefined;
    const types = this.recentTypes;
    for (let i = 0; i < types.length; i++) {
      if (types[i] === type) {
        view = this.recentViews[i];
        break;
      }
    }
    if (view === undefined) view = this.lookup(type, object);
    const plan = view.fixed;
    if (plan === undefined) return this.resolve(view, type, object, depth);
    const out = plan.copy(object, this, depth + 1);
    return plan.includeUndeclared ? this.undeclared(plan, object, out, depth) : out;
  }

  /** Kept out of `instance` so that the per-object path stays small enough to be inlined. */
  private lookup(type: ClassType, object: Json): ClassView {
    const view = this.views.get(type) ?? this.view(type, object);
    if (this.recentTypes.length < RECENT_CLASSES) {
      this.recentTypes.push(type);
      this.recentViews.push(view);
    }
    return view;
  }

  /** The first instance of a class in this response, and every instance whose plan depends on it. */
  private resolve(view: ClassView, type: ClassType, object: Json, depth: number): unknown {
    if (view.opaque) return object;
    if (view.valueType) {
      const json: unknown = (object as { toJSON: () => unknown }).toJSON();
      if (typeof json !== 'object' || json === null) return json;
    }
    const plan = this.planOf(view, type, object);
    if (view.ownerField === undefined && !view.valueType) view.fixed = plan;
    const out = plan.copy(object, this, depth + 1);
    return plan.includeUndeclared ? this.undeclared(plan, object, out, depth) : out;
  }

  /** Own properties without a rule, for classes whose `@ResponseModel` default grants this audience. */
  private undeclared(plan: ProjectionPlan, object: Json, out: Json, depth: number): Json {
    for (const key of Object.keys(object)) {
      if (plan.declared.has(key)) continue;
      const item = object[key];
      if (item === undefined || typeof item === 'function' || !this.sendable(key, item)) continue;
      put(out, key, this.value(item, depth + 1));
    }
    return out;
  }

  /** Resolved once per class and response; `sample` decides opaqueness for its whole class. */
  private view(type: ClassType, sample: object): ClassView {
    const descriptor = this.compiler.describe(type);
    const view: ClassView = {
      opaque: !descriptor.declared && isOpaque(sample),
      valueType: !descriptor.declared && typeof (type.prototype as { toJSON?: unknown })?.toJSON === 'function',
      ownerField: descriptor.ownerField,
      other: undefined,
      owned: undefined,
      fixed: undefined,
    };
    if (!descriptor.declared && !view.opaque && !view.valueType) this.compiler.reportUndeclared(type, this.route);
    this.views.set(type, view);
    return view;
  }

  private planOf(view: ClassView, type: ClassType, object: Json): ProjectionPlan {
    if (view.ownerField !== undefined && ownsValue(this.principal, object[view.ownerField])) {
      return (view.owned ??= this.compiler.planFor(type, { authenticated: true, owner: true, roles: this.roles }));
    }
    return (view.other ??= this.compiler.planFor(type, {
      authenticated: this.authenticated,
      owner: false,
      roles: this.roles,
    }));
  }
}

/**
 * Projects response values for a principal: instances of response classes become new plain
 * objects holding only what their compiled plan allows, everything around them (arrays, plain
 * envelopes such as `{ items, total }`) is rebuilt only where something inside changed, and the
 * handler's objects are never mutated.
 *
 * - Instances of classes without any visibility metadata send nothing (allowlist), except value
 *   types whose `toJSON` returns a primitive: a `Date` becomes its ISO string, like a `Decimal`.
 * - Binary values, `StreamableFile` and streams pass through untouched.
 * - Fields named like credentials ({@link CredentialTripwire}) that no response class declares
 *   visible are refused (strict audit mode) or removed (warn mode), in plain objects at any depth
 *   and in the undeclared fields of `@ResponseModel({ defaultVisibility })` classes.
 */
@Injectable()
export class FieldProjector {
  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    private readonly compiler: ProjectionCompiler,
    private readonly principalRoles: PrincipalRoles,
    private readonly tripwire: CredentialTripwire,
  ) {}

  /**
   * The value as `principal` may see it; `undefined` principal means anonymous (public only).
   * `route` (e.g. `GET UsersController.me`) names the route in warnings and tripwire logs.
   */
  project(value: unknown, principal: SecurityPrincipal | undefined, route?: string): unknown {
    if (typeof value !== 'object' || value === null) return value;
    return new Projection(this.compiler, principal, this.principalRoles.of(principal), this.tripwire, route).value(
      value,
      0,
    );
  }
}
