import { IsOptional } from 'class-validator';
import { IsDisplayName } from '../authentication/is-display-name.decorator';
import { IsIdentityEmail } from '../authentication/is-identity-email.decorator';
import { IsPassword } from '../authentication/is-password.decorator';
import { schemaFromValidation } from './validation-schema';

class CredentialsDto {
  @IsIdentityEmail()
  email!: string;

  @IsPassword()
  password!: string;

  @IsOptional()
  @IsDisplayName({ maxLength: 60 })
  name?: string;
}

describe('schemaFromValidation', () => {
  it('documents the credential validators with their bounds', () => {
    expect(schemaFromValidation(CredentialsDto, () => 'unused')).toEqual({
      type: 'object',
      properties: {
        email: { type: 'string', format: 'email', maxLength: 254 },
        password: { type: 'string', minLength: 12, maxLength: 128 },
        name: { type: 'string', minLength: 1, maxLength: 60 },
      },
      required: ['email', 'password'],
      additionalProperties: false,
    });
  });
});
