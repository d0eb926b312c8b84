import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { RouteInventoryService } from '@api-security/nestjs';
import { checkOpenApiCoverage, openApiPath } from '@api-security/nestjs/swagger';
import { SAMPLE_DATABASE, startSampleApp, type RunningSampleApp } from './sample-app';

interface Operation {
  security?: Record<string, string[]>[];
  responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, { schema: unknown }> }>;
  deprecated?: boolean;
}
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties?: Record<string, Record<string, unknown>> }> } & Record<
    string,
    unknown
  >;
};

const PASSWORD = 'correct horse battery staple';
const PROBLEM_REF = { $ref: '#/components/schemas/ProblemDetails' };

describe(`sample-api OpenAPI document and inventory (${SAMPLE_DATABASE})`, () => {
  let sample: RunningSampleApp;
  let document: Document;
  const http = () => request(sample.app.getHttpServer());

  beforeAll(async () => {
    sample = await startSampleApp();
    const res = await http().get('/api/openapi.json');
    expect(res.status).toBe(200);
    document = res.body as Document;
  });
  afterAll(() => sample.close());

  /** The inventory's HTTP routes: it also lists the GraphQL resolvers (`QUERY Query.order`), which OpenAPI does not describe. */
  const httpRoutes = () =>
    sample.app
      .get(RouteInventoryService)
      .list()
      .filter((route) => !/^(QUERY|MUTATION|SUBSCRIPTION|FIELD)$/.test(route.method));

  const operation = (method: string, path: string): Operation =>
    document.paths[openApiPath(path)][method.toLowerCase()];

  it('documents exactly the routes the inventory lists (no shadow route)', () => {
    const inventory = httpRoutes();
    expect(inventory.length).toBeGreaterThan(20);
    expect(checkOpenApiCoverage(sample.app, document as never)).toEqual({ undocumented: [], unserved: [] });
    const documented = Object.entries(document.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(inventory.map((r) => `${r.method} ${openApiPath(r.path)}`).sort()).toEqual(documented.sort());
  });

  it('declares security and 401 on every protected operation, nothing on public ones, 403 on role-restricted ones', () => {
    for (const route of httpRoutes()) {
      const op = operation(route.method, route.path);
      if (route.public) {
        expect({ route: route.path, security: op.security }).toEqual({ route: route.path, security: [] });
        continue;
      }
      expect(op.security).toEqual([{ bearer: route.roles }, { apiKey: route.roles }]);
      expect(op.responses['401']?.content?.['application/problem+json']?.schema).toEqual(PROBLEM_REF);
      expect(op.responses['401']?.headers).toHaveProperty('WWW-Authenticate');
      if (route.roles.length > 0) expect(op.responses['403']?.content?.['application/problem+json']).toBeDefined();
      if (route.ownership?.kind === 'resource') expect(op.responses[String(route.ownership.onDenied)]).toBeDefined();
    }
    expect(operation('GET', '/api/v1/admin/inventory').responses['403']).toBeDefined();
    expect(operation('GET', '/api/v1/admin/security-events').responses['403']).toBeDefined();
  });

  it('describes the security schemes, the problem-details schema and the DTO bounds', () => {
    const schemes = document.components.securitySchemes as Record<string, Record<string, string>>;
    expect(schemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(schemes.bearer.description).toMatch(/RFC ?8725/);
    expect(schemes.apiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    expect(document.components.schemas.ProblemDetails.properties).toHaveProperty('requestId');
    expect(document.components.schemas.RegisterDto.properties?.password).toMatchObject({
      type: 'string',
      minLength: 12,
      maxLength: 128,
    });
    expect(document.components.schemas.CreateOrderDto.properties?.items).toMatchObject({
      type: 'array',
      minItems: 1,
      maxItems: 50,
    });
    expect(document.components.schemas.OrderItemDto.properties?.quantity).toMatchObject({ minimum: 1, maximum: 100 });
    expect(operation('POST', '/api/v1/auth/register').responses['400']?.content).toHaveProperty(
      'application/problem+json',
    );
    expect(operation('GET', '/api/v1/users').responses['400']).toBeDefined();
  });

  it('serves GET /api/v0/users/me like v1, with Deprecation, Sunset and a successor Link', async () => {
    const email = `v0-${randomUUID().slice(0, 8)}@example.com`;
    expect((await http().post('/api/v1/auth/register').send({ email, password: PASSWORD, name: 'Old' })).status).toBe(
      201,
    );
    const token = (await http().post('/api/v1/auth/login').send({ email, password: PASSWORD })).body
      .accessToken as string;
    const v1 = await http().get('/api/v1/users/me').set('Authorization', `Bearer ${token}`);
    const v0 = await http().get('/api/v0/users/me').set('Authorization', `Bearer ${token}`);
    expect(v0.status).toBe(200);
    expect(v0.body).toEqual(v1.body);
    expect(v0.headers.deprecation).toMatch(/^@\d+$/);
    expect(Date.parse(v0.headers.sunset as string)).toBeGreaterThan(Date.now());
    expect(v0.headers.sunset).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    expect(v0.headers.link).toBe('</api/v1/users/me>; rel="successor-version"');
    expect(v1.headers.deprecation).toBeUndefined();
    expect(operation('GET', '/api/v0/users/me').deprecated).toBe(true);
    expect(operation('GET', '/api/v0/users/me').responses['200']?.headers).toHaveProperty('Sunset');
    const inventory = sample.app.get(RouteInventoryService).list();
    expect(inventory.find((r) => r.path === '/api/v0/users/me')?.deprecation).toMatchObject({
      successor: '/api/v1/users/me',
      afterSunset: 'gone',
    });
  });
});
