import { ApiParam } from '@nestjs/swagger';

/** Documents the `:id` route parameter: every id of this app is a random UUID (36 characters). */
export const ApiIdParam = (): MethodDecorator =>
  ApiParam({ name: 'id', description: 'Random UUID.', schema: { type: 'string', format: 'uuid', maxLength: 36 } });
