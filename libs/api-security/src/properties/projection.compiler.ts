import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { OwnedBy } from './owned-by.decorator';
import { fieldCopier } from './projection.codegen';
import type { Audience, ModelDescriptor, ProjectionPlan } from './projection-plan';
import { ResponseModel } from './response-model.decorator';
import { isPseudoRole } from '../authorization/role-expansion';
import {
  declaredModels,
  fieldVisibilities,
  type ClassType,
  type DefaultVisibility,
  type FieldVisibility,
} from './visibility.metadata';

/** Declared types that are values, not response classes. */
const NOT_MODELS = new Set<unknown>([Object, Array, String, Number, Boolean, Symbol, BigInt, Date, Map, Set, Function]);

/**
 * Whether `rule` lets `audience` read a property. The one definition of a visibility rule's
 * meaning, shared by the REST projection and GraphQL field visibility.
 */
export function grants(rule: FieldVisibility, audience: Audience): boolean {
  if (rule.kind === 'hidden') return false;
  for (const role of rule.roles) {
    if (role === 'public') return true;
    if (role === 'authenticated') {
      if (audience.authenticated) return true;
    } else if (role === 'owner') {
      if (audience.owner) return true;
    } else if (audience.roles.has(role)) {
      return true;
    }
  }
  return false;
}

const BY_DEFAULT: Readonly<Record<DefaultVisibility, FieldVisibility>> = {
  public: { kind: 'roles', roles: ['public'] },
  authenticated: { kind: 'roles', roles: ['authenticated'] },
  none: { kind: 'hidden' },
};

/** The rule a property without `@VisibleTo`/`@Hidden` gets from its class's `@ResponseModel` default. */
export function defaultRule(visibility: DefaultVisibility): FieldVisibility {
  return BY_DEFAULT[visibility];
}

/** Roles a class may mention for its audiences to be coded as bits of a small integer (bits 2 to 30). */
const MAX_CODED_ROLES = 29;

/**
 * Turns visibility metadata into {@link ProjectionPlan}s. Metadata is read once per class
 * ({@link describe}) and a plan is compiled once per class and audience ({@link planFor}); the
 * plan key only holds the roles the class mentions, so arbitrary role lists cannot grow the cache
 * beyond a few entries per class.
 */
@Injectable()
export class ProjectionCompiler implements OnModuleInit {
  private readonly descriptors = new Map<ClassType, ModelDescriptor>();
  private readonly plans = new Map<ClassType, Map<string, ProjectionPlan>>();
  /** The same plans by audience code (see {@link planFor}). */
  private readonly coded = new Map<ClassType, Map<number, ProjectionPlan>>();
  private readonly logger = new Logger('ApiSecurity');
  /** Class → routes already warned about. */
  private readonly reported = new Map<ClassType, Set<string>>();

  constructor(private readonly reflector: Reflector) {}

  /** Describes every class that has property rules, so a misdeclared model stops the boot. */
  onModuleInit(): void {
    for (const type of declaredModels()) this.describe(type);
  }

  /** The class's rules, read from metadata on first use. Throws on a contradictory declaration. */
  describe(type: ClassType): ModelDescriptor {
    let descriptor = this.descriptors.get(type);
    if (!descriptor) {
      descriptor = this.read(type);
      this.descriptors.set(type, descriptor);
    }
    return descriptor;
  }

  /**
   * Says once per class and route that its instances are sent as `{}` because nothing on it is visible: the
   * allowlist is working, but a developer seeing an empty response deserves to know why.
   */
  reportUndeclared(type: ClassType, route?: string): void {
    const where = route ?? '';
    let routes = this.reported.get(type);
    if (routes?.has(where)) return;
    if (!routes) this.reported.set(type, (routes = new Set()));
    // Routes are a fixed set, but a caller passing arbitrary labels must not grow this forever.
    if (routes.size < 1000) routes.add(where);
    this.logger.warn(
      `${type.name || 'An anonymous class'} has no @VisibleTo, @ResponseModel or @OwnedBy: its instances are sent as {}` +
        (route ? ` by ${route}.` : '.'),
    );
  }

