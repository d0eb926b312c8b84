import { IsDisplayName } from '@api-security/nestjs';

/** `POST /api/v1/api-keys`: a label for the key, nothing else (unknown fields are refused by the global pipe). */
export class CreateApiKeyDto {
  /** Trimmed, so a name of only spaces is refused rather than stored blank; no invisible or bidi characters. */
  @IsDisplayName({ maxLength: 100 })
  name!: string;
}
