import { ErrorCode } from './codes';

/**
 * Public wording of every error, in one place. These strings reach clients, so they say what
 * happened in general terms and never why in detail: the why goes to the logger.
 */
export const ErrorMessages: Readonly<Record<ErrorCode, { title: string; detail: string }>> = {
  [ErrorCode.BAD_REQUEST]: { title: 'Bad Request', detail: 'The request could not be processed.' },
  [ErrorCode.VALIDATION]: { title: 'Bad Request', detail: 'The request failed validation.' },
  [ErrorCode.BODY_SHAPE]: {
    title: 'Bad Request',
    detail: 'The request body is nested too deeply or has too many members.',
  },
  [ErrorCode.MALFORMED_JSON]: { title: 'Bad Request', detail: 'The request body is not valid JSON.' },
  [ErrorCode.UNAUTHENTICATED]: { title: 'Unauthorized', detail: 'Authentication is required to access this resource.' },
  [ErrorCode.DPOP_PROOF_INVALID]: {
    title: 'Unauthorized',
    detail: 'A valid DPoP proof for this request is required.',
  },
  [ErrorCode.DPOP_NONCE_REQUIRED]: {
    title: 'Unauthorized',
    detail: 'The DPoP proof must carry the nonce given in the DPoP-Nonce header.',
  },
  [ErrorCode.FORBIDDEN]: { title: 'Forbidden', detail: 'You are not allowed to perform this action.' },
  [ErrorCode.NOT_FOUND]: { title: 'Not Found', detail: 'The requested resource was not found.' },
  [ErrorCode.METHOD_NOT_ALLOWED]: { title: 'Method Not Allowed', detail: 'This method is not allowed here.' },
  [ErrorCode.CONFLICT]: { title: 'Conflict', detail: 'The request conflicts with the current state.' },
  [ErrorCode.GONE]: { title: 'Gone', detail: 'This resource is no longer available.' },
  [ErrorCode.PAYLOAD_TOO_LARGE]: { title: 'Payload Too Large', detail: 'The request body is too large.' },
  [ErrorCode.UNSUPPORTED_MEDIA_TYPE]: {
    title: 'Unsupported Media Type',
    detail: 'The request body must be sent as application/json.',
  },
  [ErrorCode.HEADERS_TOO_LARGE]: {
    title: 'Request Header Fields Too Large',
    detail: 'The request headers are too large.',
  },
  [ErrorCode.RATE_LIMITED]: { title: 'Too Many Requests', detail: 'Too many requests; retry later.' },
  [ErrorCode.ACCOUNT_LOCKED]: {
    title: 'Too Many Requests',
    detail: 'Too many failed attempts; retry later.',
  },
  [ErrorCode.FLOW_LIMITED]: { title: 'Too Many Requests', detail: 'This action was attempted too often; retry later.' },
  [ErrorCode.CHALLENGE_REQUIRED]: { title: 'Bad Request', detail: 'This action requires a solved challenge.' },
  [ErrorCode.CHALLENGE_INVALID]: {
    title: 'Bad Request',
    detail: 'The challenge answer is not valid; request a new challenge.',
  },
  [ErrorCode.CHALLENGE_REUSED]: {
    title: 'Conflict',
    detail: 'This challenge has already been used; request a new challenge.',
  },
  [ErrorCode.INTERNAL]: { title: 'Internal Server Error', detail: 'An unexpected error occurred.' },
  [ErrorCode.STORE_UNAVAILABLE]: {
    title: 'Service Unavailable',
    detail: 'The service is temporarily unavailable; retry later.',
  },
  [ErrorCode.STORE_FULL]: {
    title: 'Service Unavailable',
    detail: 'The service is at capacity; retry later.',
  },
  [ErrorCode.NO_ROUTE_PLAN]: { title: 'Internal Server Error', detail: 'An unexpected error occurred.' },
  [ErrorCode.RESPONSE_CREDENTIAL]: { title: 'Internal Server Error', detail: 'An unexpected error occurred.' },
  [ErrorCode.OUTBOUND_REFUSED]: { title: 'Bad Request', detail: 'The URL is not allowed.' },
  [ErrorCode.OUTBOUND_TIMEOUT]: { title: 'Bad Request', detail: 'The remote server did not answer in time.' },
  [ErrorCode.OUTBOUND_TOO_LARGE]: { title: 'Bad Request', detail: 'The remote response is too large.' },
  [ErrorCode.OUTBOUND_CONTENT_TYPE]: {
    title: 'Bad Request',
    detail: 'The remote response is not of an accepted content type.',
  },
  [ErrorCode.OUTBOUND_FAILED]: { title: 'Bad Gateway', detail: 'The remote server could not be reached.' },
  [ErrorCode.THIRD_PARTY_INVALID]: { title: 'Bad Gateway', detail: 'A remote service sent an invalid response.' },
};

/** The code used for a status when nothing more specific is known. */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return ErrorCode.BAD_REQUEST;
    case 401:
      return ErrorCode.UNAUTHENTICATED;
    case 403:
      return ErrorCode.FORBIDDEN;
    case 404:
      return ErrorCode.NOT_FOUND;
    case 405:
      return ErrorCode.METHOD_NOT_ALLOWED;
    case 409:
      return ErrorCode.CONFLICT;
    case 410:
      return ErrorCode.GONE;
    case 413:
      return ErrorCode.PAYLOAD_TOO_LARGE;
    case 415:
      return ErrorCode.UNSUPPORTED_MEDIA_TYPE;
    case 429:
      return ErrorCode.RATE_LIMITED;
    case 431:
      return ErrorCode.HEADERS_TOO_LARGE;
    case 503:
      return ErrorCode.STORE_UNAVAILABLE;
    default:
      return status >= 500 ? ErrorCode.INTERNAL : ErrorCode.BAD_REQUEST;
  }
}
