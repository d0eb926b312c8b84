import { ErrorCode } from '../errors/codes';

/**
 * The backing service of a {@link SecurityStore} could not answer in time (down, unreachable,
 * timed out, or replied with an error).
 *
 * The message is deliberately generic: the real reason is kept in `cause` for logs, and never
 * includes connection strings, which may carry passwords.
 */
export class StoreUnavailableError extends Error {
  readonly code = ErrorCode.STORE_UNAVAILABLE;

  constructor(cause?: unknown) {
    super('The security state store is unavailable.', cause === undefined ? undefined : { cause });
    this.name = 'StoreUnavailableError';
  }
}
