import {
  Catch,
  HttpException,
  Inject,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
  type ExecutionContext,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { ErrorCode } from '../errors/codes';
import { codeForStatus, ErrorMessages } from '../errors/messages';
import { PROBLEM_CONTENT_TYPE, type ProblemDetails } from '../errors/problem-details';
import { SecurityException, type FieldError } from '../errors/security.exception';
import { StoreFullError } from '../store/store-full.error';
import { StoreUnavailableError } from '../store/store-unavailable.error';
import { rawRequest, rawResponse, requestPath } from '../common/raw-http';
import { requestInGraphqlContext, responseOf } from '../common/graphql-context';
import { assignRequestId } from './request-id';
import { SecurityHeadersService } from './security-headers.service';

/** What {@link ProblemDetailsFilter.map} makes of an exception: the problem, and why (for the log). */
export interface ProblemMapping {
  status: number;
  code: ErrorCode;
  detail?: string;
  headers?: Readonly<Record<string, string>>;
  errors?: readonly FieldError[];
  /** Why, for the log. */
  reason?: string;
}

/** Body-parser (Express) and content-type-parser (Fastify) failures, by their own identifiers. */
const PARSER_ERRORS: Readonly<Record<string, Pick<ProblemMapping, 'status' | 'code'>>> = {
  'entity.too.large': { status: 413, code: ErrorCode.PAYLOAD_TOO_LARGE },
  'entity.parse.failed': { status: 400, code: ErrorCode.MALFORMED_JSON },
  'encoding.unsupported': { status: 415, code: ErrorCode.UNSUPPORTED_MEDIA_TYPE },
  'charset.unsupported': { status: 415, code: ErrorCode.UNSUPPORTED_MEDIA_TYPE },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: ErrorCode.PAYLOAD_TOO_LARGE },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: ErrorCode.UNSUPPORTED_MEDIA_TYPE },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: ErrorCode.BAD_REQUEST },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: ErrorCode.MALFORMED_JSON },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: ErrorCode.MALFORMED_JSON },
};

