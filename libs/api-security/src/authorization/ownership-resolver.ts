import type { InjectionToken, OptionalFactoryDependency, Provider, Type } from '@nestjs/common';
import type { OwnershipResolver } from '../plan/authorization-plan';
import { RESOURCE_NAME } from './name-list';

export type { OwnershipResolver } from '../plan/authorization-plan';

function checkedResource(resource: string): string {
  if (typeof resource !== 'string' || !RESOURCE_NAME.test(resource)) {
    throw new TypeError(`Ownership resolver resource must be a name like 'order' (got ${JSON.stringify(resource)}).`);
  }
  return resource;
}

/** The injection token an {@link OwnershipResolver} for `resource` is registered under. */
export function ownershipResolverToken(resource: string): string {
  return `api-security:ownership-resolver:${checkedResource(resource)}`;
}

/** A factory for a resolver, with the providers it needs, as in a Nest `useFactory` provider. */
export interface OwnershipResolverFactory {
  useFactory: (...dependencies: never[]) => OwnershipResolver | Promise<OwnershipResolver>;
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
}

/** A ready-made resolver instance (handy in tests). */
export interface OwnershipResolverValue {
  useValue: OwnershipResolver;
}

/** What {@link provideOwnershipResolver} accepts: a class, a factory or an instance. */
export type OwnershipResolverSource = Type<OwnershipResolver> | OwnershipResolverFactory | OwnershipResolverValue;

/**
 * Registers the {@link OwnershipResolver} for `@Owns(resource)` routes. Put the returned provider
 * in any module's `providers`; the security module finds it wherever it is.
 *
 * @example
 * ```ts
 * providers: [
 *   provideOwnershipResolver('order', {
 *     useFactory: (dataSource: DataSource) => new TypeOrmOwnershipResolver({ dataSource, entity: OrderEntity }),
 *     inject: [DataSource],
 *   }),
 *   provideOwnershipResolver('note', NoteOwnershipResolver),
 * ]
 * ```
 */
export function provideOwnershipResolver(resource: string, source: OwnershipResolverSource): Provider {
  const provide = ownershipResolverToken(resource);
  if (typeof source === 'function') return { provide, useClass: source };
  if ('useValue' in source) return { provide, useValue: source.useValue };
  return {
    provide,
    // Nest types factories as taking `any[]`; `never[]` above lets callers type their parameters.
    useFactory: source.useFactory as (...dependencies: unknown[]) => OwnershipResolver | Promise<OwnershipResolver>,
    inject: source.inject ?? [],
  };
}
