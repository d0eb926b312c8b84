import { SetMetadata } from '@nestjs/common';

export const BODY_LIMIT_METADATA = 'api-security:body-limit';

/**
 * A smaller body limit for one route (or controller) than `hardening.bodyLimit`: bytes or
 * `'10kb'`. It cannot raise the global limit (the body parser refuses first), and the boot check
 * says so. Requests over it get 413 before the body reaches validation.
 *
 * @example
 * ```ts
 * @BodyLimit('2kb')
 * @Post('login')
 * ```
 */
export function BodyLimit(limit: string | number): MethodDecorator & ClassDecorator {
  return SetMetadata(BODY_LIMIT_METADATA, limit);
}
