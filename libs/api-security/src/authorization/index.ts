export { Roles } from './roles.decorator';
export type { RolesDecorator } from './roles.decorator';
export { Scopes } from './scopes.decorator';
export type { ScopesDecorator } from './scopes.decorator';
export { Owns } from './owns.decorator';
export type { OwnershipDecision, OwnsOptions, OwnsOptOutOptions } from './owns.decorator';
export { ownershipResolverToken, provideOwnershipResolver } from './ownership-resolver';
export type {
  OwnershipResolver,
  OwnershipResolverFactory,
  OwnershipResolverSource,
  OwnershipResolverValue,
} from './ownership-resolver';
export { TypeOrmOwnershipResolver } from './typeorm-ownership.resolver';
export type {
  TypeOrmOwnershipColumns,
  TypeOrmOwnershipResolverOptions,
  TypeOrmOwnershipSource,
} from './typeorm-ownership.resolver';
export { scopeToOwner } from './list-scope';
export type { OwnerScopeOptions } from './list-scope';
export { pagination } from './pagination';
export type { Pagination, PaginationOptions } from './pagination';
export { RolesStep } from './roles.step';
export { OwnershipStep } from './ownership.step';
export type { OwnershipDenial } from './ownership.step';
export { AUTHORIZATION_PROVIDERS } from './authorization.providers';
export type {
  AuthorizationPlan,
  OwnedResourcePlan,
  OwnershipOptOutPlan,
  OwnershipPlan,
  RoleRequirement,
} from './authorization-plan';
