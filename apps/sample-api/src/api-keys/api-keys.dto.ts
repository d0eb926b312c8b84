import { Transform } from 'class-transformer';
import { IsString, MaxLength, MinLength } from 'class-validator';

/** `POST /api/v1/api-keys`: a label for the key, nothing else (unknown fields are refused by the global pipe). */
export class CreateApiKeyDto {
  /** Trimmed, so a name of only spaces is refused rather than stored blank. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;
}
