import type { FieldCopier } from './projection.codegen';
import type { ClassType, DefaultVisibility, FieldVisibility } from './visibility.metadata';

/** Who is reading, as far as one object is concerned. */
export interface Audience {
  /** A principal is present. */
  readonly authenticated: boolean;
  /** The principal owns this object (its id equals the class's `@OwnedBy` field). */
  readonly owner: boolean;
  /** The principal's roles, expanded through the hierarchy, pseudo-role names removed. */
  readonly roles: ReadonlySet<string>;
}

/** A response class's visibility rules, read from its metadata once. */
export interface ModelDescriptor {
  readonly type: ClassType;
  /** The class or an ancestor carries visibility metadata (a field rule, `@ResponseModel` or `@OwnedBy`). */
  readonly declared: boolean;
  readonly ownerField: string | undefined;
  readonly defaultVisibility: DefaultVisibility;
  readonly fields: ReadonlyMap<string, FieldVisibility>;
  /** Real role names used by the rules, sorted: the only roles a plan of this class depends on. */
  readonly roles: readonly string[];
}

/**
 * What one audience sees of one class: a precomputed allowlist. Compiled once per class, held
 * roles among those the class mentions, and ownership; never per request.
 */
export interface ProjectionPlan {
  readonly type: ClassType;
  /** Cache key within the class: authentication, ownership and held roles. */
  readonly key: string;
  /** Names of the properties sent, in declaration order. */
  readonly fields: readonly string[];
  /**
   * For each entry of `fields`, the response class its declared type (`design:type`) is, when it
   * is one: values of exactly that class skip the class lookup. Other values are still projected.
   */
  readonly models: readonly (ClassType | undefined)[];
  /** Copies `fields` out of an instance: generated once per plan from `fields` and `models`. */
  readonly copy: FieldCopier;
  /** Properties without their own rule are sent too (the class default grants this audience). */
  readonly includeUndeclared: boolean;
  /** Every property with a rule, to skip in the undeclared pass whatever the rule said. */
  readonly declared: ReadonlySet<string>;
}
