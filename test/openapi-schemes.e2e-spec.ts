import { Controller, Get, type INestApplication, type Type } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import {
  ApiKeyAuthenticator,
  ApiSecurityModule,
  JwtAuthenticator,
  RequireDpop,
  Scopes,
  type ApiSecurityModuleOptions,
} from '@api-security/nestjs';
import { enrichOpenApiDocument } from '@api-security/nestjs/swagger';
import { ADAPTERS, createApp, type AdapterKind } from './utils/create-app';

@Controller({ path: 'things', version: '1' })
class ThingsController {
  @Get()
  list(): string[] {
    return [];
  }
}

@Controller({ path: 'orders', version: '1' })
class OrdersController {
  @Get()
  @Scopes('orders:read')
  list(): string[] {
    return [];
  }

  @Get('bound')
  @RequireDpop()
  bound(): string[] {
    return [];
  }
}

/** The enriched document of an app with these authenticators, as `main.ts` would build it. */
async function documentOf(
  authenticators: (typeof JwtAuthenticator | typeof ApiKeyAuthenticator)[] | undefined,
  options: ApiSecurityModuleOptions = {},
  kind: AdapterKind = 'express',
  controllers: Type[] = [ThingsController],
): Promise<OpenAPIObject> {
  const app: INestApplication = await createApp(kind, {
    imports: [ApiSecurityModule.forRoot({ ...options, ...(authenticators ? { authenticators } : {}) })],
    controllers,
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

describe.each(ADAPTERS)('OpenAPI security schemes: trusted issuers and DPoP (%s)', (kind) => {
  const BOTH = [ThingsController, OrdersController];
  // Loopback issuers that do not answer: only logged at boot, and the document does not need them.
  const MAIN = 'http://127.0.0.1:9/realms/main';
  const PARTNER = 'http://127.0.0.1:9/realms/partner/';
  const trusted = {
    jwt: {
      trustedIssuers: [
        { issuer: MAIN, audience: 'urn:orders-api' },
        { issuer: PARTNER, audience: 'urn:partner-view' },
      ],
    },
  };

  it('declares one openIdConnect scheme per trusted issuer, offered with the route scopes', async () => {
    const document = await documentOf(undefined, trusted, kind, BOTH);
    const schemes = document.components?.securitySchemes ?? {};
    expect(Object.keys(schemes)).toEqual(['oidc-1', 'oidc-2', 'dpop', 'bearer']);
    expect(schemes.dpop).toBeDefined(); // OrdersController has a @RequireDpop() route
    expect(schemes['oidc-1']).toMatchObject({
      type: 'openIdConnect',
      openIdConnectUrl: `${MAIN}/.well-known/openid-configuration`,
      description: expect.stringContaining('urn:orders-api'),
    });
    expect(schemes['oidc-2']).toMatchObject({
      openIdConnectUrl: 'http://127.0.0.1:9/realms/partner/.well-known/openid-configuration',
    });
    expect(document.paths['/api/v1/things']?.get?.security).toEqual([
      { bearer: [] },
      { 'oidc-1': [] },
      { 'oidc-2': [] },
    ]);
    expect(document.paths['/api/v1/orders']?.get?.security).toEqual([
      { bearer: [] },
      { 'oidc-1': ['orders:read'] },
      { 'oidc-2': ['orders:read'] },
    ]);
  });

  it('offers only the DPoP scheme on a route that requires DPoP, with algs and the DPoP challenge', async () => {
    const document = await documentOf(
      undefined,
      { ...trusted, dpop: { algorithms: ['ES256'], nonce: true } },
      kind,
      BOTH,
    );
    const dpop = document.components?.securitySchemes?.dpop;
    expect(dpop).toMatchObject({ type: 'http', scheme: 'DPoP' });
    expect((dpop as { description: string }).description).toMatch(/RFC 9449.*ES256.*DPoP-Nonce/s);
    const bound = document.paths['/api/v1/orders/bound']?.get;
    expect(bound?.security).toEqual([{ dpop: [] }]);
    expect(Object.keys((bound?.responses['401'] as { headers: object }).headers)).toEqual(
      expect.arrayContaining(['WWW-Authenticate', 'DPoP-Nonce']),
    );
    expect(document.components?.headers?.['WWW-Authenticate']).toMatchObject({
      description: expect.stringContaining('RFC 9449'),
    });
    // Routes that do not require DPoP keep their schemes.
    expect(document.paths['/api/v1/things']?.get?.security).toEqual([
      { bearer: [] },
      { 'oidc-1': [] },
      { 'oidc-2': [] },
    ]);
  });

  it('with dpop.required every protected route offers only DPoP', async () => {
    const document = await documentOf(undefined, { dpop: { required: true } }, kind, BOTH);
    expect(document.paths['/api/v1/things']?.get?.security).toEqual([{ dpop: [] }]);
    expect(document.paths['/api/v1/orders']?.get?.security).toEqual([{ dpop: [] }]);
  });

  it('declares no DPoP scheme when no route requires it, and no issuer without JwtAuthenticator', async () => {
    const plain = await documentOf(undefined, {}, kind);
    expect(Object.keys(plain.components?.securitySchemes ?? {})).toEqual(['bearer']);
    const keysOnly = await documentOf([ApiKeyAuthenticator], trusted, kind);
    expect(Object.keys(keysOnly.components?.securitySchemes ?? {}).filter((name) => name.startsWith('oidc'))).toEqual(
      [],
    );
  });
});
