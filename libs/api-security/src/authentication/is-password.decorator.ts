import { ValidateBy, type ValidationOptions } from 'class-validator';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordPolicyViolation } from './password.policy';

/** Name of the class-validator constraint `@IsPassword()` records (the OpenAPI schema reads it). */
export const IS_PASSWORD = 'isPassword';

/**
 * Property decorator of an input DTO: a new password (registration, password change, reset) that
 * meets the library's policy, the one `PasswordService.assertPolicy` enforces:
 *
 * - 12 to 128 characters, counted as Unicode code points of the NFC form;
 * - not only white space or invisible characters, and not one character repeated (`aaaaaaaaaaaa`);
 * - not one of the bundled common and breached passwords (the 10,000 most common, plus every
 *   listed one long enough to pass the length rule), compared case-insensitively after NFKC folding;
 * - no composition rules, as OWASP ASVS 5.0 V6.2.5 and NIST SP 800-63B-4 ask.
 *
 * A refusal is a 400 problem with an `errors` entry naming the field and saying which rule failed,
 * never echoing the password. The value is not transformed: the handler gets what the user typed.
 * Use it for passwords being chosen, not on a login form, where a policy tightened later must not
 * lock out existing accounts. It also documents `minLength`/`maxLength` in the OpenAPI schema.
 *
 * @example
 * ```ts
 * export class ChangePasswordDto {
 *   @IsString() @MaxLength(128) currentPassword!: string;
 *   @IsPassword() newPassword!: string;
 * }
 * ```
 */
export function IsPassword(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: IS_PASSWORD,
      constraints: [PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH],
      validator: {
        validate: (value: unknown) => passwordPolicyViolation(value) === undefined,
        defaultMessage: (args) =>
          passwordPolicyViolation(args?.value, args?.property) ?? `${args?.property ?? 'password'} is not accepted`,
      },
    },
    options,
  );
}
