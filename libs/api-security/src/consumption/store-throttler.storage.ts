import { Injectable } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { consumeIfClearInParts } from '../store/consume-if-clear';
import type {
  ConsumeIfClearRequest,
  ConsumeIfClearResult,
  ConsumeRequest,
  ConsumeResult,
  SecurityStore,
} from '../store/security-store';
import { InjectSecurityStore } from '../store/security-store.purpose';

/** The record @nestjs/throttler expects (its interface is not exported from the package root). */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * @nestjs/throttler's storage on the {@link SecurityStore}: shared across instances on Redis (one
 * atomic script per request), bounded and timer-free in memory, and O(1) per hit whatever the
 * number of hits in the window (fixed windows, no per-hit timestamps). Usable on its own with
 * `ThrottlerModule.forRoot({ storage })`; the library's rate-limit step calls {@link consume}
 * to charge all tiers of a request in one round trip.
 */
@Injectable()
export class StoreThrottlerStorage implements ThrottlerStorage {
  constructor(@InjectSecurityStore('rateLimit') private readonly store: SecurityStore) {}

  /** `ttl` and `blockDuration` in milliseconds, as @nestjs/throttler passes them; times answered in seconds. */
  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const [result] = await this.store.consume([
      { key: `throttler:${throttlerName}:${key}`, cost: 1, limit, windowMs: ttl, blockMs: blockDuration },
    ]);
    return {
      totalHits: result.hits,
      timeToExpire: Math.ceil(result.resetMs / 1000),
      isBlocked: result.blocked,
      timeToBlockExpire: Math.ceil(result.retryAfterMs / 1000),
    };
  }

  /** Charges several counters of one request atomically. */
  consume(requests: readonly ConsumeRequest[]): Promise<ConsumeResult[]> {
    return this.store.consume(requests);
  }

  /**
   * Reads revocation records and, unless they veto, charges the counters: one store call where the
   * store implements it (one round trip on Redis), a read then a charge otherwise.
   */
  consumeIfClear(request: ConsumeIfClearRequest): Promise<ConsumeIfClearResult> {
    return this.store.consumeIfClear ? this.store.consumeIfClear(request) : consumeIfClearInParts(this.store, request);
  }
}
