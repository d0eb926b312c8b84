import type { FieldError } from '../errors/security.exception';
import { ValidationProblemException } from '../errors/security.exception';

/** Caps of {@link pagination}. */
export interface PaginationOptions {
  /**
   * Largest page a client may ask for; more is a 400, not silently clamped, so clients notice.
   * @default 100
   */
  max?: number;
  /**
   * Page size when the client gives none (capped at `max`).
   * @default 20
   */
  defaultLimit?: number;
}

/** A validated page, in TypeORM's terms: spread it into `find` options. */
export interface Pagination {
  readonly take: number;
  readonly skip: number;
}

/** Digits only: no sign, exponent, decimals, spaces, hex, or array (`?limit=1&limit=2`). */
const DIGITS = /^\d{1,15}$/;

function whole(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && DIGITS.test(value)) return Number(value);
  return undefined;
}

/**
 * Validates `limit` and `offset` as they come from the query string (strings) or a DTO (numbers)
 * and bounds the page (OWASP API4: no unbounded list). A missing or empty value takes its default
 * (`defaultLimit`, offset 0); anything else that is not a whole number in range is a 400
 * `ValidationProblemException` naming `limit` and/or `offset`.
 *
 * @example
 * ```ts
 * @Get() list(@Query('limit') limit?: string, @Query('offset') offset?: string) {
 *   return this.orders.find({ where: scopeToOwner(principal), ...pagination(limit, offset, { max: 100 }) });
 * }
 * ```
 */
export function pagination(limit: unknown, offset: unknown, options: PaginationOptions = {}): Pagination {
  const max = options.max ?? 100;
  if (!Number.isSafeInteger(max) || max < 1) throw new TypeError(`pagination max must be a positive whole number.`);
  const fallback = Math.min(options.defaultLimit ?? 20, max);
  const errors: FieldError[] = [];
  const take = limit === undefined || limit === '' ? fallback : whole(limit);
  if (take === undefined || take < 1) {
    errors.push({ field: 'limit', message: `limit must be a whole number from 1 to ${max}.` });
  } else if (take > max) {
    errors.push({ field: 'limit', message: `limit must be at most ${max}.` });
  }
  const skip = offset === undefined || offset === '' ? 0 : whole(offset);
  if (skip === undefined || skip < 0) {
    errors.push({ field: 'offset', message: 'offset must be a whole number of 0 or more.' });
  }
  if (errors.length > 0) throw new ValidationProblemException(errors, 'pagination out of bounds');
  return { take: take as number, skip: skip as number };
}
