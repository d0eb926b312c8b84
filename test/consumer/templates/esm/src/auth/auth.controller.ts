import { Body, Controller, HttpCode, Ip, Post } from '@nestjs/common';
import {
  LoginAttemptsService,
  PasswordService,
  Public,
  TokenService,
  UnauthenticatedException,
} from '@api-security/nestjs';
import { UsersService } from '../users/users.service.js';
import { LoginDto } from './login.dto.js';

/** What a successful login answers. */
export interface AccessTokenResponse {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

/**
 * The login recipe: the same 401 (and the same hashing work) for an unknown email and a wrong
 * password, lockout after repeated failures, then a short-lived access token.
 */
@Controller('auth')
export class AuthController {
  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly attempts: LoginAttemptsService,
    private readonly tokens: TokenService,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  async login(@Body() body: LoginDto, @Ip() ip: string): Promise<AccessTokenResponse> {
    // Reserved before the password is checked: a burst gets at most `maxFailures` checks, then 429.
    const user = await this.attempts.attempt(body.email, ip, async () => {
      const found = this.users.findByEmail(body.email);
      const valid = await this.passwords.verify(found?.passwordHash, body.password);
      return found && valid ? { principalId: found.id, ...found } : false;
    });
    if (!user) throw new UnauthenticatedException('bad credentials');
    const access = await this.tokens.issueAccessToken({ sub: user.id, role: user.role });
    return { accessToken: access.token, tokenType: 'Bearer', expiresIn: access.expiresIn };
  }
}
