import { Inject, Injectable, Optional } from '@nestjs/common';
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { SECURITY_CLOCK, systemClock, type SecurityClock } from '../common/clock';

/** `<window in base 36>.<HMAC-SHA-256 of it, base64url>`; anything else is not one of ours. */
const NONCE_PATTERN = /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})$/;

/**
 * Server-provided DPoP nonces (RFC 9449 §8), without shared state: a nonce is the current time
 * window signed with a key derived (HKDF) from `audit.accountHashKey`, which every instance shares,
 * so a nonce issued by one instance is accepted by all. It is valid during its window and the next
 * one. A nonce limits how long a proof made in advance (by malware holding the key for a while)
 * stays usable; replay of one proof is stopped by its single-use `jti`, not by the nonce.
 */
@Injectable()
export class DpopNonceService {
  private readonly key: Buffer;
  private readonly windowMs: number;
  private readonly now: SecurityClock;

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    @Inject(API_SECURITY_OPTIONS) options: ResolvedApiSecurityOptions,
    @Optional() @Inject(SECURITY_CLOCK) clock?: SecurityClock,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', options.audit.accountHashKey, '', 'api-security dpop-nonce v1', 32));
    this.windowMs = options.dpop.nonceLifetimeSeconds * 1000;
    this.now = clock ?? systemClock;
  }

  /** A nonce for the current window (the same string for every call within it, on every instance). */
  issue(): string {
    const window = Math.floor(this.now() / this.windowMs).toString(36);
    return `${window}.${this.mac(window).toString('base64url')}`;
  }

  /** Whether `nonce` was issued by a server with the same key, in this window or the previous one. */
  isValid(nonce: unknown): boolean {
    if (typeof nonce !== 'string') return false;
    const match = NONCE_PATTERN.exec(nonce);
    if (match === null) return false;
    const [, window, mac] = match as unknown as [string, string, string];
    const age = Math.floor(this.now() / this.windowMs) - Number.parseInt(window, 36);
    if (age !== 0 && age !== 1) return false;
    return timingSafeEqual(Buffer.from(mac, 'base64url'), this.mac(window));
  }

  /**
   * Whether a client holding this (valid) nonce should be sent a new one on a successful response
   * (RFC 9449 §8.2): it is of the previous window, so it expires at the end of the current one.
   */
  isStale(nonce: unknown): boolean {
    return typeof nonce === 'string' && nonce !== this.issue();
  }

  private mac(window: string): Buffer {
    return createHmac('sha256', this.key).update(window).digest();
  }
}
