/**
 * Thrown at boot (strict audit mode) when an application-wide exception filter would answer instead
 * of the library's problem-details filter. `filters` names each conflicting filter class.
 */
export class ExceptionFilterConflictError extends Error {
  /** Stable code of this boot failure. */
  readonly code = 'ERR_EXCEPTION_FILTER_CONFLICT';

  constructor(readonly filters: readonly string[]) {
    super(
      `${filters.join(', ')} ${filters.length === 1 ? 'is an app-wide exception filter that catches' : 'are app-wide exception filters that catch'} ` +
        `the errors the library answers with problem details, so clients would get ${filters.length === 1 ? 'its' : 'their'} ` +
        `shape instead (and whatever it leaks). Remove it, narrow its @Catch() to your own exception types, or extend ` +
        `ProblemDetailsFilter (see docs/api8-misconfiguration.md, "Your own exception filter"). ` +
        `audit.mode: 'warn' only logs this.`,
    );
    this.name = 'ExceptionFilterConflictError';
  }
}
