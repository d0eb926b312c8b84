import type { Type } from '@nestjs/common';
import type { GraphqlResolverPlan } from '../plan/route-plan';

/*
 * The metadata keys @nestjs/graphql writes with @Resolver, @Query, @Mutation, @Subscription,
 * @ResolveField and @Args. The core package must not import @nestjs/graphql (an optional peer), so
 * they are copied here; test/graphql checks them against the installed package's own constants.
 */
export const GRAPHQL_METADATA = {
  resolverType: 'graphql:resolver_type',
  resolverName: 'graphql:resolver_name',
  resolveProperty: 'graphql:resolve_property',
  argsType: 'graphql:args_type',
  /** On a class: `objectType`, `interface`, `inputType` or `args` (`@ObjectType()`, `@InterfaceType()`…). */
  classType: 'graphql:class_type',
} as const;

/** Whether `type` (or a class it extends) is a GraphQL type of one of these kinds. */
export function isGraphqlClass(type: object, kinds: readonly string[]): boolean {
  const kind: unknown = Reflect.getMetadata(GRAPHQL_METADATA.classType, type);
  return typeof kind === 'string' && kinds.includes(kind);
}

const ROOT_TYPES: Readonly<Record<string, GraphqlResolverPlan['kind']>> = {
  Query: 'query',
  Mutation: 'mutation',
  Subscription: 'subscription',
};

/** A class with at least one GraphQL resolver handler (`@Resolver` sets its type on the class). */
export function isResolverClass(type: Type): boolean {
  return Reflect.hasMetadata(GRAPHQL_METADATA.resolverType, type);
}

/**
 * What a resolver class's method resolves, read from its @nestjs/graphql metadata at boot; undefined
 * for a method that is no resolver (a helper, a `@ResolveReference`, a `__resolveType`).
 */
export function resolverOf(resolverClass: Type, handler: object, methodName: string): GraphqlResolverPlan | undefined {
  const own = Reflect.getMetadata(GRAPHQL_METADATA.resolverType, handler) as unknown;
  const isField = Reflect.getMetadata(GRAPHQL_METADATA.resolveProperty, handler) === true;
  const rootKind = typeof own === 'string' ? ROOT_TYPES[own] : undefined;
  if (!isField && rootKind === undefined) return undefined;
  const named = Reflect.getMetadata(GRAPHQL_METADATA.resolverName, handler) as unknown;
  const field = typeof named === 'string' && named.length > 0 ? named : methodName;
  if (field === '__resolveType') return undefined;
  const classType = Reflect.getMetadata(GRAPHQL_METADATA.resolverType, resolverClass) as unknown;
  const type = rootKind !== undefined ? String(own) : typeof classType === 'string' ? classType : 'Object';
  const declared = (Reflect.getMetadata(GRAPHQL_METADATA.argsType, resolverClass, methodName) ?? []) as {
    property?: unknown;
    index?: unknown;
  }[];
  // Parameter decorators run last parameter first: list the arguments in declaration order.
  const ordered = [...declared].sort((a, b) => Number(a.index) - Number(b.index));
  const args = [...new Set(ordered.flatMap((arg) => (typeof arg.property === 'string' ? [arg.property] : [])))];
  return { kind: rootKind ?? 'field', type, field, args };
}
