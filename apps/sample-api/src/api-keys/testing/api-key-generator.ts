import { Test } from '@nestjs/testing';
import { ApiKeyService, ApiSecurityModule } from '@api-security/nestjs';

/** The library's API-key generator with default options, built the way an app gets it: through DI. */
export async function apiKeyGenerator(): Promise<ApiKeyService> {
  const moduleRef = await Test.createTestingModule({
    imports: [ApiSecurityModule.forRoot({ jwt: { algorithm: 'HS256', secret: 'spec-secret-of-at-least-32-bytes!!' } })],
  }).compile();
  return moduleRef.get(ApiKeyService);
}
