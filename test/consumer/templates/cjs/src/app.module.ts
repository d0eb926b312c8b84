// README.md's "Quick start" is the ESM template's copy of this file from its first import statement
// on, verbatim: change them together (test/consumer/consumer.e2e-spec.ts compares them).
import { Controller, Get, Module } from '@nestjs/common';
import { ApiSecurityModule, CurrentPrincipal, Public, type SecurityPrincipal } from '@api-security/nestjs';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
import { NotesModule } from './notes/notes.module';

@Controller('things')
export class ThingsController {
  @Public() // reachable anonymously
  @Get('status')
  status(): { ok: boolean } {
    return { ok: true };
  }

  @Get('mine') // 401 without credentials
  mine(@CurrentPrincipal() principal: SecurityPrincipal): { owner: string } {
    return { owner: principal.id };
  }
}

@Module({
  imports: [
    ApiSecurityModule.forRoot({
      jwt: {
        algorithm: 'HS256',
        secret: process.env.JWT_SECRET!, // at least 32 random bytes
        issuer: 'https://auth.example.com',
        audience: 'https://api.example.com',
      },
    }),
    AuthModule, // login: PasswordService + TokenService
    NotesModule, // @Owns, @VisibleTo / @Hidden / @OwnedBy
    AdminModule, // @Roles('admin')
  ],
  controllers: [ThingsController],
})
export class AppModule {}
