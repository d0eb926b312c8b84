import { Reflector } from '@nestjs/core';
import type { DefaultVisibility, ResponseModelOptions } from './visibility.metadata';

const DEFAULT_VISIBILITIES: readonly DefaultVisibility[] = ['public', 'authenticated', 'none'];

/**
 * Class decorator: how properties without their own visibility are treated. Without it (or with
 * `defaultVisibility: 'none'`) only properties marked `@VisibleTo(...)` are ever sent.
 *
 * @example
 * ```ts
 * @ResponseModel({ defaultVisibility: 'authenticated' })
 * export class ProductView { name!: string; @VisibleTo('admin') cost!: number; }
 * ```
 */
export const ResponseModel = Reflector.createDecorator<
  ResponseModelOptions | undefined,
  Required<ResponseModelOptions>
>({
  key: 'api-security:response-model',
  // Without a transform, `@ResponseModel()` would store `{}`; resolve the default here, once.
  transform: (options) => {
    const defaultVisibility = options?.defaultVisibility ?? 'none';
    if (!DEFAULT_VISIBILITIES.includes(defaultVisibility)) {
      throw new TypeError(
        `@ResponseModel defaultVisibility must be one of ${DEFAULT_VISIBILITIES.join(', ')} (got ${String(defaultVisibility)}).`,
      );
    }
    return { defaultVisibility };
  },
});
