import type { GraphQLFormattedError } from 'graphql';

/** The library's stable codes all start so; a driver's own (`GRAPHQL_VALIDATION_FAILED`) do not. */
const LIBRARY_CODE = /^ERR_[A-Z0-9_]+$/;

/** The library's code on the error or, at most a few levels down, on what it wraps. */
function libraryCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { extensions?: { code?: unknown } }).extensions?.code;
    if (typeof code === 'string' && LIBRARY_CODE.test(code)) return code;
    current = (current as { originalError?: unknown }).originalError;
  }
  return undefined;
}

/**
 * Apollo's `formatError`: keeps the library's stable `extensions.code` where Apollo replaces it
 * (a validation error, such as a query limit, becomes `GRAPHQL_VALIDATION_FAILED`), and never lets
 * a stack trace out. Mercurius keeps the code as is and needs nothing.
 *
 * @example
 * ```ts
 * GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, formatError: formatGraphqlError, ... })
 * ```
 */
export function formatGraphqlError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const code = libraryCode(error);
  const { stacktrace: _stacktrace, ...extensions } = (formatted.extensions ?? {}) as Record<string, unknown>;
  return { ...formatted, extensions: code === undefined ? extensions : { ...extensions, code } };
}
