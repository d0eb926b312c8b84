/** Any class; DTO instances are what class-transformer builds. */
type DtoClass = abstract new (...args: never[]) => unknown;

/** What class-transformer's `@Type` recorded for one property. */
export interface TypeMetadata {
  typeFunction: (options?: unknown) => unknown;
  options?: {
    discriminator?: {
      property?: string;
      subTypes?: readonly { name?: unknown; value: unknown }[];
    };
  };
}

/** The part of class-transformer's metadata storage that says which class a property becomes. */
interface TypeMetadataSource {
  findTypeMetadata(target: DtoClass, property: string): TypeMetadata | undefined;
}

// class-transformer exposes its storage only at this path; @nestjs/mapped-types reads it the same way.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: TypeMetadataSource;
};

const NOT_DTOS = new Set<unknown>([
  Object,
  Array,
  String,
  Number,
  Boolean,
  Symbol,
  BigInt,
  Date,
  Map,
  Set,
  Function,
  Promise,
  Buffer,
  Uint8Array,
]);

/** A class that class-transformer turns a plain object into (not a built-in such as `Date`). */
export function isDto(value: unknown): value is DtoClass {
  return typeof value === 'function' && value.prototype !== undefined && !NOT_DTOS.has(value);
}

/** The `@Type` metadata of a property, if any (inherited from parent classes too). */
export function typeMetadataOf(type: DtoClass, property: string): TypeMetadata | undefined {
  return defaultMetadataStorage.findTypeMetadata(type, property);
}

/** What `@Type` resolves to without a real object; `undefined` when the function needs one. */
export function declaredTypeOf(metadata: TypeMetadata, property: string): unknown {
  try {
    return metadata.typeFunction({ newObject: {}, object: {}, property });
  } catch {
    // A `@Type` function that needs the real object cannot be resolved ahead of time.
    return undefined;
  }
}

/**
 * The DTO classes a property's value is transformed into: `@Type` (and its discriminator's
 * sub-types) first, else its declared type when the property validates nested.
 */
export function nestedDtoTypes(type: DtoClass, property: string, validatesNested: boolean): DtoClass[] {
  const metadata = typeMetadataOf(type, property);
  if (metadata) {
    const subTypes = metadata.options?.discriminator?.subTypes?.map((s) => s.value) ?? [];
    return [declaredTypeOf(metadata, property), ...subTypes].filter(isDto);
  }
  const designed: unknown = Reflect.getMetadata('design:type', type.prototype as object, property);
  return validatesNested && isDto(designed) ? [designed] : [];
}
