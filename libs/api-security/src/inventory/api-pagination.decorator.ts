import { applyDecorators } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';

/**
 * Documents the `limit` and `offset` query parameters that `pagination()` (or a `PaginationQuery` DTO) validates, with the same
 * bounds (OWASP API4: no unbounded list). Pass the same `max` as to `pagination()` or `PaginationQuery()`.
 */
export function ApiPagination(options: { max?: number } = {}): MethodDecorator {
  const max = options.max ?? 100;
  return applyDecorators(
    ApiQuery({
      name: 'limit',
      required: false,
      description: `Page size, 1 to ${max} (more is a 400, not clamped).`,
      schema: { type: 'integer', format: 'int32', minimum: 1, maximum: max, default: Math.min(20, max) },
    }),
    ApiQuery({
      name: 'offset',
      required: false,
      description: 'Items to skip.',
      schema: { type: 'integer', format: 'int64', minimum: 0, maximum: 999_999_999_999_999, default: 0 },
    }),
  );
}
