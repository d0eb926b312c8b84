import { IsDisplayName, IsIdentityEmail, IsPassword } from '@api-security/nestjs';

/**
 * `POST /auth/register` body. The email arrives normalised (NFKC, trimmed, lower-cased) and the name
 * trimmed; look-alike emails, common passwords and blank names are 400s naming the field.
 */
export class RegisterDto {
  @IsIdentityEmail()
  email!: string;

  @IsPassword()
  password!: string;

  @IsDisplayName({ maxLength: 100 })
  name!: string;
}
