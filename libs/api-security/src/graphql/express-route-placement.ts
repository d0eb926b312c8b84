import { ApiSecurityConfigError } from '../errors/api-security-config.error';
import { ConfigErrorCode } from '../errors/config-codes';

interface ExpressLayer {
  readonly handle: unknown;
  readonly route?: unknown;
  match(path: string): boolean;
}

/** The part of an Express app a GraphQL endpoint guard is placed with. */
export interface ExpressRouterApp<Handler> {
  use(path: string, handler: Handler): unknown;
  readonly router?: { readonly stack?: ExpressLayer[] };
}

/**
 * Mounts `handler` on `path` just before the GraphQL driver's route. Called once every route exists
 * (`onApplicationBootstrap`): the driver registers its route after Nest's middleware, and a handler
 * placed before the body parsers would see no body. No route at `path` means the module guards
 * nothing, so the boot stops naming the option to fix.
 */
export function placeBeforeDriverRoute<Handler>(app: ExpressRouterApp<Handler>, path: string, handler: Handler): void {
  app.use(path, handler);
  const stack = app.router?.stack ?? [];
  const mine = stack.findIndex((layer) => layer.handle === handler);
  const route = stack.findIndex((layer) => layer.route !== undefined && layer.match(path));
  if (mine < 0 || route < 0) {
    throw new ApiSecurityConfigError(
      [`no Express route at ${path}: set GraphqlSecurityModule's path to the driver's.`],
      ConfigErrorCode.INVALID_OPTION,
      'GraphqlSecurityModule',
    );
  }
  const [layer] = stack.splice(mine, 1);
  stack.splice(route, 0, layer);
}
