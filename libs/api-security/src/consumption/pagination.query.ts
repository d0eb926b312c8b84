import type { Type } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { ValidateBy } from 'class-validator';
import {
  limitProblem,
  offsetProblem,
  paginationBounds,
  parseLimit,
  parseOffset,
  type PaginationOptions,
} from './pagination';

/** A validated page as the handler receives it: `limit` items from `offset`. */
export interface PaginationParams {
  /** Page size, 1 to the cap. */
  readonly limit: number;
  /** Items skipped, 0 or more. */
  readonly offset: number;
}

/**
 * A query DTO of `limit` and `offset` with the rules of {@link pagination} (OWASP API4: no
 * unbounded list), for the library's validation pipe: a page over the cap, a negative, decimal,
 * signed or repeated value is a 400 problem details whose `errors` name `limit` and/or `offset`,
 * with the same sentences as `pagination()`. Missing or empty values take their defaults. As with
 * every DTO, any other query parameter is a 400: extend the class to add filters.
 *
 * @example
 * ```ts
 * class OrdersPage extends PaginationQuery({ max: 50 }) {}
 *
 * @Get() @ApiPagination({ max: 50 })
 * list(@Query() page: OrdersPage) {
 *   return this.orders.find({ take: page.limit, skip: page.offset });
 * }
 * ```
 */
export function PaginationQuery(options: PaginationOptions = {}): Type<PaginationParams> {
  const { max, fallback } = paginationBounds(options);
  // A value that does not parse is kept as given, so the validator below names it.
  const keep =
    (parse: (value: unknown) => number | undefined) =>
    ({ value }: { value: unknown }): unknown =>
      parse(value) ?? value;
  const number = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

  class PaginationQueryDto implements PaginationParams {
    @Transform(keep((value) => parseLimit(value, fallback)))
    @ValidateBy({
      name: 'paginationLimit',
      validator: {
        validate: (value) => limitProblem(number(value), max) === undefined,
        defaultMessage: (args) => limitProblem(number(args?.value), max) ?? '',
      },
    })
    readonly limit: number = fallback;

    @Transform(keep(parseOffset))
    @ValidateBy({
      name: 'paginationOffset',
      validator: {
        validate: (value) => offsetProblem(number(value)) === undefined,
        defaultMessage: (args) => offsetProblem(number(args?.value)) ?? '',
      },
    })
    readonly offset: number = 0;
  }
  return PaginationQueryDto;
}
