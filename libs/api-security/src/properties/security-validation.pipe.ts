import { Injectable, ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import type { FieldError } from '../errors/security.exception';
import { ValidationProblemException } from '../errors/security.exception';
import { inspectInput } from './input-integrity';
import { findPrototypeKeys } from './prototype-keys';

/** Flattens class-validator's error tree into `{ field: 'items[0].quantity', message }` entries. */
export function flattenValidationErrors(errors: readonly ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = /^\d+$/.test(error.property)
      ? `${parent}[${error.property}]`
      : parent
        ? `${parent}.${error.property}`
        : error.property;
    for (const message of Object.values(error.constraints ?? {})) out.push({ field, message });
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

/**
 * The global validation pipe (the library's only `APP_PIPE`): only declared fields are accepted
 * (an unknown field is a 400 that names it, never silently dropped), values are transformed to
 * their DTO types, and failures become problem details with an `errors` list.
 *
 * It also refuses `__proto__`, `constructor` and `prototype` keys in body and query objects before
 * class-transformer copies them. `WritePolicyStep` already refuses them in the raw body;
 * this keeps the pipe safe on its own and covers query objects.
 *
 * Before class-transformer runs, every body, query and route parameter is checked for integrity
 * (see `findInputViolations`): a property declared as a nested DTO must hold a plain object
 * (or an array of them), and no string or property name may contain a control character, except
 * tab, line feed and carriage return in a `@MultilineText()` property. Both are 400s naming the field.
 * One walk of the value serves the prototype-key and the integrity checks.
 */
@Injectable()
export class SecurityValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => new ValidationProblemException(flattenValidationErrors(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'body' && metadata.type !== 'query' && metadata.type !== 'param') {
      return super.transform(value, metadata);
    }
    const data = typeof metadata.data === 'string' ? metadata.data : '';
    const watchKeys = metadata.type !== 'param' && typeof value === 'object' && value !== null;
    // One walk for both checks. It walks the value this pipe was given, never facts the guard
    // recorded: an interceptor or another pipe may have replaced or changed the body since.
    const { errors, prototypeKeys } = inspectInput(value, metadata.metatype, {
      controlCharacters: true,
      path: data,
      rootName: metadata.type,
      prototypeKeys: watchKeys,
    });
    // Prototype keys are refused first, as they always were. The walk's answer is complete when it
    // found no integrity problem; otherwise (it skips what it refuses) the keys are looked for again.
    if (watchKeys && (prototypeKeys || errors.length > 0)) {
      const poisoned = findPrototypeKeys(value);
      if (poisoned.length > 0) {
        const prefix = data ? `${data}.` : '';
        throw new ValidationProblemException(
          poisoned.map((path) => ({
            field: `${prefix}${path}`,
            message: `${prefix}${path} is not an accepted property name`,
          })),
          `prototype key in ${metadata.type}`,
        );
      }
    }
    if (errors.length > 0) throw new ValidationProblemException(errors, `input integrity of ${metadata.type}`);
    // ValidationPipe's own first branch (nothing to validate: a primitive route parameter, a value
    // without a type), taken here instead of through its second async frame: one promise and one
    // await fewer per parameter.
    if (this.expectedType === undefined && (!metadata.metatype || !this.toValidate(metadata))) {
      return this.isTransformEnabled ? this.transformPrimitive(value, metadata) : value;
    }
    return super.transform(value, metadata);
  }
}
