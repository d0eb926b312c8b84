import { IsString, MaxLength } from 'class-validator';

/** `POST …/login` body. Validated (and documented in OpenAPI) from these decorators. */
export class TokenLoginDto {
  /**
   * Not checked for email syntax: an address that could never have registered simply fails like
   * an unknown one (same 401, counted towards lockout), and a syntax rule tightened later must not
   * lock out accounts registered before it.
   */
  @IsString()
  @MaxLength(254)
  email!: string;

  /** Bounded so a login can't be used to make the server hash megabytes. */
  @IsString()
  @MaxLength(128)
  password!: string;
}

/** `POST …/refresh` body. */
export class TokenRefreshDto {
  /** Generous bound; the token's exact shape is checked before any store round trip. */
  @IsString()
  @MaxLength(512)
  refreshToken!: string;
}
