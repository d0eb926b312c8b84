import { Reflector } from '@nestjs/core';

/**
 * Marks a route (or a whole controller) as reachable without authentication. Everything else
 * requires an authenticated principal.
 *
 * @example
 * ```ts
 * @Public()
 * @Get('health')
 * health() { return { status: 'ok' }; }
 * ```
 */
export const Public = Reflector.createDecorator<void, true>({ key: 'api-security:public', transform: () => true });
