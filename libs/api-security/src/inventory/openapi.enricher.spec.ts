/* eslint-disable @typescript-eslint/no-explicit-any -- reads a loosely typed OpenAPI document */
import type { OpenAPIObject } from '@nestjs/swagger';
import { ArrayMaxSize, IsInt, IsOptional, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import type { RoutePlan } from '../plan/route-plan';
import { compileDeprecation } from './deprecated.decorator';
import { enrichOpenApiDocument } from './openapi.enricher';

class LineDto {
  @IsString()
  @MaxLength(32)
  sku!: string;

  @IsInt()
  @Min(1)
  @Max(9)
  quantity!: number;
}

class EnricherBasketDto {
  @ArrayMaxSize(5)
  @ValidateNested({ each: true })
  @Type(() => LineDto)
  lines!: LineDto[];

  @IsOptional()
  @IsString()
  @MaxLength(200)
  note?: string;
}

function plan(method: string, path: string, extra: Partial<RoutePlan> = {}): RoutePlan {
  return {
    key: `${method} ${path}`,
    method,
    path,
    versions: ['1'],
    controller: 'C',
    handler: 'h',
    isPublic: false,
    ...extra,
  };
}

function doc(openapi = '3.1.0'): OpenAPIObject {
  const ok = { 200: { description: 'ok' } };
  return {
    openapi,
    info: { title: 't', version: '1' },
    paths: {
      '/api/v1/health': { get: { responses: { ...ok } } },
      '/api/v1/things/{id}': { get: { responses: { ...ok } }, delete: { responses: { ...ok } } },
      '/api/v1/baskets': {
        post: {
          requestBody: {
            content: { 'application/json': { schema: { $ref: '#/components/schemas/EnricherBasketDto' } } },
          },
          responses: { 201: { description: 'created' } },
        },
        get: { parameters: [{ name: 'limit', in: 'query' }], responses: { ...ok } },
      },
      '/api/v0/old': { get: { responses: { ...ok } } },
    },
    components: { schemas: { EnricherBasketDto: { type: 'object', properties: {} } } },
  };
}

const PLANS: RoutePlan[] = [
  plan('GET', '/api/v1/health', { isPublic: true }),
  plan('GET', '/api/v1/things/:id', {
    ownership: { kind: 'resource', resource: 'thing', param: 'id', onDenied: 404, bypassRoles: ['admin'] } as never,
    rateLimit: {
      tiers: [{ name: 'general', scope: 'principal', limit: 100, windowSeconds: 60, blockSeconds: 0 }],
      cost: 1,
    },
  }),
  plan('DELETE', '/api/v1/things/:id', { roles: { required: ['admin'] } as never }),
  plan('POST', '/api/v1/baskets', {
    rateLimit: {
      tiers: [{ name: 'writes', scope: 'route', limit: 10, windowSeconds: 60, blockSeconds: 300 }],
      cost: 2,
    },
  }),
  plan('GET', '/api/v1/baskets'),
  plan('GET', '/api/v0/old', {
    deprecation: compileDeprecation({ sunset: '2031-01-01', successor: '/api/v1/x' }, 'x'),
  }),
];

describe('enrichOpenApiDocument', () => {
  const enriched = enrichOpenApiDocument(doc(), PLANS, { models: [EnricherBasketDto] });
  const op = (path: string, method: string) =>
    (
      enriched.paths[path] as Record<
        string,
        { security?: unknown; responses: Record<string, any>; deprecated?: boolean }
      >
    )[method];

  it('declares the bearer (RFC 8725) and X-API-Key schemes and one problem-details schema', () => {
    expect(enriched.components?.securitySchemes?.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect((enriched.components?.securitySchemes?.bearer as { description: string }).description).toContain('RFC8725');
    expect(enriched.components?.securitySchemes?.apiKey).toEqual(
      expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-API-Key' }),
    );
    expect(enriched.components?.schemas?.ProblemDetails).toMatchObject({ type: 'object' });
  });

  it('clears security on public operations and requires it (with 401) on every other one', () => {
    expect(op('/api/v1/health', 'get').security).toEqual([]);
    expect(op('/api/v1/health', 'get').responses['401']).toBeUndefined();
    for (const [path, method] of [
      ['/api/v1/things/{id}', 'get'],
      ['/api/v1/things/{id}', 'delete'],
      ['/api/v1/baskets', 'post'],
      ['/api/v1/baskets', 'get'],
      ['/api/v0/old', 'get'],
    ]) {
      expect(op(path, method).security).toEqual(
        expect.arrayContaining([expect.objectContaining({ bearer: expect.any(Array) })]),
      );
      expect(op(path, method).responses['401'].content['application/problem+json'].schema).toEqual({
        $ref: '#/components/schemas/ProblemDetails',
      });
      expect(op(path, method).responses['500']).toBeDefined();
    }
  });

  it('adds 403 for roles (with the role names in 3.1) and 404 for ownership', () => {
    expect(op('/api/v1/things/{id}', 'delete').security).toEqual([{ bearer: ['admin'] }, { apiKey: ['admin'] }]);
    expect(op('/api/v1/things/{id}', 'delete').responses['403']).toBeDefined();
    expect(op('/api/v1/things/{id}', 'get').responses['404']).toBeDefined();
    expect(op('/api/v1/things/{id}', 'get').responses['403']).toBeUndefined();
  });

  it('keeps security requirement arrays empty in OpenAPI 3.0 documents', () => {
    const old = enrichOpenApiDocument(doc('3.0.0'), PLANS);
    expect((old.paths['/api/v1/things/{id}'].delete as { security: unknown }).security).toEqual([
      { bearer: [] },
      { apiKey: [] },
    ]);
  });

  it('offers each trusted issuer with the route scopes (3.0 and 3.1), and only DPoP where DPoP is required', () => {
    const plans = [
      plan('GET', '/api/v1/baskets', { scopes: ['baskets:read'], roles: { required: ['user'] } as never }),
      plan('DELETE', '/api/v1/things/:id', { requiresDpop: true, roles: { required: ['admin'] } as never }),
      plan('GET', '/api/v1/health', { isPublic: true }),
    ];
    const auth = {
      trustedIssuers: [{ issuer: 'https://idp.example/realms/main/', audience: 'urn:api' }],
      dpopAlgorithms: ['ES256'],
    };
    for (const version of ['3.0.3', '3.1.0']) {
      const document = enrichOpenApiDocument(doc(version), plans, { schemes: ['bearer'] }, auth);
      const security = (path: string, method: string) =>
        ((document.paths[path] as Record<string, { security: unknown }>)[method] as { security: unknown }).security;
      const roles = version === '3.1.0' ? ['user', 'scope:baskets:read'] : [];
      expect(security('/api/v1/baskets', 'get')).toEqual([{ bearer: roles }, { 'oidc-1': ['baskets:read'] }]);
      expect(security('/api/v1/things/{id}', 'delete')).toEqual([{ dpop: version === '3.1.0' ? ['admin'] : [] }]);
      expect(security('/api/v1/health', 'get')).toEqual([]);
      expect(document.components?.securitySchemes?.['oidc-1']).toMatchObject({
        type: 'openIdConnect',
        openIdConnectUrl: 'https://idp.example/realms/main/.well-known/openid-configuration',
      });
      expect(document.components?.securitySchemes?.dpop).toMatchObject({ type: 'http', scheme: 'DPoP' });
    }
    // No route requires DPoP: no dpop scheme.
    expect(enrichOpenApiDocument(doc(), PLANS).components?.securitySchemes?.dpop).toBeUndefined();
  });

  it('documents 429 with Retry-After and the RateLimit headers on rate-limited operations only', () => {
    for (const [path, method] of [
      ['/api/v1/things/{id}', 'get'],
      ['/api/v1/baskets', 'post'],
    ]) {
      const responses = op(path, method).responses;
      expect(Object.keys(responses['429'].headers)).toEqual(
        expect.arrayContaining(['Retry-After', 'RateLimit-Policy', 'RateLimit']),
      );
      for (const status of Object.keys(responses).filter((s) => /^[24]/.test(s))) {
        expect(Object.keys(responses[status].headers)).toEqual(
          expect.arrayContaining(['RateLimit-Policy', 'RateLimit']),
        );
      }
    }
    expect(op('/api/v1/baskets', 'get').responses['429']).toBeUndefined();
    expect(op('/api/v1/things/{id}', 'delete').responses['429']).toBeUndefined();
    expect(enriched.components?.headers?.['Retry-After']).toBeDefined();
  });

  it('adds 400 for bodies and query parameters, 413/415 for bodies', () => {
    expect(op('/api/v1/baskets', 'post').responses['400']).toBeDefined();
    expect(op('/api/v1/baskets', 'post').responses['413']).toBeDefined();
    expect(op('/api/v1/baskets', 'get').responses['400']).toBeDefined();
    expect(op('/api/v1/things/{id}', 'delete').responses['400']).toBeUndefined();
  });

  it('marks deprecated operations and documents their headers and 410', () => {
    const old = op('/api/v0/old', 'get');
    expect(old.deprecated).toBe(true);
    expect(Object.keys(old.responses['200'].headers)).toEqual(
      expect.arrayContaining(['Deprecation', 'Sunset', 'Link']),
    );
    expect(old.responses['410']).toBeDefined();
  });

  it('fills DTO schemas from class-validator: bounds, required, nested items', () => {
    const schemas = enriched.components?.schemas as Record<string, any>;
    expect(schemas.EnricherBasketDto).toMatchObject({
      type: 'object',
      required: ['lines'],
      additionalProperties: false,
      properties: {
        lines: { type: 'array', maxItems: 5, items: { $ref: '#/components/schemas/LineDto' } },
        note: { type: 'string', maxLength: 200 },
      },
    });
    expect(schemas.LineDto.properties).toEqual({
      sku: { type: 'string', maxLength: 32 },
      quantity: { type: 'integer', format: 'int32', minimum: 1, maximum: 9 },
    });
  });
});
