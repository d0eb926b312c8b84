import { Controller, Get, type INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import {
  ApiKeyAuthenticator,
  ApiSecurityModule,
  JwtAuthenticator,
  type ApiSecurityModuleOptions,
} from '@api-security/nestjs';
import { enrichOpenApiDocument } from '@api-security/nestjs/swagger';
import { createApp } from './utils/create-app';

@Controller({ path: 'things', version: '1' })
class ThingsController {
  @Get()
  list(): string[] {
    return [];
  }
}

/** The enriched document of an app with these authenticators, as `main.ts` would build it. */
async function documentOf(
  authenticators: (typeof JwtAuthenticator | typeof ApiKeyAuthenticator)[] | undefined,
  options: ApiSecurityModuleOptions = {},
): Promise<OpenAPIObject> {
  const app: INestApplication = await createApp('express', {
    imports: [ApiSecurityModule.forRoot({ ...options, ...(authenticators ? { authenticators } : {}) })],
    controllers: [ThingsController],
  });
  try {
    return enrichOpenApiDocument(app, SwaggerModule.createDocument(app, new DocumentBuilder().build()));
  } finally {
    await app.close();
  }
}

describe('OpenAPI security schemes follow the enabled authenticators', () => {
  it('does not advertise API keys when ApiKeyAuthenticator is not enabled (the default)', async () => {
    const document = await documentOf(undefined);
    expect(Object.keys(document.components?.securitySchemes ?? {})).toEqual(['bearer']);
    expect(document.paths['/api/v1/things']?.get?.security).toEqual([{ bearer: [] }]);
  });

  it('advertises API keys, in the configured header, when ApiKeyAuthenticator is enabled', async () => {
    const document = await documentOf([JwtAuthenticator, ApiKeyAuthenticator], {
      apiKeys: { header: 'x-service-key' },
    });
    expect(document.components?.securitySchemes?.apiKey).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'x-service-key',
    });
    expect(document.paths['/api/v1/things']?.get?.security).toEqual([{ bearer: [] }, { apiKey: [] }]);
  });
});
