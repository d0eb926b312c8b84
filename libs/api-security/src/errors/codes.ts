/**
 * Stable machine-readable error codes. Clients may branch on them; they never change meaning.
 * Every problem-details response carries exactly one of these in its `code` member.
 */
export const ErrorCode = {
  BAD_REQUEST: 'ERR_BAD_REQUEST',
  VALIDATION: 'ERR_VALIDATION',
  MALFORMED_JSON: 'ERR_MALFORMED_JSON',
  UNAUTHENTICATED: 'ERR_UNAUTHENTICATED',
  FORBIDDEN: 'ERR_FORBIDDEN',
  NOT_FOUND: 'ERR_NOT_FOUND',
  METHOD_NOT_ALLOWED: 'ERR_METHOD_NOT_ALLOWED',
  CONFLICT: 'ERR_CONFLICT',
  GONE: 'ERR_GONE',
  PAYLOAD_TOO_LARGE: 'ERR_PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'ERR_UNSUPPORTED_MEDIA_TYPE',
  HEADERS_TOO_LARGE: 'ERR_HEADERS_TOO_LARGE',
  RATE_LIMITED: 'ERR_RATE_LIMITED',
  ACCOUNT_LOCKED: 'ERR_ACCOUNT_LOCKED',
  INTERNAL: 'ERR_INTERNAL',
  STORE_UNAVAILABLE: 'ERR_STORE_UNAVAILABLE',
  NO_ROUTE_PLAN: 'ERR_NO_ROUTE_PLAN',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
