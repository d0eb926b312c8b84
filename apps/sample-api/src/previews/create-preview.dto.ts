import { IsString, MaxLength, MinLength } from 'class-validator';

/**
 * `POST /api/v1/previews`: the page to preview, nothing else. Only its length is checked here; which
 * URLs may be fetched is decided by `SafeHttpClient` (scheme, host allowlist, port, address).
 */
export class CreatePreviewDto {
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  url!: string;
}
