import { Transform } from 'class-transformer';
import { ValidateBy, type ValidationOptions } from 'class-validator';
import { displayNameViolation, DISPLAY_NAME_MAX_LENGTH, normalizeDisplayName } from './display-name';
import { mapStrings } from './identity-text';

/** Name of the class-validator constraint `@IsDisplayName()` records (the OpenAPI schema reads it). */
export const IS_DISPLAY_NAME = 'isDisplayName';

/** Options of {@link IsDisplayName}. */
export interface DisplayNameOptions extends ValidationOptions {
  /** Most characters (Unicode code points) after trimming. Default 100. */
  maxLength?: number;
}

/**
 * Property decorator of an input DTO: a person's or an object's display name. Before validation
 * the value is trimmed and put in NFC form, and that is what the handler receives; it is then
 * refused (400 naming the field) when it is empty (so `"   "` is refused, not stored as `""`), longer
 * than `maxLength` code points, or contains a character that shows nothing or reorders text
 * (zero-width space, bidi controls such as U+202E, controls, unassigned code points). The
 * zero-width joiner and non-joiner and the variation selectors stay allowed between visible
 * characters: Persian, Indic scripts and emoji sequences need them. Scripts may mix freely in a
 * name (`Li 李`); it is not an identifier.
 *
 * The normalisation needs class-transformer to run, as the library's validation pipe does.
 *
 * @example
 * ```ts
 * export class UpdateProfileDto {
 *   @IsOptional() @IsDisplayName({ maxLength: 60 }) name?: string;
 * }
 * ```
 */
export function IsDisplayName(options: DisplayNameOptions = {}): PropertyDecorator {
  const { maxLength = DISPLAY_NAME_MAX_LENGTH, ...validationOptions } = options;
  if (!Number.isSafeInteger(maxLength) || maxLength < 1) {
    throw new TypeError(`@IsDisplayName: maxLength must be a positive integer (got ${String(maxLength)}).`);
  }
  const validate = ValidateBy(
    {
      name: IS_DISPLAY_NAME,
      constraints: [1, maxLength],
      validator: {
        validate: (value: unknown) => displayNameViolation(value, maxLength) === undefined,
        defaultMessage: (args) =>
          displayNameViolation(args?.value, maxLength, args?.property) ?? `${args?.property ?? 'name'} is not accepted`,
      },
    },
    validationOptions,
  );
  const normalize = Transform(({ value }: { value: unknown }) => mapStrings(value, normalizeDisplayName), {
    toClassOnly: true,
  });
  return (target, property) => {
    normalize(target, property);
    validate(target, property);
  };
}
