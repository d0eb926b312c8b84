/** An API key as the application stores it: never the key itself, only its hash. */
export interface StoredApiKey {
  /** The key's id, reported as the principal's `tokenId` and passed back to `touch`. */
  readonly id: string;
  /** The user (or client) the key acts for; becomes the principal's `id`. */
  readonly ownerId: string;
  /** The owner's roles, read at every lookup so a role change applies at once. */
  readonly roles: readonly string[];
  /** What the key may do. */
  readonly scopes: readonly string[];
  /** Lowercase hex SHA-256 of the whole key, as `ApiKeyService.generate()` returned it. */
  readonly keyHash: string;
  /** True when the key (or its owner) must no longer authenticate. */
  readonly revoked: boolean;
  /** The key stops working at this instant; null or absent = no expiry. */
  readonly expiresAt?: Date | null;
}

/**
 * How the library finds a key: the application owns the storage. Register one in any module with
 * `{ provide: API_KEY_RESOLVER, useClass: MyResolver }`.
 *
 * Called on every request that presents a key, so `findByPrefix` should be one indexed lookup and
 * must reflect revocation at once (no positive caching beyond a second).
 */
export interface ApiKeyResolver {
  /** The key whose public prefix is `prefix`, or null. */
  findByPrefix(prefix: string): Promise<StoredApiKey | null>;
  /** Records that the key was used; called at most once per `apiKeys.touchIntervalSeconds` per key. */
  touch?(id: string, usedAt: Date): Promise<void>;
}

/** Injection token for the application's {@link ApiKeyResolver}. */
export const API_KEY_RESOLVER = Symbol.for('api-security:ApiKeyResolver');
