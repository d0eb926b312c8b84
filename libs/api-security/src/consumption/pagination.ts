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

/** The cap and the default page size of `options`; a bad cap is the developer's error, not the client's. */
export function paginationBounds(options: PaginationOptions): { max: number; fallback: number } {
  const max = options.max ?? 100;
  if (!Number.isSafeInteger(max) || max < 1) throw new TypeError(`pagination max must be a positive whole number.`);
  return { max, fallback: Math.min(options.defaultLimit ?? 20, max) };
}

/** `limit` as a number, `fallback` when missing or empty, or undefined when it is not a whole number. */
export function parseLimit(limit: unknown, fallback: number): number | undefined {
  return limit === undefined || limit === '' ? fallback : whole(limit);
}

/** `offset` as a number, 0 when missing or empty, or undefined when it is not a whole number. */
export function parseOffset(offset: unknown): number | undefined {
  return offset === undefined || offset === '' ? 0 : whole(offset);
}

/** The sentence a client gets for a page size outside 1..max (`take` as parsed), or undefined. */
export function limitProblem(take: number | undefined, max: number): string | undefined {
  if (take === undefined || take < 1) return `limit must be a whole number from 1 to ${max}.`;
  if (take > max) return `limit must be at most ${max}.`;
  return undefined;
}

/** The sentence a client gets for a negative or non-numeric offset (`skip` as parsed), or undefined. */
export function offsetProblem(skip: number | undefined): string | undefined {
  return skip === undefined || skip < 0 ? 'offset must be a whole number of 0 or more.' : undefined;
}

/**
 * Validates `limit` and `offset` as they come from the query string (strings) or a DTO (numbers)
 * and bounds the page (OWASP API4: no unbounded list). A missing or empty value takes its default
 * (`defaultLimit`, offset 0); anything else that is not a whole number in range is a 400
 * `ValidationProblemException` naming `limit` and/or `offset`. {@link PaginationQuery} declares
 * the same rules as a query DTO, checked by the library's validation pipe.
 *
 * @example
 * ```ts
 * @Get() list(@Query('limit') limit?: string, @Query('offset') offset?: string) {
 *   return this.orders.find({ where: scopeToOwner(principal), ...pagination(limit, offset, { max: 100 }) });
 * }
 * ```
 */
export function pagination(limit: unknown, offset: unknown, options: PaginationOptions = {}): Pagination {
  const { max, fallback } = paginationBounds(options);
  const errors: FieldError[] = [];
  const take = parseLimit(limit, fallback);
  const skip = parseOffset(offset);
  const limitMessage = limitProblem(take, max);
  if (limitMessage !== undefined) errors.push({ field: 'limit', message: limitMessage });
  const offsetMessage = offsetProblem(skip);
  if (offsetMessage !== undefined) errors.push({ field: 'offset', message: offsetMessage });
  if (errors.length > 0) throw new ValidationProblemException(errors, 'pagination out of bounds');
  return { take: take as number, skip: skip as number };
}
