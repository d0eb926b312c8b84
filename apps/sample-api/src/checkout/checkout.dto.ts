import { IsString, MaxLength, MinLength } from 'class-validator';

/** `POST /api/v1/checkout`: which order, and the solved proof-of-work challenge. */
export class CheckoutDto {
  /** Ownership is checked from this field by `@Owns('order', { body: 'orderId' })` before the handler runs. */
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  orderId!: string;

  /** As issued by `GET /api/v1/checkout/challenge`; verified by `@SensitiveFlow`. */
  @IsString()
  @MaxLength(128)
  challenge!: string;

  /** Found by the client so that hex SHA-256 of `challenge + nonce` starts with `difficulty` zeros. */
  @IsString()
  @MaxLength(128)
  nonce!: string;
}
