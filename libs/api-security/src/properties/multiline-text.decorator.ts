import { ValidateBy } from 'class-validator';

/** Name of the (always passing) class-validator constraint that marks a `@MultilineText` property. */
export const MULTILINE_TEXT_CONSTRAINT = 'apiSecurityMultilineText';

/**
 * Property decorator of an input DTO: this text may contain tab, line feed and carriage return.
 * Every other string of a request body, query or route parameter is refused (400 naming the
 * field) when it contains a C0 control character (U+0000–U+001F) or DEL (U+007F); with this
 * decorator the property's strings, and the strings of an array it holds, may contain the three
 * line-layout characters, never NUL or any other control character.
 *
 * Stored as class-validator metadata, so it survives `PartialType`, `PickType`, `OmitType` and
 * `IntersectionType`, and it whitelists the property like any validator does.
 *
 * @example
 * ```ts
 * export class CreateNoteDto {
 *   @IsString() @MaxLength(100) title!: string;
 *   @IsString() @MaxLength(10_000) @MultilineText() body!: string;
 * }
 * ```
 */
export function MultilineText(): PropertyDecorator {
  // `always` keeps the allowance in force whatever validation groups a route uses.
  return ValidateBy({ name: MULTILINE_TEXT_CONSTRAINT, validator: { validate: () => true } }, { always: true });
}
