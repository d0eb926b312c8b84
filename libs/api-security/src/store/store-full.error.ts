import { ErrorCode } from '../errors/codes';
import type { CounterOwner, KeyCapacityClass } from './key-purpose';

/**
 * A bounded store had no room for a new key, and refused it rather than evict anything.
 *
 * The request that needed the key fails closed: a counter that cannot be stored refuses its
 * request (429 or 503, as the store's `whenCountersFull` says), and a security record that cannot
 * be stored (a new session, a login's lockout counter) refuses with 503, so that an old
 * revocation, lockout or spent challenge is never dropped to make room.
 */
export class StoreFullError extends Error {
  readonly code = ErrorCode.STORE_FULL;

  constructor(
    /** Which space was full. */
    readonly capacity: KeyCapacityClass,
    /** The HTTP status the refused request answers with. */
    readonly status: 429 | 503,
    /** For counters: whether the anonymous clients' table was the full one. */
    readonly owner: CounterOwner = 'known',
  ) {
    super(`The security state store has no room for a new ${capacity === 'security' ? 'security record' : 'counter'}.`);
    this.name = 'StoreFullError';
  }
}
