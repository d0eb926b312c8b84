import { Injectable } from '@nestjs/common';
import { PARAMTYPES_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { getMetadataStorage } from 'class-validator';
import { isDto, nestedDtoTypes } from '../common/dto-metadata';
import type { ClassType } from './visibility.metadata';
import type { BodyBinding, WritePolicy } from './write-policy';
import { WRITABLE_BY_CONSTRAINT } from './writable-by.decorator';

interface RawPolicy {
  restricted: Map<string, string[]>;
  nested: Map<string, ClassType[]>;
}

/**
 * The classes each property of `type` holds, for the properties worth descending into. Given the
 * properties class-validator knows and those it validates nested.
 */
export type NestedTypes = (
  type: ClassType,
  properties: ReadonlySet<string>,
  nestedValidation: ReadonlySet<string>,
) => ReadonlyMap<string, ClassType[]>;

interface RouteArgument {
  index: number;
  data?: unknown;
}

/**
 * Compiles `@WritableBy` rules into {@link WritePolicy} objects, once per DTO class, and finds the
 * policed `@Body()` parameters of a handler, once per handler, from Nest's route-argument metadata
 * and `design:paramtypes`. Requests then only walk precompiled maps.
 */
@Injectable()
export class WritePolicyCompiler {
  private readonly policies = new Map<ClassType, WritePolicy>();
  /**
   * The policed body parameters of a route handler (empty when nothing in its DTOs is restricted).
   * Called once per handler at boot by the route-plan registry, which keeps the result in the plan.
   */
  forHandler(controller: ClassType, handler: (...args: never[]) => unknown): readonly BodyBinding[] {
    return this.compileHandler(controller, handler.name);
  }

  /** The policy of a DTO class, compiled on first use. */
  policyFor(type: ClassType): WritePolicy {
    let policy = this.policies.get(type);
    if (!policy) {
      policy = this.compile(type);
      this.policies.set(type, policy);
    }
    return policy;
  }

  /** True when the policy restricts something, itself or in a nested DTO. */
  isGuarded(policy: WritePolicy): boolean {
    return policy.restricted.size > 0 || policy.nested.size > 0;
  }

  /** Builds the policy of `root` and of every DTO class reachable from it (cycles allowed). */
  compile(root: ClassType): WritePolicy {
    return this.compileWith(root, (type, properties, nestedValidation) => {
      const nested = new Map<string, ClassType[]>();
      for (const property of properties) {
        const types = nestedDtoTypes(type, property, nestedValidation.has(property));
        if (types.length > 0) nested.set(property, types);
      }
      return nested;
    });
  }

  /**
   * {@link compile} with another notion of nesting: `nestedOf` says which classes each property of
   * a class holds (GraphQL input types declare theirs with `@Field(() => [ItemInput])`, not with
   * class-transformer's `@Type`). The `@WritableBy` rules are read the same way.
   */
  compileWith(root: ClassType, nestedOf: NestedTypes): WritePolicy {
    const raw = new Map<ClassType, RawPolicy>();
    const queue: ClassType[] = [root];
    while (queue.length > 0) {
      const type = queue.pop() as ClassType;
      if (raw.has(type)) continue;
      const inspected = this.inspect(type, nestedOf);
      raw.set(type, inspected);
      for (const types of inspected.nested.values()) queue.push(...types);
    }
    // A class is worth descending into when it, or anything below it, restricts a property.
    const guarded = new Set([...raw].filter(([, r]) => r.restricted.size > 0).map(([type]) => type));
    for (let changed = true; changed;) {
      changed = false;
      for (const [type, r] of raw) {
        if (guarded.has(type)) continue;
        if ([...r.nested.values()].some((types) => types.some((t) => guarded.has(t)))) {
          guarded.add(type);
          changed = true;
        }
      }
    }
    const built = new Map<
      ClassType,
      { type: ClassType; restricted: Map<string, string[]>; nested: Map<string, WritePolicy[]> }
    >();
    for (const [type, r] of raw) built.set(type, { type, restricted: r.restricted, nested: new Map() });
    for (const [type, r] of raw) {
      for (const [property, types] of r.nested) {
        const below = types.filter((t) => guarded.has(t)).map((t) => built.get(t) as WritePolicy);
        if (below.length > 0) built.get(type)?.nested.set(property, below);
      }
    }
    return built.get(root) as WritePolicy;
  }

  private inspect(type: ClassType, nestedOf: NestedTypes): RawPolicy {
    const restricted = new Map<string, string[]>();
    const properties = new Set<string>();
    const nestedValidation = new Set<string>();
    for (const metadata of getMetadataStorage().getTargetValidationMetadatas(type, '', true, false)) {
      properties.add(metadata.propertyName);
      if (metadata.type === 'nestedValidation') nestedValidation.add(metadata.propertyName);
      if (metadata.name !== WRITABLE_BY_CONSTRAINT) continue;
      const roles = restricted.get(metadata.propertyName) ?? [];
      restricted.set(metadata.propertyName, [...new Set([...roles, ...(metadata.constraints as string[])])]);
    }
    return { restricted, nested: new Map(nestedOf(type, properties, nestedValidation)) };
  }

  private compileHandler(controller: ClassType, name: string): readonly BodyBinding[] {
    const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) ?? {}) as Record<string, RouteArgument>;
    const paramTypes = (Reflect.getMetadata(PARAMTYPES_METADATA, controller.prototype as object, name) ??
      []) as unknown[];
    const bindings: BodyBinding[] = [];
    for (const [key, argument] of Object.entries(args)) {
      // Keys are `${paramtype}:${index}`; custom decorators have a longer paramtype part.
      if (key.split(':')[0] !== String(RouteParamtypes.BODY)) continue;
      const metatype = paramTypes[argument.index];
      if (!isDto(metatype)) continue;
      const policy = this.policyFor(metatype);
      if (!this.isGuarded(policy)) continue;
      bindings.push({ property: typeof argument.data === 'string' ? argument.data : undefined, policy });
    }
    return bindings;
  }
}