  /** The plan for this audience, compiled on first use. */
  planFor(type: ClassType, audience: Audience): ProjectionPlan {
    const descriptor = this.describe(type);
    const owner = audience.owner && audience.authenticated && descriptor.ownerField !== undefined;
    const roles = descriptor.roles;
    if (roles.length > MAX_CODED_ROLES) return this.planByKey(descriptor, audience, owner);
    // Called once per class in every response: the audience as a number (the class's roles it
    // holds as bits) spares building, and hashing, a string key per response.
    let code = (audience.authenticated ? 1 : 0) | (owner ? 2 : 0);
    for (let i = 0; i < roles.length; i++) if (audience.roles.has(roles[i])) code |= 4 << i;
    let byCode = this.coded.get(type);
    if (!byCode) {
      byCode = new Map();
      this.coded.set(type, byCode);
    }
    let plan = byCode.get(code);
    if (!plan) {
      plan = this.planByKey(descriptor, audience, owner);
      byCode.set(code, plan);
    }
    return plan;
  }

  /** The plan cached under its string key, which every audience code of the same plan maps to. */
  private planByKey(descriptor: ModelDescriptor, audience: Audience, owner: boolean): ProjectionPlan {
    const held = descriptor.roles.filter((role) => audience.roles.has(role));
    const key = `${audience.authenticated ? 'a' : 'p'}${owner ? 'o' : '-'}${JSON.stringify(held)}`;
    let byKey = this.plans.get(descriptor.type);
    if (!byKey) {
      byKey = new Map();
      this.plans.set(descriptor.type, byKey);
    }
    let plan = byKey.get(key);
    if (!plan) {
      plan = this.compile(descriptor, { authenticated: audience.authenticated, owner, roles: new Set(held) }, key);
      byKey.set(key, plan);
    }
    return plan;
  }

  /** Builds one plan. Called only on a cache miss. */
  compile(descriptor: ModelDescriptor, audience: Audience, key: string): ProjectionPlan {
    const fields: string[] = [];
    const models: (ClassType | undefined)[] = [];
    for (const [name, rule] of descriptor.fields) {
      if (!grants(rule, audience)) continue;
      fields.push(name);
      const declared: unknown = Reflect.getMetadata('design:type', descriptor.type.prototype as object, name);
      models.push(typeof declared === 'function' && !NOT_MODELS.has(declared) ? (declared as ClassType) : undefined);
    }
    const byDefault = descriptor.defaultVisibility;
    return {
      type: descriptor.type,
      key,
      fields,
      models,
      copy: fieldCopier(fields, models),
      includeUndeclared: grants(defaultRule(byDefault), audience),
      declared: new Set(descriptor.fields.keys()),
    };
  }

  private read(type: ClassType): ModelDescriptor {
    const fields = fieldVisibilities(type);
    const ownerField = this.reflector.get(OwnedBy, type) as string | undefined;
    const model = this.reflector.get(ResponseModel, type) as {
      defaultVisibility?: ModelDescriptor['defaultVisibility'];
    };
    const roles = new Set<string>();
    for (const [name, rule] of fields) {
      if (rule.kind === 'hidden') continue;
      for (const role of rule.roles) {
        if (role === 'owner' && ownerField === undefined) {
          throw new Error(
            `${type.name}.${name} is visible to 'owner' but ${type.name} has no @OwnedBy('<owner id property>').`,
          );
        }
        if (!isPseudoRole(role)) roles.add(role);
      }
    }
    return {
      type,
      declared: fields.size > 0 || ownerField !== undefined || model !== undefined,
      ownerField,
      defaultVisibility: model?.defaultVisibility ?? 'none',
      fields,
      roles: [...roles].sort(),
    };
  }
}
