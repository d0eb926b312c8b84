import { Body, Controller, Post } from '@nestjs/common';
import { Public } from '@api-security/nestjs';
import { toProfile } from '../users/user-profile';
import { UsersService } from '../users/users.service';
import { RegisterDto } from './auth.dto';

/** Registration. Login, refresh and logout are served by TokenEndpointsModule (see AuthModule). */
@Controller({ path: 'auth', version: '1' })
export class AuthController {
  constructor(private readonly users: UsersService) {}

  @Public()
  @Post('register')
  async register(@Body() body: RegisterDto): Promise<{ id: string; email: string; name: string }> {
    const { id, email, name } = toProfile(await this.users.create(body));
    return { id, email, name };
  }
}
