import { HttpException } from '@nestjs/common';
import { ErrorCode } from './codes';
import { ErrorMessages } from './messages';

/** One invalid field of a request, as reported to the client. */
export interface FieldError {
  field: string;
  message: string;
}

/** Details of a `SecurityException` beyond its status and code. */
export interface SecurityExceptionOptions {
  /** Public detail; defaults to the code's generic message. Never put secrets or internals here. */
  detail?: string;
  /** Why it happened, for the logger only. */
  reason?: string;
  /** Response headers that belong to this error (e.g. `WWW-Authenticate`, `Retry-After`). */
  headers?: Readonly<Record<string, string>>;
  /** Field errors, for validation failures. */
  errors?: readonly FieldError[];
}

/**
 * An error the library raises on purpose. The problem-details filter renders it with its stable
 * `code`; `reason` is logged and never sent.
 */
export class SecurityException extends HttpException {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly reason: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly errors: readonly FieldError[] | undefined;

  constructor(status: number, code: ErrorCode, options: SecurityExceptionOptions = {}) {
    const detail = options.detail ?? ErrorMessages[code].detail;
    super(detail, status);
    this.code = code;
    this.detail = detail;
    this.reason = options.reason;
    this.headers = options.headers ?? {};
    this.errors = options.errors;
  }
}

/** 401 with the `WWW-Authenticate: Bearer` challenge RFC 6750 asks for. */
export class UnauthenticatedException extends SecurityException {
  constructor(reason?: string, bearerError?: 'invalid_token' | 'invalid_request') {
    const challenge = bearerError ? `Bearer error="${bearerError}"` : 'Bearer';
    super(401, ErrorCode.UNAUTHENTICATED, { reason, headers: { 'WWW-Authenticate': challenge } });
  }
}

/** 400 listing the invalid fields. */
export class ValidationProblemException extends SecurityException {
  constructor(errors: readonly FieldError[], reason?: string) {
    super(400, ErrorCode.VALIDATION, { errors, reason });
  }
}
