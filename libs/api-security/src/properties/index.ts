// Decorators
export { VisibleTo } from './visible-to.decorator';
export { Hidden } from './hidden.decorator';
export { OwnedBy } from './owned-by.decorator';
export { ResponseModel } from './response-model.decorator';
export { WritableBy, WRITABLE_BY_CONSTRAINT } from './writable-by.decorator';
export type { ClassType, DefaultVisibility, FieldVisibility, ResponseModelOptions } from './visibility.metadata';

// Roles
export { expandRoles, isPseudoRole, PSEUDO_ROLES } from './role-expansion';
export type { PseudoRole } from './role-expansion';
export { DEFAULT_ROLE_HIERARCHY } from './roles.options';
export type { ResolvedRolesOptions, RolesOptions } from './roles.options';
export { PrincipalRoles } from './principal-roles';

// Reads
export { FieldProjector } from './field-projector';
export { FieldVisibilityInterceptor } from './field-visibility.interceptor';
export { ProjectionCompiler } from './projection.compiler';
export type { Audience, ModelDescriptor, ProjectionPlan } from './projection-plan';
export type { FieldCopier, ValueProjector } from './projection.codegen';

// Writes
export { WritePolicyStep } from './write-policy.step';
export { WritePolicyCompiler } from './write-policy.compiler';
export { findForbiddenWrites } from './write-policy';
export type { BodyBinding, WritePolicy } from './write-policy';
export { findPrototypeKeys, PROTOTYPE_KEYS } from './prototype-keys';
export { SecurityValidationPipe, flattenValidationErrors } from './security-validation.pipe';

export { PROPERTIES_PROVIDERS } from './properties.providers';
