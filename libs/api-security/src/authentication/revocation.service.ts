import { Inject, Injectable } from '@nestjs/common';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { SecurityEventBus } from '../audit/security-event.bus';
import type { SecurityStore } from '../store/security-store';
import { InjectSecurityStore } from '../store/security-store.purpose';
import { revokedJtiKey, userValidAfterKey } from './revocation.keys';

/** What {@link RevocationService.isRevoked} needs to know about a credential. */
export interface RevocablePrincipal {
  /** The user id (`sub`). */
  readonly id: string;
  /** The token id (`jti`). */
  readonly tokenId?: string;
  /** Issue time, epoch seconds (`iat`). */
  readonly issuedAt?: number;
}

/**
 * Access-token revocation in the shared store, so every instance sees it:
 * - one token: its `jti` is kept until the token would have expired anyway;
 * - everything of a user: a "valid after" stamp (epoch ms) that kills every access token issued
 *   before it, and that refresh-token handling can read too.
 *
 * Checking costs one store round trip (`getMany` on two keys sharing the user's hash tag).
 */
@Injectable()
export class RevocationService {
  private readonly toleranceMs: number;
  private readonly validAfterTtlMs: number;

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    @InjectSecurityStore('revocation') private readonly store: SecurityStore,
    private readonly events: SecurityEventBus,
    @Inject(API_SECURITY_OPTIONS) options: ResolvedApiSecurityOptions,
  ) {
    const { jwt } = options;
    this.toleranceMs = jwt.clockToleranceSeconds * 1000;
    // The stamp must outlive every credential issued before it: the longest of them is a refresh token.
    this.validAfterTtlMs = Math.max(jwt.refreshTokenTtlSeconds, jwt.accessTokenTtlSeconds) * 1000 + this.toleranceMs;
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
    const ttlMs = Math.ceil(expiresAt * 1000 + this.toleranceMs - Date.now());
    if (ttlMs > 0) await this.store.set(revokedJtiKey(userId, jti), '1', ttlMs);
    this.events.emit({ type: 'token.revoked', principalId: userId, reason: 'token', details: { tokenId: jti } });
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
    await this.store.set(userValidAfterKey(userId), String(Date.now() + 1), this.validAfterTtlMs);
    this.events.emit({ type: 'token.revoked', principalId: userId, reason: 'all_for_user' });
  }

  /**
   * Whether the credential was revoked, by its `jti` or by a later "revoke everything". Fails
   * closed: an unreadable stamp, or a stamp with no `issuedAt` to compare, counts as revoked.
   * Store outages propagate (the request gets the store's 503, never a pass).
   */
  async isRevoked(principal: RevocablePrincipal): Promise<boolean> {
    const validAfterKey = userValidAfterKey(principal.id);
    const keys =
      principal.tokenId !== undefined
        ? [validAfterKey, revokedJtiKey(principal.id, principal.tokenId)]
        : [validAfterKey];
    const [validAfter, revokedJti] = await this.store.getMany(keys);
    if (revokedJti !== null && revokedJti !== undefined) return true;
    if (validAfter === null || validAfter === undefined) return false;
    const validAfterMs = Number(validAfter);
    if (!Number.isFinite(validAfterMs) || principal.issuedAt === undefined) return true;
    return principal.issuedAt * 1000 < validAfterMs;
  }
}

function assertId(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`RevocationService: ${name} must be a non-empty string.`);
  }
}