/**
 * Turns every error into RFC 9457 problem details. Clients get a status, a stable code and a
 * generic sentence; the logger gets the real reason with the request id. Anything unknown is a
 * 500: an unexpected error never becomes a success, and never shows a stack, SQL or path.
 *
 * The module registers it. To answer the application's own error types in the same shape, extend it,
 * override {@link ProblemDetailsFilter.map}, provide the subclass and register it with
 * `app.useGlobalFilters(app.get(AppProblemDetailsFilter))`; any other app-wide catch-all filter is
 * refused at boot (`ExceptionFilterConflictError`).
 *
 * @example
 * ```ts
 * @Catch()
 * export class AppProblemDetailsFilter extends ProblemDetailsFilter {
 *   protected override map(exception: unknown): ProblemMapping {
 *     if (exception instanceof OrderNotFoundError) return super.map(new NotFoundException('No such order.'));
 *     return super.map(exception);
 *   }
 * }
 * ```
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  protected readonly logger = new Logger('ApiSecurity');

  /** @internal Created by dependency injection (subclasses inherit these dependencies); do not construct it. */
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly headers: SecurityHeadersService,
    @Inject(API_SECURITY_OPTIONS) private readonly options: ResolvedApiSecurityOptions,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void | Error {
    if (host.getType<string>() === 'graphql') {
      const error = this.graphqlError(exception, host);
      // A subscription's own resolver must fail, not return: Mercurius's filtered subscriptions
      // (withFilter) iterate whatever it returns, and an Error would surface as a TypeError.
      if (isSubscriptionRoot(host)) throw error;
      return error;
    }
    const http = host.switchToHttp();
    const request = http.getRequest<unknown>();
    const response = http.getResponse<unknown>();
    const req = rawRequest(request);
    const res = rawResponse(response);
    const requestId = this.headers.apply(req, res);
    const mapped = this.map(exception);
    this.log(mapped, exception, requestId, req.method ?? '', requestPath(request));

    const adapter = this.adapterHost.httpAdapter;
    if (res.headersSent || res.writableEnded) return;
    const body: ProblemDetails = {
      type: `${this.options.problemTypeBase}${mapped.code.slice(4).toLowerCase().replace(/_/g, '-')}`,
      title: ErrorMessages[mapped.code].title,
      status: mapped.status,
      detail: mapped.detail ?? ErrorMessages[mapped.code].detail,
      instance: requestPath(request),
      requestId,
      code: mapped.code,
      ...(mapped.errors ? { errors: [...mapped.errors] } : {}),
    };
    for (const [name, value] of Object.entries(mapped.headers ?? {})) adapter.setHeader(response, name, value);
    if (mapped.status === 401 && !mapped.headers?.['WWW-Authenticate']) {
      adapter.setHeader(response, 'WWW-Authenticate', 'Bearer');
    }
    adapter.setHeader(response, 'Content-Type', PROBLEM_CONTENT_TYPE);
    adapter.reply(response, JSON.stringify(body), mapped.status);
  }

  /**
   * Under GraphQL the error becomes an entry of the response's `errors`: the filter returns it and
   * graphql-js reports it for the resolver's field (whose value is then null). Its message is the
   * code's public detail and `extensions.code` the stable problem code (with `extensions.retryAfter`,
   * in seconds, when the refusal has a `Retry-After`); graphql-js copies an original error's
   * `extensions`. The reason, cause and internals are logged, never sent.
   */
  protected graphqlError(exception: unknown, host?: ArgumentsHost): Error {
    const mapped = this.map(exception);
    // The request id the response's X-Request-Id and the error's extensions.requestId carry, for the log.
    const request = host === undefined ? undefined : requestInGraphqlContext(host.getArgByIndex<unknown>(2));
    const requestId = typeof request === 'object' && request !== null ? assignRequestId(rawRequest(request)) : '';
    this.log(mapped, exception, requestId, 'GRAPHQL', '');
    const error = new Error(mapped.detail ?? ErrorMessages[mapped.code].detail) as Error & {
      extensions: Record<string, unknown>;
    };
    error.extensions = { code: mapped.code, status: mapped.status };
    // A refusal that says when to come back says it in the error (seconds) and, over HTTP, in the header.
    const retryAfter = mapped.headers?.['Retry-After'];
    if (retryAfter !== undefined) {
      error.extensions.retryAfter = Number(retryAfter);
      const found = host === undefined ? undefined : responseOf(host as ExecutionContext);
      const response = found === undefined ? undefined : rawResponse(found);
      if (typeof response?.setHeader === 'function' && response.headersSent !== true) {
        response.setHeader('Retry-After', retryAfter);
      }
    }
    // Nothing of the original (stack, SQL, paths) travels with it, even where a server prints stacks.
    error.stack = '';
    return error;
  }

  /** Hook: map an exception to a problem. Subclasses may add their own types first. */
  protected map(exception: unknown): ProblemMapping {
    if (exception instanceof SecurityException) {
      return {
        status: exception.getStatus(),
        code: exception.code,
        detail: exception.detail,
        headers: exception.headers,
        ...(exception.errors ? { errors: exception.errors } : {}),
        ...(exception.reason ? { reason: exception.reason } : {}),
      };
    }
    if (exception instanceof StoreFullError) {
      // A counter that found no room refuses like a rate limit (or 503 if the store says so); a full
      // security space refuses new sessions and logins. Either way nothing was let through unchecked.
      return exception.status === 429
        ? { status: 429, code: ErrorCode.RATE_LIMITED, headers: { 'Retry-After': '60' }, reason: 'store full' }
        : { status: 503, code: ErrorCode.STORE_FULL, headers: { 'Retry-After': '60' }, reason: 'store full' };
    }
    if (exception instanceof StoreUnavailableError) {
      return { status: 503, code: ErrorCode.STORE_UNAVAILABLE, headers: { 'Retry-After': '5' }, reason: 'store' };
    }
    if (exception instanceof HttpException) {
      // The adapters wrap parser and framework errors in an HttpException with the original as
      // cause; those are answered by what the cause was, with a generic detail.
      if (exception.cause !== undefined) {
        const fromCause = this.parserError(exception.cause);
        if (fromCause) return fromCause;
        const status = exception.getStatus();
        return { status, code: codeForStatus(status), reason: 'framework error' };
      }
      const status = exception.getStatus();
      const code = codeForStatus(status);
      return { status, code, ...(status < 500 ? { detail: this.publicDetail(exception, code) } : {}) };
    }
    const known = this.parserError(exception);
    if (known) return known;
    return { status: 500, code: ErrorCode.INTERNAL };
  }

  /**
   * A 4xx message the application chose to send is kept (e.g. "Email already registered"); Nest's
   * own router messages ("Cannot GET /path") and structured bodies are replaced by the generic one.
   */
  private publicDetail(exception: HttpException, code: ErrorCode): string {
    const body = exception.getResponse();
    const message = typeof body === 'string' ? body : (body as { message?: unknown }).message;
    if (typeof message !== 'string' || message.length > 200 || /^Cannot [A-Z]+ \//.test(message)) {
      return ErrorMessages[code].detail;
    }
    if (message === exception.constructor.name.replace(/Exception$/, '').replace(/([a-z])([A-Z])/g, '$1 $2')) {
      return ErrorMessages[code].detail;
    }
    return message;
  }

  private parserError(exception: unknown): ProblemMapping | undefined {
    if (typeof exception !== 'object' || exception === null) return undefined;
    const e = exception as { type?: unknown; code?: unknown; status?: unknown; statusCode?: unknown };
    const byId =
      (typeof e.type === 'string' ? PARSER_ERRORS[e.type] : undefined) ??
      (typeof e.code === 'string' ? PARSER_ERRORS[e.code] : undefined);
    if (byId) return { ...byId, reason: String(e.type ?? e.code) };
    const status = typeof e.statusCode === 'number' ? e.statusCode : typeof e.status === 'number' ? e.status : 0;
    if (exception instanceof SyntaxError && status === 400) {
      return { status: 400, code: ErrorCode.MALFORMED_JSON, reason: 'json syntax' };
    }
    if (status >= 400 && status < 500) return { status, code: codeForStatus(status), reason: 'framework 4xx' };
    return undefined;
  }

  private log(mapped: ProblemMapping, exception: unknown, requestId: string, method: string, url: string): void {
    const where = `${method} ${url} requestId=${requestId}`;
    if (mapped.status >= 500 && mapped.code !== ErrorCode.STORE_UNAVAILABLE && mapped.code !== ErrorCode.STORE_FULL) {
      const error = exception instanceof Error ? exception : new Error(String(exception));
      this.logger.error(`${mapped.code} ${where}: ${error.message}`, error.stack);
    } else if (mapped.status >= 500) {
      this.logger.error(`${mapped.code} ${where}`);
    } else if (mapped.reason && !this.options.production) {
      this.logger.debug(`${mapped.code} ${where}: ${mapped.reason}`);
    }
  }
}

/** Whether a GraphQL exception comes from a subscription's root resolver (its `subscribe`). */
function isSubscriptionRoot(host: ArgumentsHost): boolean {
  const info = host.getArgByIndex<{ operation?: { operation?: unknown }; path?: { prev?: unknown } } | undefined>(3);
  return info?.operation?.operation === 'subscription' && info.path !== undefined && info.path.prev === undefined;
}
