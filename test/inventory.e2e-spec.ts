import type { INestApplication } from '@nestjs/common';
import { SwaggerModule, DocumentBuilder } from '@nestjs/swagger';
import request from 'supertest';
import { ApiSecurityModule, ErrorCode, RouteInventoryService } from '@api-security/nestjs';
import { assertOpenApiCoverage, checkOpenApiCoverage } from '@api-security/nestjs/swagger';
import {
  clock,
  CurrentController,
  FixedClockModule,
  LegacyController,
  ShadowController,
  SUNSET,
} from './fixtures/inventory.fixture';
import { ADAPTERS, createApp } from './utils/create-app';
import { expectProblem } from './utils/problem';

const BEFORE = Date.parse('2030-01-01T00:00:00Z');

describe.each(ADAPTERS)('@Deprecated over HTTP (%s)', (kind) => {
  let app: INestApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await createApp(kind, {
      imports: [FixedClockModule, ApiSecurityModule.forRoot({})],
      controllers: [LegacyController, CurrentController],
    });
  });
  afterAll(() => app.close());
  afterEach(() => {
    clock.now = BEFORE;
  });

  it('announces deprecation, sunset and successor before the sunset', async () => {
    const res = await http().get('/api/v0/legacy/retired');
    expect(res.status).toBe(200);
    expect(res.headers.deprecation).toBe(`@${Date.parse('2029-01-01T00:00:00Z') / 1000}`);
    expect(res.headers.sunset).toBe('Sat, 01 Jun 2030 00:00:00 GMT');
    expect(res.headers.link).toBe(
      '</api/v1/current>; rel="successor-version", <https://docs.example.com/migrate>; rel="deprecation"; type="text/html"',
    );
    const kept = await http().get('/api/v0/legacy/kept');
    expect(kept.headers.deprecation).toBe('true');
    const current = await http().get('/api/v1/current');
    expect(current.headers.deprecation).toBeUndefined();
    expect(current.headers.sunset).toBeUndefined();
  });

  it('answers 410 Gone problem details once the sunset has passed', async () => {
    clock.now = Date.parse(SUNSET);
    const res = await http().get('/api/v0/legacy/retired');
    expectProblem(res, 410, ErrorCode.GONE);
    expect(res.headers.sunset).toBe('Sat, 01 Jun 2030 00:00:00 GMT');
    expect(res.headers.link).toContain('rel="successor-version"');
    expect(res.text).not.toContain('version');
  });

  it("keeps serving after the sunset with afterSunset: 'serve'", async () => {
    clock.now = Date.parse(SUNSET) + 86_400_000;
    const res = await http().get('/api/v0/legacy/kept');
    expect(res.status).toBe(200);
    expect(res.headers.sunset).toBe('Sat, 01 Jun 2030 00:00:00 GMT');
  });
});

describe('inventory against the OpenAPI document', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await createApp('express', {
      imports: [ApiSecurityModule.forRoot({})],
      controllers: [LegacyController, CurrentController, ShadowController],
    });
  });
  afterAll(() => app.close());

  const document = () => SwaggerModule.createDocument(app, new DocumentBuilder().build());

  it('lists deprecation in the inventory', () => {
    const entry = app
      .get(RouteInventoryService)
      .list()
      .find((r) => r.path === '/api/v0/legacy/retired');
    expect(entry?.deprecation).toEqual({
      since: '2029-01-01T00:00:00.000Z',
      sunset: '2030-06-01T00:00:00.000Z',
      successor: '/api/v1/current',
      link: 'https://docs.example.com/migrate',
      afterSunset: 'gone',
    });
  });

  it('reports a route hidden with @ApiExcludeEndpoint as undocumented', () => {
    expect(checkOpenApiCoverage(app, document())).toEqual({ undocumented: ['GET /api/v1/hidden'], unserved: [] });
    expect(() => assertOpenApiCoverage(app, document())).toThrow(/served but not documented: GET \/api\/v1\/hidden/);
  });

  it('reports a documented operation that no route serves', () => {
    const doc = document();
    doc.paths['/api/v9/ghost'] = { get: { responses: { 200: { description: 'ghost' } } } };
    expect(checkOpenApiCoverage(app, doc)).toEqual({
      undocumented: ['GET /api/v1/hidden'],
      unserved: ['GET /api/v9/ghost'],
    });
    expect(() => assertOpenApiCoverage(app, doc)).toThrow(/documented but not served: GET \/api\/v9\/ghost/);
  });
});
