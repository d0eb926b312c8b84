import { applyDecorators } from '@nestjs/common';
import { Exclude } from 'class-transformer';
import { defineFieldVisibility } from './visibility.metadata';

/**
 * Property decorator of a response model: never sent to anyone, whatever the class default or
 * another decorator says. Also excluded by class-transformer's `instanceToPlain`, so the value
 * stays out of responses serialized by `ClassSerializerInterceptor` as well.
 *
 * @example
 * ```ts
 * export class UserView { @Hidden() passwordHash!: string; }
 * ```
 */
export function Hidden(): PropertyDecorator {
  return applyDecorators(
    (target: object, property: string | symbol) => defineFieldVisibility(target, property, { kind: 'hidden' }),
    Exclude({ toPlainOnly: true }),
  );
}
