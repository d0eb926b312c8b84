import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';

/** Why `SafeHttpClient` refused a call; also the `reason` of the `outbound.refused` event. */
export type OutboundRefusal =
  | 'invalid_url'
  | 'scheme'
  | 'credentials'
  | 'host'
  | 'port'
  | 'address'
  | 'too_many_redirects'
  | 'timeout'
  | 'too_large'
  | 'content_type';

const CODES: Readonly<Record<OutboundRefusal, ErrorCode>> = {
  invalid_url: ErrorCode.OUTBOUND_REFUSED,
  scheme: ErrorCode.OUTBOUND_REFUSED,
  credentials: ErrorCode.OUTBOUND_REFUSED,
  host: ErrorCode.OUTBOUND_REFUSED,
  port: ErrorCode.OUTBOUND_REFUSED,
  address: ErrorCode.OUTBOUND_REFUSED,
  too_many_redirects: ErrorCode.OUTBOUND_REFUSED,
  timeout: ErrorCode.OUTBOUND_TIMEOUT,
  too_large: ErrorCode.OUTBOUND_TOO_LARGE,
  content_type: ErrorCode.OUTBOUND_CONTENT_TYPE,
};

/** Longest host kept in an error or event: a DNS name is at most 253 characters. */
const MAX_HOST = 253;

/**
 * A call `SafeHttpClient` refused by policy: 400 problem details with `ERR_OUTBOUND_REFUSED`, or
 * `ERR_OUTBOUND_TIMEOUT` / `ERR_OUTBOUND_TOO_LARGE` / `ERR_OUTBOUND_CONTENT_TYPE`. The public detail
 * is generic (an exact reason would let a caller map the internal network); the reason is logged.
 */
export class OutboundRefusedError extends SecurityException {
  readonly host: string | undefined;

  constructor(
    readonly refusal: OutboundRefusal,
    host: string | undefined,
    /** A non-secret extra fact for logs and events: the blocked range, the refused media type. */
    readonly info?: string,
  ) {
    const shortHost = host ? host.slice(0, MAX_HOST) : undefined;
    super(400, CODES[refusal], {
      reason: `outbound ${refusal}${shortHost ? ` host=${shortHost}` : ''}${info ? ` (${info})` : ''}`,
    });
    this.host = shortHost;
  }
}

/** The remote side failed (DNS, connection, protocol): 502 `ERR_OUTBOUND_FAILED`. Not a refusal. */
export class OutboundFailedError extends SecurityException {
  constructor(reason: string) {
    super(502, ErrorCode.OUTBOUND_FAILED, { reason: `outbound failed: ${reason}` });
  }
}

/**
 * A third-party response that did not match its DTO (or was not JSON): 502 `ERR_THIRD_PARTY_INVALID`.
 * `problems` names the failing fields and constraints, never their values.
 */
export class ThirdPartyInvalidError extends SecurityException {
  constructor(
    readonly host: string,
    readonly problems: readonly string[],
  ) {
    super(502, ErrorCode.THIRD_PARTY_INVALID, {
      reason: `third-party response from ${host} invalid: ${problems.slice(0, 10).join('; ')}`,
    });
  }
}
