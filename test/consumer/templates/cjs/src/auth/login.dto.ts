import { IsString, MaxLength } from 'class-validator';

export class LoginDto {
  @IsString()
  @MaxLength(254)
  email!: string;

  /** Bounded so a login cannot make the server hash megabytes. */
  @IsString()
  @MaxLength(128)
  password!: string;
}
