import type { Provider } from '@nestjs/common';
import { LoginAttemptsService } from './login-attempts.service';
import { PasswordService } from './password.service';
import { RefreshTokenService } from './refresh-token.service';

/**
 * Providers of login sessions (refresh tokens, password hashing, brute-force protection),
 * registered and exported by ApiSecurityModule. `SECURITY_CLOCK` is optional and not among them.
 */
export const SESSION_PROVIDERS: Provider[] = [RefreshTokenService, LoginAttemptsService, PasswordService];
