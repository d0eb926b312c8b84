/**
 * A user account as the token endpoints need it. Return the application's own entity if it has
 * these fields; nothing else of it is read, and nothing of it reaches a response.
 */
export interface StoredUser {
  /** Stable user id; becomes the access token's `sub` and owns the refresh-token family. */
  readonly id: string;
  /**
   * The hash `PasswordService.hash()` made (argon2id PHC string). Null or absent for an account
   * without a password: its login is refused after the same work as a wrong password.
   */
  readonly passwordHash?: string | null;
  /** False refuses login and refresh with the same 401 as bad credentials. */
  readonly isActive: boolean;
  /** The role put in the access token (`role` claim), read at every login and refresh. */
  readonly role: string;
}

/**
 * How the token endpoints find accounts: the application owns the storage. Pass the class as
 * `TokenEndpointsModule.forRoot({ userStore })`; it is resolved through DI under {@link USER_STORE}.
 *
 * Both lookups run on every login or refresh, so each should be one indexed query.
 */
export interface UserStore {
  /**
   * The account registered under `email`, exactly as the client sent it (not trimmed, not
   * lower-cased), or null. Normalise it the way registration stored it, e.g. trim and lower-case,
   * so `Ann@Example.com` finds `ann@example.com`.
   */
  findByEmail(email: string): Promise<StoredUser | null | undefined>;
  /** The account with this id, or null when it no longer exists (a refresh is then refused). */
  findById(id: string): Promise<StoredUser | null | undefined>;
}

/** Injection token under which `TokenEndpointsModule` provides the application's {@link UserStore}. */
export const USER_STORE = Symbol.for('api-security:UserStore');
