import { Body, Controller, HttpCode, Ip, Post, Req } from '@nestjs/common';
import { CurrentPrincipal, Public, type SecurityPrincipal } from '@api-security/nestjs';
import { toProfile } from '../users/user-profile';
import { UsersService } from '../users/users.service';
import { LoginDto, RefreshDto, RegisterDto } from './auth.dto';
import { AuthService, type TokenPair } from './auth.service';

@Controller({ path: 'auth', version: '1' })
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
  ) {}

  @Public()
  @Post('register')
  async register(@Body() body: RegisterDto): Promise<{ id: string; email: string; name: string }> {
    const { id, email, name } = toProfile(await this.users.create(body));
    return { id, email, name };
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  login(@Body() body: LoginDto, @Ip() ip: string): Promise<TokenPair> {
    return this.auth.login(body.email, body.password, ip);
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  refresh(@Body() body: RefreshDto, @Ip() ip: string, @Req() req: { requestId?: string }): Promise<TokenPair> {
    return this.auth.refresh(body.refreshToken, ip, req.requestId);
  }

  @Post('logout')
  @HttpCode(204)
  async logout(@CurrentPrincipal() principal: SecurityPrincipal): Promise<void> {
    await this.auth.logout(principal);
  }
}
