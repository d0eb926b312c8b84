import { HttpException, Logger } from '@nestjs/common';
import { GraphQLError, type ExecutionResult, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import { ErrorMessages, codeForStatus } from '../errors/messages';
import { SecurityException } from '../errors/security.exception';
import { graphqlRequestIds } from './request-id.context';
import { maskGraphqlError } from './schema-exposure.rules';

/** The library's stable codes all start so; a driver's own (`GRAPHQL_VALIDATION_FAILED`) do not. */
const LIBRARY_CODE = /^ERR_[A-Z0-9_]+$/;

const logger = new Logger('ApiSecurity');

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
 * An HTTP exception a resolver threw where no exception filter ran (a field resolver without the
 * `filters` enhancer, a property getter): its problem code and public message, as the library's
 * filter would have sent them. A server error (5xx) is left to masking.
 */
function fromHttpException(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError | undefined {
  const original = error instanceof Error ? unwrap(error) : error;
  if (!(original instanceof HttpException) || original.getStatus() >= 500) return undefined;
  const status = original.getStatus();
  const code = original instanceof SecurityException ? original.code : codeForStatus(status);
  const message = original instanceof SecurityException ? original.detail : ErrorMessages[code].detail;
  const { locations, path } = formatted;
  return {
    message,
    ...(locations === undefined ? {} : { locations }),
    ...(path === undefined ? {} : { path }),
    extensions: { code, status },
  };
}

/** Logs what masking removed; the response carries none of it. */
function logInternal(internal: string, error: unknown, requestId?: string): void {
  const stack = error instanceof Error ? (unwrap(error).stack ?? '') : '';
  logger.error(`GraphQL error masked${requestId ? ` (request ${requestId})` : ''}: ${internal}`, stack);
}

function unwrap(error: Error): Error {
  let current = error;
  for (let depth = 0; depth < 5; depth++) {
    const original = (current as { originalError?: unknown }).originalError;
    if (!(original instanceof Error)) break;
    current = original;
  }
  return current;
}

/**
 * Apollo's `formatError`: keeps the library's stable `extensions.code` where Apollo replaces it
 * (a validation error, such as a query limit, becomes `GRAPHQL_VALIDATION_FAILED`) and masks the
 * rest: no stack trace, no internal message (an unknown error becomes `ERR_INTERNAL` with the
 * generic message, and is logged), no "Did you mean …?" suggestion. `GraphqlSecurityModule` sets it
 * when the app sets no `formatError`; an app with its own should call it last. Over HTTP the
 * module also adds `extensions.requestId` (the response's `X-Request-Id`).
 *
 * @example
 * ```ts
 * GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, formatError: formatGraphqlError, ... })
 * ```
 */
export function formatGraphqlError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const code = libraryCode(error);
  const restored =
    code === undefined
      ? (fromHttpException(formatted, error) ?? formatted)
      : { ...formatted, extensions: { ...formatted.extensions, code } };
  const { error: masked, internal } = maskGraphqlError(restored);
  if (internal !== undefined) logInternal(internal, error, graphqlRequestIds.getStore());
  return masked;
}

/** What Mercurius hands its `errorFormatter`: the result and the errors as graphql-js raised them. */
export type GraphqlErrorFormatterExecution = ExecutionResult & {
  readonly errors: readonly GraphQLError[];
  readonly statusCode?: number;
};

/** The part of Mercurius's context {@link graphqlErrorFormatter} reads: the reply, for the request id. */
export interface GraphqlErrorFormatterContext {
  /** Fastify's reply, whose `X-Request-Id` header the errors carry. */
  readonly reply?: { getHeader(name: string): unknown };
}

/**
 * Mercurius's `errorFormatter`: every error masked as {@link formatGraphqlError} does, with
 * `extensions.requestId`, and the status code Mercurius's own formatter would give. Optional over
 * HTTP (`GraphqlSecurityModule` masks the response anyway); it also masks what Mercurius sends over
 * WebSocket.
 *
 * @example
 * ```ts
 * GraphQLModule.forRoot<MercuriusDriverConfig>({ driver: MercuriusDriver, errorFormatter: graphqlErrorFormatter, ... })
 * ```
 */
export function graphqlErrorFormatter(
  execution: GraphqlErrorFormatterExecution,
  context: GraphqlErrorFormatterContext,
): { statusCode: number; response: FormattedExecutionResult } {
  const header = context?.reply?.getHeader('x-request-id');
  const requestId = typeof header === 'string' ? header : undefined;
  // Mercurius wraps a validation failure's errors in one error: report each of them.
  const errors = execution.errors.flatMap((error) => {
    const inner = (error.originalError as { errors?: unknown } | undefined)?.errors;
    return Array.isArray(inner) ? inner.filter((e): e is GraphQLError => e instanceof GraphQLError) : [error];
  });
  let statusCode = execution.data ? 200 : (execution.statusCode ?? 200);
  if (!execution.data && execution.statusCode === undefined && execution.errors.length === 1) {
    const status = (execution.errors[0]?.originalError as { statusCode?: unknown } | undefined)?.statusCode;
    if (typeof status === 'number') statusCode = status;
  }
  const formatted = errors.map((error) => {
    const code = libraryCode(error);
    const json = error.toJSON();
    const { error: masked, internal } = maskGraphqlError(
      code === undefined
        ? (fromHttpException(json, error) ?? json)
        : { ...json, extensions: { ...json.extensions, code } },
      statusCode,
      requestId,
    );
    if (internal !== undefined) logInternal(internal, error, requestId);
    return masked;
  });
  return { statusCode, response: { data: execution.data ?? null, errors: formatted } };
}
