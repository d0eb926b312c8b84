import { Injectable } from '@nestjs/common';
import {
  LoginAttemptsService,
  PasswordService,
  RefreshTokenService,
  RevocationService,
  TokenService,
  UnauthenticatedException,
  type SecurityPrincipal,
} from '@api-security/nestjs';
import type { UserEntity } from '../database/user.entity';
import { UsersService } from '../users/users.service';

/** The token pair a login or refresh answers with. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

/**
 * Login, refresh and logout, composed from the library's services. The same failure (and the same
 * password-hashing work) answers an unknown email, a wrong password and an inactive account.
 */
@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly attempts: LoginAttemptsService,
    private readonly tokens: TokenService,
    private readonly refreshTokens: RefreshTokenService,
    private readonly revocation: RevocationService,
  ) {}

  /**
   * The password is checked only once the attempt is reserved against the account's lockout and the
   * client's daily cap (atomically, on every instance), so a burst of guesses gets at most
   * `LOGIN_MAX_FAILURES` of them checked and 429 for everything else, the right password included.
   */
  async login(email: string, password: string, ip: string): Promise<TokenPair> {
    let reason = 'unknown account';
    const verified = await this.attempts.attempt(email, ip, async () => {
      const user = await this.users.findByEmail(email);
      const valid = await this.passwords.verify(user?.passwordHash, password);
      if (user && valid && user.isActive) return { principalId: user.id, user };
      if (user) reason = 'bad credentials';
      return false;
    });
    if (!verified) throw new UnauthenticatedException(reason);
    const { user } = verified;
    const refresh = await this.refreshTokens.issue(user.id);
    return this.pair(user, refresh.refreshToken, refresh.familyId);
  }

  async refresh(refreshToken: string, ip: string, requestId: string | undefined): Promise<TokenPair> {
    const rotated = await this.refreshTokens.rotate(refreshToken, { ip, requestId });
    const user = await this.users.findById(rotated.userId);
    if (!user || !user.isActive) {
      await this.refreshTokens.revokeFamily(rotated.familyId);
      throw new UnauthenticatedException('refresh for a missing or inactive user', 'invalid_token');
    }
    return this.pair(user, rotated.refreshToken, rotated.familyId);
  }

  async logout(principal: SecurityPrincipal): Promise<void> {
    if (principal.tokenId && principal.expiresAt) {
      await this.revocation.revokeToken(principal.id, principal.tokenId, principal.expiresAt);
    }
    if (principal.sessionId) await this.refreshTokens.revokeFamily(principal.sessionId);
  }

  private async pair(user: UserEntity, refreshToken: string, familyId: string): Promise<TokenPair> {
    const access = await this.tokens.issueAccessToken({ sub: user.id, role: user.role, sid: familyId });
    return { accessToken: access.token, refreshToken, tokenType: 'Bearer', expiresIn: access.expiresIn };
  }
}
