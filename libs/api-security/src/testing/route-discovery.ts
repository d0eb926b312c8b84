import type { Type } from '@nestjs/common';
import { METHOD_METADATA, PARAMTYPES_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import type { RoutePlan } from '../plan/route-plan';
import { RoutePlanRegistry } from '../pipeline/route-plan.registry';
import { expandRoles } from '../authorization/role-expansion';
import type { WritePolicy } from '../properties/write-policy';
import { WritePolicyCompiler } from '../properties/write-policy.compiler';

/** A running Nest application, as the kit reads it (an `INestApplication` fits). */
export interface NestAppLike {
  get<T = unknown>(token: Type<T> | string | symbol, options?: { strict?: boolean }): T;
}

/**
 * The compiled route plans of a running app (every HTTP route, with its `@Owns`, `@Roles`,
 * `@Public`). GraphQL resolvers, which have plans too, are left out: the probes speak HTTP routes.
 */
export function routePlans(app: NestAppLike): readonly RoutePlan[] {
  let registry: RoutePlanRegistry;
  try {
    registry = app.get(RoutePlanRegistry, { strict: false });
  } catch {
    throw new Error('The app has no RoutePlanRegistry: import ApiSecurityModule.forRoot(...) in its root module.');
  }
  return registry.plans().filter((plan) => plan.graphql === undefined);
}

/** The app's role hierarchy expansion: the roles a principal holding `roles` has. */
export function expandedRoles(app: NestAppLike, roles: readonly string[]): ReadonlySet<string> {
  const options = app.get<ResolvedApiSecurityOptions>(API_SECURITY_OPTIONS, { strict: false });
  return expandRoles(roles, options.roles.hierarchy);
}

/** A property some roles may not write: `role`, or a nested path like `profile.verified`. */
export interface RestrictedField {
  readonly field: string;
  /** Roles any one of which may write it (`@WritableBy`). */
  readonly writableBy: readonly string[];
}

/** A route that reads a request body. */
export interface BodyRoute {
  readonly plan: RoutePlan;
  /** The `@Body()` parameter's class, or undefined when it has none (`@Body() body: any`, a plain object…). */
  readonly dto: Type | undefined;
  /** `@Body('profile')` binds `profile`; undefined for the whole body. */
  readonly property: string | undefined;
  /** `@WritableBy` fields of the DTO (nested DTOs included), empty without a DTO. */
  readonly restricted: readonly RestrictedField[];
}

const NOT_DTOS = new Set<unknown>([Object, Array, String, Number, Boolean, Symbol, BigInt, Date, Map, Set, Function]);

function restrictedFields(policy: WritePolicy, prefix = '', seen = new Set<WritePolicy>()): RestrictedField[] {
  if (seen.has(policy)) return [];
  seen.add(policy);
  const fields: RestrictedField[] = [...policy.restricted].map(([field, roles]) => ({
    field: `${prefix}${field}`,
    writableBy: roles,
  }));
  for (const [property, policies] of policy.nested) {
    for (const nested of policies) fields.push(...restrictedFields(nested, `${prefix}${property}.`, seen));
  }
  return fields;
}

/**
 * Every route with a `@Body()` parameter, with its DTO class and `@WritableBy` fields, read from
 * the same Nest metadata the library's write policy is compiled from.
 */
export function bodyRoutes(app: NestAppLike): BodyRoute[] {
  const plans = routePlans(app);
  const discovery = app.get(DiscoveryService, { strict: false });
  const compiler = new WritePolicyCompiler();
  const scanner = new MetadataScanner();
  const routes: BodyRoute[] = [];
  for (const wrapper of discovery.getControllers()) {
    const controller = wrapper.metatype as Type | undefined;
    if (!controller || !wrapper.instance) continue;
    const prototype = Object.getPrototypeOf(wrapper.instance) as Record<string, unknown>;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name] as object;
      if (Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) ?? {}) as Record<
        string,
        { index: number; data?: unknown }
      >;
      const types = (Reflect.getMetadata(PARAMTYPES_METADATA, controller.prototype as object, name) ?? []) as unknown[];
      const bodies = Object.entries(args).filter(([key]) => key.split(':')[0] === String(RouteParamtypes.BODY));
      if (bodies.length === 0) continue;
      const routePlansOf = plans.filter((plan) => plan.controller === controller.name && plan.handler === name);
      for (const [, argument] of bodies) {
        const type = types[argument.index];
        const dto = typeof type === 'function' && !NOT_DTOS.has(type) ? (type as Type) : undefined;
        const restricted = dto ? restrictedFields(compiler.compile(dto)) : [];
        const property = typeof argument.data === 'string' ? argument.data : undefined;
        for (const plan of routePlansOf) routes.push({ plan, dto, property, restricted });
      }
    }
  }
  return routes;
}
