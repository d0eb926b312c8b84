import { Inject, Injectable } from '@nestjs/common';
import { UnauthenticatedException } from '../errors/security.exception';
import { LoginAttemptsService } from './login-attempts.service';
import { PasswordService } from './password.service';
import { RefreshTokenService, type RefreshContext } from './refresh-token.service';
import { RevocationService } from './revocation.service';
import type { SecurityPrincipal } from '../common/security-principal';
import { TokenService } from './token.service';
import { USER_STORE, type StoredUser, type UserStore } from './user-store';

/** What login and refresh answer with (the shape OAuth 2.0 token responses and simplejwt users expect). */
export interface TokenPair {
  /** Signed JWT, to send as `Authorization: Bearer <accessToken>`. */
  accessToken: string;
  /** Opaque `rt_…` token for `POST …/refresh`; single use, each refresh answers the next one. */
  refreshToken: string;
  tokenType: 'Bearer';
  /** Seconds the access token lives (`jwt.accessTokenTtlSeconds`). */
  expiresIn: number;
}

/**
 * Login, refresh and logout over the application's {@link UserStore}, composed from the session
 * services. The only place the token endpoints call `LoginAttemptsService`.
 *
 * An unknown email, a wrong password and an inactive account fail alike: same 401, same
 * password-hashing work (a dummy hash for a missing account), same failure count towards lockout.
 */
@Injectable()
export class TokenEndpointsService {
  constructor(
    @Inject(USER_STORE) private readonly users: UserStore,
    private readonly passwords: PasswordService,
    private readonly attempts: LoginAttemptsService,
    private readonly tokens: TokenService,
    private readonly refreshTokens: RefreshTokenService,
    private readonly revocation: RevocationService,
  ) {}

  /**
   * @throws SecurityException 429 while the account is locked or the client is over its daily cap
   * @throws UnauthenticatedException 401 for bad credentials or an inactive account
   */
  async login(email: string, password: string, ip: string): Promise<TokenPair> {
    // The attempt is reserved before any lookup or hashing: a locked account costs nothing and
    // learns nothing, and a burst gets at most `maxFailures` passwords checked, right one or not.
    let reason = 'unknown account';
    const verified = await this.attempts.attempt(email, ip, async () => {
      const found = (await this.users.findByEmail(email)) ?? undefined;
      const valid = await this.passwords.verify(found?.passwordHash, password);
      if (found && valid && found.isActive) return { principalId: found.id, user: found };
      if (found) reason = 'bad credentials';
      return false;
    });
    if (!verified) throw new UnauthenticatedException(reason);
    const { user } = verified;
    const session = await this.refreshTokens.issue(user.id);
    return this.pair(user, session.refreshToken, session.familyId);
  }

  /**
   * Spends the refresh token and answers the next pair of its session, for the token's owner only:
   * nothing else in the request can choose whose tokens are minted.
   * @throws UnauthenticatedException 401 `invalid_token` for an unknown, spent, expired or revoked
   *   token, or when its owner is gone or inactive (the session then ends)
   */
  async refresh(refreshToken: string, context: RefreshContext): Promise<TokenPair> {
    const rotated = await this.refreshTokens.rotate(refreshToken, context);
    const user = (await this.users.findById(rotated.userId)) ?? undefined;
    // The id is compared too: a store answering with another account must not mint that account's tokens.
    if (!user || user.id !== rotated.userId || !user.isActive) {
      await this.refreshTokens.revokeFamily(rotated.familyId, rotated.userId);
      throw new UnauthenticatedException('refresh for a missing or inactive user', 'invalid_token');
    }
    return this.pair(user, rotated.refreshToken, rotated.familyId);
  }

  /**
   * Ends the caller's session: its refresh family and every access token minted from it (`sid`),
   * this one and earlier ones alike. The user's other sessions go on. A token without `sid` (minted
   * outside the token endpoints) is revoked on its own, until its expiry.
   */
  async logout(principal: SecurityPrincipal): Promise<void> {
    if (principal.sessionId) {
      await this.refreshTokens.revokeFamily(principal.sessionId, principal.id);
    } else if (principal.tokenId && principal.expiresAt) {
      await this.revocation.revokeToken(principal.id, principal.tokenId, principal.expiresAt);
    }
  }

  private async pair(user: StoredUser, refreshToken: string, familyId: string): Promise<TokenPair> {
    const access = await this.tokens.issueAccessToken({ sub: user.id, role: user.role, sid: familyId });
    return { accessToken: access.token, refreshToken, tokenType: 'Bearer', expiresIn: access.expiresIn };
  }
}
