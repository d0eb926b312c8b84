import type { FieldError } from './security.exception';

/** RFC 9457 problem details, as every error response of the library is shaped. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  /** Stable machine-readable code (`ERR_…`). */
  code: string;
  /** Present on validation failures only. */
  errors?: FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
