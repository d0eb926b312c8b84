/**
 * Store keys for revocation state. All keys of a user share the `{u:<id>}` hash tag, so they can
 * be read together in one round trip (`getMany`) even on Redis Cluster.
 */
export function userTag(userId: string): string {
  return `{u:${userId}}`;
}

/** Epoch milliseconds before which every credential of the user (access and refresh) is dead. */
export function userValidAfterKey(userId: string): string {
  return `${userTag(userId)}:valid-after`;
}

/** Present while the access token `jti` is revoked (until its `exp`). */
export function revokedJtiKey(userId: string, jti: string): string {
  return `${userTag(userId)}:jti:${jti}`;
}

/**
 * Present while the session (refresh-token family, the access token's `sid`) is revoked: every
 * access token minted from it is refused, whatever its `jti`.
 */
export function revokedSessionKey(userId: string, sessionId: string): string {
  return `${userTag(userId)}:sid:${sessionId}`;
}
