import { Transform } from 'class-transformer';
import { ValidateBy, type ValidationOptions } from 'class-validator';
import { IDENTITY_EMAIL_MAX_BYTES, identityEmailViolation, normalizeIdentityEmail } from './identity-email';
import { mapStrings } from './identity-text';

/** Name of the class-validator constraint `@IsIdentityEmail()` records (the OpenAPI schema reads it). */
export const IS_IDENTITY_EMAIL = 'isIdentityEmail';

/**
 * Property decorator of an input DTO: an email address that identifies an account (registration,
 * email change, invitation). Before validation the value is normalised with
 * {@link normalizeIdentityEmail} (NFKC, trimmed, lower-cased) and that normalised value is what
 * the handler receives. It is then refused (400 naming the field) when it:
 *
 * - is not an email address, or is longer than 254 bytes;
 * - contains a character that shows nothing or reorders text: zero-width space and joiners,
 *   word joiner, byte order mark, soft hyphen, any bidi control (U+202E…), control,
 *   private-use or unassigned code points;
 * - mixes scripts inside its local part or a domain label, such as a Cyrillic `а` among Latin
 *   letters (`pаypal@example.com`). One script per part is accepted (`иван@пример.рф`), and so are
 *   the usual Chinese, Japanese and Korean mixes with Latin (UTS #39 "highly restrictive").
 *
 * The normalisation needs class-transformer to run, as the library's validation pipe does
 * (`transform: true`). Look accounts up with the same {@link normalizeIdentityEmail}.
 *
 * @example
 * ```ts
 * export class RegisterDto {
 *   @IsIdentityEmail() email!: string;
 *   @IsPassword() password!: string;
 * }
 * ```
 */
export function IsIdentityEmail(options?: ValidationOptions): PropertyDecorator {
  const validate = ValidateBy(
    {
      name: IS_IDENTITY_EMAIL,
      constraints: [IDENTITY_EMAIL_MAX_BYTES],
      validator: {
        validate: (value: unknown) => identityEmailViolation(value) === undefined,
        defaultMessage: (args) =>
          identityEmailViolation(args?.value, args?.property) ?? `${args?.property ?? 'email'} is not accepted`,
      },
    },
    options,
  );
  const normalize = Transform(({ value }: { value: unknown }) => mapStrings(value, normalizeIdentityEmail), {
    toClassOnly: true,
  });
  return (target, property) => {
    normalize(target, property);
    validate(target, property);
  };
}
