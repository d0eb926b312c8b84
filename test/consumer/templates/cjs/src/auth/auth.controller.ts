import { Body, Controller, HttpCode, Ip, Post } from '@nestjs/common';
import {
  LoginAttemptsService,
  PasswordService,
  Public,
  TokenService,
  UnauthenticatedException,
  VisibleTo,
} from '@api-security/nestjs';
import { UsersService } from '../users/users.service';
import { LoginDto } from './login.dto';

/**
 * What a successful login answers. A token is a credential: it reaches the client only through a
 * class that declares it visible, or the library refuses the response (credential tripwire).
 */
export class AccessTokenResponse {
  @VisibleTo('public') readonly accessToken: string;
  @VisibleTo('public') readonly tokenType = 'Bearer' as const;
  @VisibleTo('public') readonly expiresIn: number;

  constructor(accessToken: string, expiresIn: number) {
    this.accessToken = accessToken;
    this.expiresIn = expiresIn;
  }
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
    return new AccessTokenResponse(access.token, access.expiresIn);
  }
}
