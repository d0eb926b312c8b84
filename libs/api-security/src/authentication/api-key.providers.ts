import type { Provider } from '@nestjs/common';
import { ApiKeyAuthenticator } from './api-key.authenticator';
import { ApiKeyService } from './api-key.service';

/**
 * Providers of this authentication mechanism, registered and exported by ApiSecurityModule. The
 * resolver is not among them: the application provides `API_KEY_RESOLVER` in its own module.
 */
export const API_KEY_PROVIDERS: Provider[] = [ApiKeyService, ApiKeyAuthenticator];
