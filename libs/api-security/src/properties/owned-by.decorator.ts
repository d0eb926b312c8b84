import { Reflector } from '@nestjs/core';

/**
 * Class decorator: the property holding the id of the principal that owns an instance. Enables the
 * `owner` pseudo-role in `@VisibleTo` for that class (the principal's id must equal this value).
 *
 * @example
 * ```ts
 * @OwnedBy('userId')
 * export class OrderView { @VisibleTo('owner', 'admin') total!: number; userId!: string; }
 * ```
 */
export const OwnedBy = Reflector.createDecorator<string, string>({
  key: 'api-security:owned-by',
  // `@OwnedBy()` would otherwise store `{}` and make every instance's owner `undefined`.
  transform: (field) => {
    if (typeof field !== 'string' || field.trim() === '') {
      throw new TypeError("@OwnedBy needs the name of the property that holds the owner id, e.g. @OwnedBy('userId').");
    }
    return field;
  },
});
