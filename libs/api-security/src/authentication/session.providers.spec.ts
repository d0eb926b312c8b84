import { Injectable, Logger, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ApiSecurityModule } from '../api-security.module';
import { LoginAttemptsService } from './login-attempts.service';
import { PasswordService } from './password.service';
import { RefreshTokenService } from './refresh-token.service';

describe('SESSION_PROVIDERS', () => {
  it('are provided and exported by ApiSecurityModule, working together over the module’s store', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    // Injected into the application's own provider: only exported providers resolve there.
    @Injectable()
    class AuthService {
      constructor(
        readonly refresh: RefreshTokenService,
        readonly attempts: LoginAttemptsService,
        readonly passwords: PasswordService,
      ) {}
    }
    @Module({
      imports: [ApiSecurityModule.forRoot({ production: false, sessions: { maxFailures: 1 } })],
      providers: [AuthService],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const { refresh, attempts, passwords } = app.get(AuthService);
      const issued = await refresh.issue('user-1');
      await expect(refresh.rotate(issued.refreshToken)).resolves.toMatchObject({ userId: 'user-1' });

      await expect(attempts.attempt('someone@example.com', '192.0.2.1', async () => false)).resolves.toBe(false);
      await expect(attempts.attempt('someone@example.com', '192.0.2.1', async () => ({}))).rejects.toMatchObject({
        status: 429,
      });

      await expect(
        passwords.verify(await passwords.hash('a long enough password'), 'a long enough password'),
      ).resolves.toBe(true);
    } finally {
      await app.close();
      warn.mockRestore();
      log.mockRestore();
    }
  });
});
