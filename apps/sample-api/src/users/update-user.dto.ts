import { IsBoolean, IsIn, IsOptional, IsString, IsUrl, MaxLength, ValidateIf } from 'class-validator';
import { IsDisplayName, MultilineText, WritableBy } from '@api-security/nestjs';
import { USER_ROLES, type UserRole } from '../database/user.entity';

/** What may change on a user: the owner edits the profile, only admins touch role, state and notes. */
export class UpdateUserDto {
  /** Trimmed before it is checked, so a blank name is a 400, never stored as "". */
  @IsOptional()
  @IsDisplayName({ maxLength: 100 })
  name?: string;

  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsUrl({ protocols: ['https', 'http'], require_protocol: true })
  @MaxLength(2048)
  avatar?: string | null;

  @IsOptional()
  @IsIn(USER_ROLES)
  @WritableBy('admin')
  role?: UserRole;

  @IsOptional()
  @IsBoolean()
  @WritableBy('admin')
  isActive?: boolean;

  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @MaxLength(2000)
  // Notes span lines; every other text field is one line (control characters refused).
  @MultilineText()
  @WritableBy('admin')
  internalNotes?: string | null;
}
