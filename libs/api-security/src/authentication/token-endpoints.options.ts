import type { ControllerOptions, ModuleMetadata, Type } from '@nestjs/common';
import type { RateLimitTierOptions } from '../consumption/rate-limit.options';
import type { UserStore } from './user-store';
import { closestMatch } from '../common/closest-match';
import { ApiSecurityConfigError } from '../errors/api-security-config.error';
import { ConfigErrorCode } from '../errors/config-codes';

/** A route's limits, as `@RateLimit()` takes them: a rate for the `default` tier, or named tiers. */
export type TokenEndpointRateLimit = string | Readonly<Record<string, string | RateLimitTierOptions>>;

/**
 * Options of `TokenEndpointsModule.forRoot()`. Lockout, token lifetimes and password hashing are
 * not here: they are `ApiSecurityModule`'s `sessions` and `jwt` options, shared with every other
 * use of the session services.
 */
export interface TokenEndpointsOptions {
  /** The application's {@link UserStore} class, instantiated by DI in this module. */
  userStore: Type<UserStore>;
  /** Modules whose exported providers the user store injects (e.g. `TypeOrmModule.forFeature([User])`). */
  imports?: ModuleMetadata['imports'];
  /**
   * Controller path of the three routes: `<path>/login`, `<path>/refresh`, `<path>/logout`, under
   * the app's global prefix.
   * @default 'auth'
   */
  path?: string;
  /**
   * Nest version of the routes, for apps that enable versioning (URI versioning: `'1'` serves
   * `/v1/<path>/…`).
   * @default none: the app's default version, if any
   */
  version?: ControllerOptions['version'];
  /**
   * Per-route limits on top of the app's `rateLimit.tiers` (the general budget, which still
   * applies), as `@RateLimit()` takes them, e.g. `{ login: { login: '10/60s' } }` adds a
   * `route:login` tier counted per client IP.
   * Checked at boot like any `@RateLimit()`.
   * @default none: the routes count against the app's tiers like any other route
   */
  rateLimit?: {
    readonly login?: TokenEndpointRateLimit;
    readonly refresh?: TokenEndpointRateLimit;
    readonly logout?: TokenEndpointRateLimit;
  };
}

const ROUTES = ['login', 'refresh', 'logout'] as const;
const OPTION_NAMES = ['userStore', 'imports', 'path', 'version', 'rateLimit'];

/**
 * Checks what can be checked when the module is built; the limits themselves are checked at boot
 * with the other routes' limits.
 * @throws ApiSecurityConfigError listing every problem (`ERR_CONFIG_UNKNOWN_OPTION` when a key is
 *   not an option, else `ERR_CONFIG_INVALID_OPTION`)
 */
export function checkTokenEndpointsOptions(options: TokenEndpointsOptions): void {
  const problems: string[] = [];
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('TokenEndpointsModule.forRoot needs an options object with at least { userStore }.');
  }
  const unknown = Object.keys(options).filter((key) => !OPTION_NAMES.includes(key));
  for (const key of unknown) {
    const near = closestMatch(key, OPTION_NAMES);
    problems.push(
      near === undefined
        ? `Unknown option "${key}"; valid options: ${OPTION_NAMES.join(', ')}.`
        : `Unknown option "${key}"; did you mean "${near}"?`,
    );
  }
  if (typeof options.userStore !== 'function') {
    problems.push('userStore must be a class implementing UserStore (findByEmail, findById).');
  }
  if (options.path !== undefined && (typeof options.path !== 'string' || !/^[A-Za-z0-9/_-]*$/.test(options.path))) {
    problems.push(
      `path must be a route path of letters, digits, "/", "_" and "-" (got ${JSON.stringify(options.path)}).`,
    );
  }
  if (options.imports !== undefined && !Array.isArray(options.imports)) problems.push('imports must be an array.');
  const limits: unknown = options.rateLimit;
  if (limits !== undefined) {
    if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) {
      problems.push('rateLimit must be an object { login?, refresh?, logout? }.');
    } else {
      const routes: readonly string[] = ROUTES;
      const extra = Object.keys(limits).filter((key) => !routes.includes(key));
      if (extra.length > 0)
        problems.push(`rateLimit has unknown route(s) ${extra.join(', ')}; use login, refresh, logout.`);
    }
  }
  if (problems.length > 0) {
    const code = unknown.length > 0 ? ConfigErrorCode.UNKNOWN_OPTION : ConfigErrorCode.INVALID_OPTION;
    throw new ApiSecurityConfigError(problems, code, 'TokenEndpointsModule');
  }
}
