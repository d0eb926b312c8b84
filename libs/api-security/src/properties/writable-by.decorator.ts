import { ValidateBy } from 'class-validator';
import { checkRoleNames, type ClassType } from './visibility.metadata';

/** Name of the (always passing) class-validator constraint that carries `@WritableBy` roles. */
export const WRITABLE_BY_CONSTRAINT = 'apiSecurityWritableBy';

/**
 * Property decorator of an input DTO: only principals holding one of these roles (the role
 * hierarchy applies) may send this property. Anyone else sending it, even with an unchanged value
 * or `null`, gets a 403 naming the field; the property is never silently dropped. Properties
 * without it are writable by whoever may call the route.
 *
 * The rule is stored as class-validator metadata so that it survives `PartialType`, `PickType`,
 * `OmitType` and `IntersectionType`, which copy validation metadata to the classes they create;
 * for the same reason it whitelists the property like any validator does.
 *
 * @example
 * ```ts
 * export class UpdateUserDto {
 *   @IsOptional() @IsString() name?: string;
 *   @IsOptional() @IsIn(['user', 'admin']) @WritableBy('admin') role?: string;
 * }
 * ```
 */
export function WritableBy(...roles: [string, ...string[]]): PropertyDecorator {
  const names = checkRoleNames('WritableBy', roles, false);
  const rule = ValidateBy(
    { name: WRITABLE_BY_CONSTRAINT, constraints: names, validator: { validate: () => true } },
    // `always` keeps the rule in force whatever validation groups a route uses.
    { always: true },
  );
  return (target, property) => {
    WRITABLE_MODELS.add((target as { constructor: ClassType }).constructor);
    rule(target, property);
  };
}

const WRITABLE_MODELS = new Set<ClassType>();

/** Classes declaring `@WritableBy` themselves, so that a rule nothing enforces can be found at boot. */
export function writableModels(): readonly ClassType[] {
  return [...WRITABLE_MODELS];
}
