import type { ClassType } from '../common/class-type';

/**
 * Who may write what in one input DTO class, compiled once per class by `WritePolicyCompiler`.
 * Only classes that restrict something (themselves or below) appear in `nested`.
 */
export interface WritePolicy {
  readonly type: ClassType;
  /** Property → the roles any one of which may send it. */
  readonly restricted: ReadonlyMap<string, readonly string[]>;
  /**
   * Property → the policies of the DTO class its value (or each element of it) becomes; several
   * when `@Type` declares a discriminator, and then every one of them is checked.
   */
  readonly nested: ReadonlyMap<string, readonly WritePolicy[]>;
}

/** One `@Body()` parameter of a route handler that is subject to a write policy. */
export interface BodyBinding {
  /** `@Body('profile')` binds `body.profile`; undefined binds the whole body. */
  readonly property: string | undefined;
  readonly policy: WritePolicy;
}
