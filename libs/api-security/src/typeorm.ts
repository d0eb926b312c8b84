// `@api-security/nestjs/typeorm`: the TypeORM ownership resolver and list scoping, kept out of the
// main entry so an app without TypeORM installs and boots without it.
export { TypeOrmOwnershipResolver } from './authorization/typeorm-ownership.resolver';
export type {
  TypeOrmOwnershipColumns,
  TypeOrmOwnershipResolverOptions,
  TypeOrmOwnershipSource,
} from './authorization/typeorm-ownership.resolver';
export { scopeToOwner } from './authorization/list-scope';
export type { OwnerScopeOptions } from './authorization/list-scope';
