import { HttpException, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { FILTER_CATCH_EXCEPTIONS } from '@nestjs/common/constants';
import { ApplicationConfig } from '@nestjs/core';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { SecurityException } from '../errors/security.exception';
import { ExceptionFilterConflictError } from './exception-filter-conflict.error';
import { ProblemDetailsFilter } from './problem-details.filter';

type Constructor = abstract new (...args: never[]) => unknown;

/** What a filter class catches, as `@Catch(...)` declared it; empty means everything. */
function caught(type: Constructor): readonly unknown[] {
  const declared: unknown = Reflect.getMetadata(FILTER_CATCH_EXCEPTIONS, type);
  return Array.isArray(declared) ? declared : [];
}

/**
 * Whether a filter catching these types would also catch the errors the library answers: every
 * `SecurityException` (an `HttpException`, an `Error`) and the framework's `HttpException`s. A
 * filter for the application's own error types (`@Catch(OrderNotFoundError)`) is not a conflict.
 */
function replacesProblemDetails(types: readonly unknown[]): boolean {
  if (types.length === 0) return true;
  return types.some(
    (type) =>
      typeof type === 'function' &&
      (type === Object ||
        SecurityException.prototype instanceof (type as Constructor) ||
        type === SecurityException ||
        type === HttpException),
  );
}

/**
 * Finds app-wide exception filters (`app.useGlobalFilters(...)` and `APP_FILTER` providers) that
 * would answer instead of {@link ProblemDetailsFilter}: Nest picks the last registered matching
 * filter, so a catch-all registered by the application silently replaces every problem details
 * response. Subclasses of `ProblemDetailsFilter` are the supported way to customize and pass.
 *
 * Runs once every module is initialized and the application's own `useGlobalFilters` calls (made
 * before `listen`/`init`) are known. Strict audit mode refuses to start
 * ({@link ExceptionFilterConflictError}); warn mode logs once.
 */
@Injectable()
export class GlobalFilterCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger('ApiSecurity');

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    private readonly config: ApplicationConfig,
    @Inject(API_SECURITY_OPTIONS)
    private readonly options: { audit: Pick<ResolvedApiSecurityOptions['audit'], 'mode'> },
  ) {}

  onApplicationBootstrap(): void {
    const conflicts = this.conflicts();
    if (conflicts.length === 0) return;
    const error = new ExceptionFilterConflictError(conflicts);
    if (this.options.audit.mode === 'strict') throw error;
    this.logger.warn(`${error.code} ${error.message}`);
  }

  /** Names of the conflicting filter classes, in registration order, each once. */
  conflicts(): string[] {
    const types: Constructor[] = [];
    for (const filter of this.config.getGlobalFilters()) {
      const type = (filter as { constructor?: unknown } | null)?.constructor;
      if (typeof type === 'function') types.push(type as Constructor);
    }
    for (const wrapper of this.config.getGlobalRequestFilters()) {
      if (typeof wrapper.metatype === 'function') types.push(wrapper.metatype as Constructor);
    }
    const names = new Set<string>();
    for (const type of types) {
      if (type === ProblemDetailsFilter || type.prototype instanceof ProblemDetailsFilter) continue;
      if (replacesProblemDetails(caught(type))) names.add(type.name || 'an anonymous filter class');
    }
    return [...names];
  }
}
