import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import type { SchemaObject } from '@nestjs/swagger';
import { IS_DISPLAY_NAME } from '../authentication/is-display-name.decorator';
import { IS_IDENTITY_EMAIL } from '../authentication/is-identity-email.decorator';
import { IS_PASSWORD } from '../authentication/is-password.decorator';
import type { ClassType } from '../properties/visibility.metadata';

interface TypeMetadataSource {
  findTypeMetadata(target: ClassType, property: string): { typeFunction: (options?: unknown) => unknown } | undefined;
}

// class-transformer exposes its storage only at this path; @nestjs/mapped-types reads it the same way.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: TypeMetadataSource;
};

/** A property schema, possibly a `$ref` to a nested DTO's component schema. */
type PropertySchema = SchemaObject & { $ref?: string };

/** Every class that carries class-validator decorators (the storage keeps them in a private map). */
export function validatedClasses(): ClassType[] {
  const storage = getMetadataStorage() as unknown as { validationMetadatas?: Map<unknown, unknown> };
  const map = storage.validationMetadatas;
  if (!(map instanceof Map)) return [];
  return [...map.keys()].filter((k): k is ClassType => typeof k === 'function');
}

function metadataOf(type: ClassType): ValidationMetadata[] {
  return getMetadataStorage().getTargetValidationMetadatas(type, '', true, false);
}

function numberConstraint(meta: ValidationMetadata): number | undefined {
  const value: unknown = meta.constraints?.[0];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Applies one class-validator constraint to the property schema (or its items when `each`). */
function apply(schema: PropertySchema, meta: ValidationMetadata): void {
  const name = meta.name ?? meta.type;
  const n = numberConstraint(meta);
  switch (name) {
    case 'isString':
      schema.type = 'string';
      return;
    case 'isEmail':
      Object.assign(schema, { type: 'string', format: 'email' });
      return;
    case IS_PASSWORD: {
      const [min, max] = (meta.constraints ?? []) as unknown[];
      schema.type = 'string';
      if (typeof min === 'number') schema.minLength = min;
      if (typeof max === 'number') schema.maxLength = max;
      return;
    }
    case IS_IDENTITY_EMAIL:
      Object.assign(schema, { type: 'string', format: 'email' });
      if (n !== undefined) schema.maxLength = n;
      return;
    case IS_DISPLAY_NAME: {
      const [min, max] = (meta.constraints ?? []) as unknown[];
      schema.type = 'string';
      if (typeof min === 'number') schema.minLength = min;
      if (typeof max === 'number') schema.maxLength = max;
      return;
    }
    case 'isUrl':
      Object.assign(schema, { type: 'string', format: 'uri' });
      return;
    case 'isUuid':
      Object.assign(schema, { type: 'string', format: 'uuid', maxLength: schema.maxLength ?? 36 });
      return;
    case 'isDateString':
    case 'isIso8601':
      Object.assign(schema, { type: 'string', format: 'date-time' });
      return;
    case 'isBoolean':
      schema.type = 'boolean';
      return;
    case 'isInt':
      Object.assign(schema, { type: 'integer', format: 'int32' });
      return;
    case 'isNumber':
      schema.type = 'number';
      return;
    case 'isArray':
      schema.type = 'array';
      return;
    case 'isIn':
    case 'isEnum': {
      const values: unknown = meta.constraints?.[0];
      const list = Array.isArray(values) ? values : values && typeof values === 'object' ? Object.values(values) : [];
      if (list.length > 0) {
        schema.enum = list;
        if (list.every((v) => typeof v === 'string')) schema.type = 'string';
      }
      return;
    }
    case 'maxLength':
      if (n !== undefined) schema.maxLength = n;
      return;
    case 'minLength':
      if (n !== undefined) schema.minLength = n;
      return;
    case 'isLength': {
      const [min, max] = (meta.constraints ?? []) as unknown[];
      if (typeof min === 'number') schema.minLength = min;
      if (typeof max === 'number') schema.maxLength = max;
      return;
    }
    case 'min':
      if (n !== undefined) schema.minimum = n;
      return;
    case 'max':
      if (n !== undefined) schema.maximum = n;
      return;
    case 'arrayMaxSize':
      if (n !== undefined) Object.assign(schema, { type: 'array', maxItems: n });
      return;
    case 'arrayMinSize':
      if (n !== undefined) Object.assign(schema, { type: 'array', minItems: n });
      return;
    case 'matches': {
      const pattern: unknown = meta.constraints?.[0];
      if (pattern instanceof RegExp) schema.pattern = pattern.source;
      else if (typeof pattern === 'string') schema.pattern = pattern;
      return;
    }
    default:
      return;
  }
}

/**
 * Builds the JSON schema of a class from its class-validator metadata: types, formats, `enum`,
 * `maxLength`/`minLength`, `minimum`/`maximum`, `maxItems`/`minItems`, `required` (every property
 * without `@IsOptional`), nested DTOs through `@ValidateNested` + `@Type`. `register` is called for
 * each nested class so that it gets its own component schema.
 */
export function schemaFromValidation(type: ClassType, register: (nested: ClassType) => string): SchemaObject {
  const byProperty = new Map<string, ValidationMetadata[]>();
  for (const meta of metadataOf(type)) {
    byProperty.set(meta.propertyName, [...(byProperty.get(meta.propertyName) ?? []), meta]);
  }
  const properties: Record<string, PropertySchema> = {};
  const required: string[] = [];
  for (const [property, metas] of byProperty) {
    const schema: PropertySchema = {};
    const items: PropertySchema = {};
    let optional = false;
    let nullable = false;
    for (const meta of metas) {
      if (meta.type === 'conditionalValidation') {
        if (meta.name === 'isOptional') {
          optional = true;
          continue;
        }
        // `@ValidateIf((_, v) => v !== null)` is how a DTO says "null is accepted".
        if (meta.constraints?.some((c: unknown) => typeof c === 'function' && /!==?\s*null/.test(String(c)))) {
          nullable = true;
        }
        continue;
      }
      if (meta.type === 'nestedValidation') {
        const nested = defaultMetadataStorage.findTypeMetadata(type, property)?.typeFunction();
        if (typeof nested === 'function') {
          const ref = { $ref: `#/components/schemas/${register(nested as ClassType)}` };
          if (meta.each) Object.assign(items, ref);
          else Object.assign(schema, ref);
        }
        continue;
      }
      apply(meta.each ? items : schema, meta);
    }
    if (Object.keys(items).length > 0) {
      schema.type = 'array';
      schema.items = items;
    }
    if (nullable && !schema.$ref) schema.nullable = true;
    properties[property] = schema;
    if (!optional) required.push(property);
  }
  return {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    // The global validation pipe refuses unknown properties.
    additionalProperties: false,
  };
}
