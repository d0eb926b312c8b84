import { Inject, Injectable, Optional } from '@nestjs/common';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { SecurityEventBus } from '../audit/security-event.bus';
import { SECURITY_CLOCK, systemClock, type SecurityClock } from '../common/clock';
import type { SecurityStore } from '../store/security-store';
import { InjectSecurityStore } from '../store/security-store.purpose';
import { revokedJtiKey, revokedSessionKey, userValidAfterKey } from './revocation.keys';
import { revocationRecordsOf, revokedByRecords } from './revocation-records';

/** What {@link RevocationService.isRevoked} needs to know about a credential. */
export interface RevocablePrincipal {
  /** The user id (`sub`). */
  readonly id: string;
  /** The token id (`jti`). */
  readonly tokenId?: string;
  /** Issue time, epoch seconds (`iat`). */
  readonly issuedAt?: number;
  /** The session the token was minted from (`sid`, the refresh-token family id). */
  readonly sessionId?: string;
}

/** Options of {@link RevocationService.revokeSession}. */
export interface RevokeSessionOptions {
  /**
   * Milliseconds until the session could have minted its last access token anyway (its refresh
   * family's absolute expiry). Unknown: `jwt.refreshTokenTtlSeconds`, the longest a session lives.
   */
  readonly sessionEndsInMs?: number;
}

/**
 * Access-token revocation in the shared store, so every instance sees it:
 * - one token: its `jti` is kept until the token would have expired anyway;
 * - one session: every access token carrying its `sid` (the refresh-token family it was minted
 *   from), kept until the last token the session could have minted would have expired;
 * - everything of a user: a "valid after" stamp (epoch ms) that kills every access token issued
 *   before it, and that refresh-token handling can read too.
 *
 * Checking costs one store round trip (`getMany` on up to three keys sharing the user's hash tag).
 */
@Injectable()
export class RevocationService {
  private readonly toleranceMs: number;
  private readonly validAfterTtlMs: number;
  private readonly accessTtlMs: number;
  private readonly sessionTtlMs: number;
  private readonly now: SecurityClock;

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    @InjectSecurityStore('revocation') private readonly store: SecurityStore,
    private readonly events: SecurityEventBus,
    @Inject(API_SECURITY_OPTIONS) options: ResolvedApiSecurityOptions,
    @Optional() @Inject(SECURITY_CLOCK) clock?: SecurityClock,
  ) {
    this.now = clock ?? systemClock;
    const { jwt } = options;
    this.toleranceMs = jwt.clockToleranceSeconds * 1000;
    // The stamp must outlive every credential issued before it: the longest of them is a refresh token.
    this.validAfterTtlMs = Math.max(jwt.refreshTokenTtlSeconds, jwt.accessTokenTtlSeconds) * 1000 + this.toleranceMs;
    this.accessTtlMs = jwt.accessTokenTtlSeconds * 1000;
    this.sessionTtlMs = jwt.refreshTokenTtlSeconds * 1000;
  }

  /**
   * Revokes one access token until its expiry (plus the clock tolerance the verifier allows).
   * A token already past that point needs nothing stored.
   * @param expiresAt the token's `exp`, epoch seconds
   */
  async revokeToken(userId: string, jti: string, expiresAt: number): Promise<void> {
    assertId(userId, 'userId');
    assertId(jti, 'jti');
    if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) {
      throw new TypeError('RevocationService.revokeToken: expiresAt must be epoch seconds.');
    }
    const ttlMs = Math.ceil(expiresAt * 1000 + this.toleranceMs - this.now());
    if (ttlMs > 0) await this.store.set(revokedJtiKey(userId, jti), '1', ttlMs);
    this.events.emit({ type: 'token.revoked', principalId: userId, reason: 'token', details: { tokenId: jti } });
  }

  /**
   * Revokes the session `sessionId` of the user: every access token whose `sid` it is gets refused
   * from the next request on, on every instance, whatever its `jti`. The user's other sessions are
   * untouched. Refresh tokens of the session are ended by `RefreshTokenService.revokeFamily`, which
   * calls this; call it directly for sessions of your own.
   *
   * The record is kept until the session's end plus one access-token lifetime and the clock
   * tolerance: no access token of the session, even one minted by a rotation still in flight, can
   * outlive it.
   */
  async revokeSession(userId: string, sessionId: string, options: RevokeSessionOptions = {}): Promise<void> {
    assertId(userId, 'userId');
    assertId(sessionId, 'sessionId');
    const { sessionEndsInMs } = options;
    if (sessionEndsInMs !== undefined && (typeof sessionEndsInMs !== 'number' || Number.isNaN(sessionEndsInMs))) {
      throw new TypeError('RevocationService.revokeSession: sessionEndsInMs must be a number of milliseconds.');
    }
    // Capped at the longest a session lives: a clock far off must not keep the record for ever.
    const endsInMs = Math.min(Math.max(sessionEndsInMs ?? this.sessionTtlMs, 0), this.sessionTtlMs);
    const ttlMs = Math.ceil(endsInMs + this.accessTtlMs + this.toleranceMs);
    await this.store.set(revokedSessionKey(userId, sessionId), '1', ttlMs);
    this.events.emit({ type: 'token.revoked', principalId: userId, reason: 'session', details: { sessionId } });
  }

  /**
   * Revokes every access token (and, for code that reads the same stamp, refresh token) the user
   * holds now. Tokens issued afterwards are valid: `TokenService` never issues an `iat` before the stamp.
   */
  async revokeAllForUser(userId: string): Promise<void> {
    assertId(userId, 'userId');
    // The stamp is the first millisecond that is valid again. Credentials are compared with `<`, so
    // one issued in the very millisecond of the revocation (before it, as far as anyone can tell)
    // dies too, while issuers bump anything newer to the stamp itself.
    await this.store.set(userValidAfterKey(userId), String(this.now() + 1), this.validAfterTtlMs);
    this.events.emit({ type: 'token.revoked', principalId: userId, reason: 'all_for_user' });
  }

  /**
   * Whether the credential was revoked, by its `jti`, its session (`sid`) or a later "revoke
   * everything", read in one store round trip. Fails
   * closed: an unreadable stamp, or a stamp with no `issuedAt` to compare, counts as revoked.
   * Store outages propagate (the request gets the store's 503, never a pass).
   */
  async isRevoked(principal: RevocablePrincipal): Promise<boolean> {
    const records = revocationRecordsOf(principal);
    const keys = records.stamp === undefined ? records.marks : [records.stamp.key, ...records.marks];
    const values = await this.store.getMany(keys);
    return records.stamp === undefined
      ? revokedByRecords(principal, null, values)
      : revokedByRecords(principal, values[0] ?? null, values.slice(1));
  }
}

function assertId(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`RevocationService: ${name} must be a non-empty string.`);
  }
}
