import { RequestMethod, VersioningType, type INestApplication, type VersioningOptions } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import request from 'supertest';
import { ApiSecurityModule, ErrorCode, RouteInventoryService, type SecurityEvent } from '@api-security/nestjs';
import { checkOpenApiCoverage } from '@api-security/nestjs/swagger';
import {
  DuplicateV1ItemsController,
  OutsidePrefixController,
  ROUTED_MODULES,
  VersionedItemsController,
} from './fixtures/routing.fixture';
import { ADAPTERS, createApp, type AdapterKind } from './utils/create-app';
import { expectProblem } from './utils/problem';
import { onSecurityEvent } from './utils/security-events';

/** What the library says it protects: `METHOD path versions` from the inventory. */
function inventory(app: INestApplication): string[] {
  return app
    .get(RouteInventoryService)
    .list()
    .map((r) => `${r.method} ${r.path} [${r.versions.join(',')}]`)
    .sort();
}

/** Coverage of a document Swagger builds the documented way: each side lists what the other lacks. */
function coverage(app: INestApplication) {
  return checkOpenApiCoverage(app, SwaggerModule.createDocument(app, new DocumentBuilder().build()));
}

describe.each(ADAPTERS)('RouterModule paths (%s)', (kind) => {
  let app: INestApplication;
  let events: SecurityEvent[];
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    // Strict audit (the default): two `@Controller('things')` under different module paths are two routes.
    app = await createApp(kind, { imports: [ApiSecurityModule.forRoot({}), ...ROUTED_MODULES] });
  });
  beforeEach(() => {
    events = [];
    onSecurityEvent(app, (event) => events.push(event));
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(() => app.close());

  it('serves both module paths, each with its own rate-limit budget, and not the bare controller path', async () => {
    // Each route allows one call a minute: with one plan key for both, the shop's call would be refused.
    await http().get('/api/admin/things').expect(200, { module: 'admin' });
    await http().get('/api/shop/things').expect(200, { module: 'shop' });
    // The same controller class in both modules: still one budget per served path.
    await http().get('/api/admin/shared').expect(200, { shared: true });
    await http().get('/api/shop/shared').expect(200, { shared: true });
    expectProblem(await http().get('/api/things'), 404, ErrorCode.NOT_FOUND);
  });

  it('lists the served paths in the inventory and matches the OpenAPI document', () => {
    expect(inventory(app)).toEqual([
      'GET /api/admin/shared []',
      'GET /api/admin/things []',
      'GET /api/shop/shared []',
      'GET /api/shop/things []',
    ]);
    expect(coverage(app)).toEqual({ undocumented: [], unserved: [] });
  });

  it('names the served path in the events of a refused call', async () => {
    expectProblem(await http().get('/api/admin/things'), 429, ErrorCode.RATE_LIMITED);
    expectProblem(await http().get('/api/shop/things'), 429, ErrorCode.RATE_LIMITED);
    expectProblem(await http().get('/api/shop/shared'), 429, ErrorCode.RATE_LIMITED);
    expectProblem(await http().get('/api/admin/shared'), 429, ErrorCode.RATE_LIMITED);
    expect(events.map((event) => [event.type, event.route])).toEqual([
      ['rate_limit.hit', 'GET /api/admin/things'],
      ['rate_limit.hit', 'GET /api/shop/things'],
      ['rate_limit.hit', 'GET /api/shop/shared'],
      ['rate_limit.hit', 'GET /api/admin/shared'],
    ]);
  });
});

describe.each(ADAPTERS)('header and media-type versioning (%s)', (kind) => {
  const cases: [string, VersioningOptions, (version: string) => Record<string, string>][] = [
    ['header', { type: VersioningType.HEADER, header: 'X-Api-Version' }, (v) => ({ 'X-Api-Version': v })],
    ['media type', { type: VersioningType.MEDIA_TYPE, key: 'v=' }, (v) => ({ Accept: `application/json;v=${v}` })],
  ];

  describe.each(cases)('%s', (_name, versioning, versionHeaders) => {
    let app: INestApplication;

    beforeAll(async () => {
      app = await createApp(
        kind,
        { imports: [ApiSecurityModule.forRoot({})], controllers: [VersionedItemsController] },
        (created) => created.enableVersioning(versioning),
      );
    });
    afterAll(() => app.close());

    it('boots in strict mode, serves each version on the one path and lists both', async () => {
      await request(app.getHttpServer()).get('/api/items').set(versionHeaders('1')).expect(200, { version: '1' });
      await request(app.getHttpServer()).get('/api/items').set(versionHeaders('2')).expect(200, { version: '2' });
      expect(inventory(app)).toEqual(['GET /api/items [1]', 'GET /api/items [2]']);
      expect(coverage(app)).toEqual({ undocumented: [], unserved: [] });
    });
  });

  it('still refuses to boot when two handlers answer the same header version of a path', async () => {
    await expect(
      createApp(
        kind,
        {
          imports: [ApiSecurityModule.forRoot({})],
          controllers: [VersionedItemsController, DuplicateV1ItemsController],
        },
        (created) => created.enableVersioning({ type: VersioningType.HEADER, header: 'X-Api-Version' }),
      ),
    ).rejects.toThrow(
      // Fastify's router refuses the second registration itself, before the boot audit runs.
      kind === 'express'
        ? /GET \/api\/items: DuplicateV1ItemsController\.again is shadowed by VersionedItemsController\.v1/
        : /Method 'GET' already declared for route '\/api\/items'/,
    );
  });
});

describe.each(ADAPTERS)('global prefix exclusions (%s)', (kind: AdapterKind) => {
  let app: INestApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await createApp(
      kind,
      { imports: [ApiSecurityModule.forRoot({})], controllers: [OutsidePrefixController] },
      (created) =>
        created.setGlobalPrefix('api', { exclude: ['health', { path: 'hooks', method: RequestMethod.POST }] }),
    );
  });
  afterAll(() => app.close());

  it('serves excluded paths and methods without the prefix, the others with it', async () => {
    await http().get('/health').expect(200, { ok: true });
    await http().post('/hooks').expect(201, { received: true });
    await http().get('/api/hooks').expect(200, { hooks: [] });
    expectProblem(await http().get('/hooks'), 404, ErrorCode.NOT_FOUND);
  });

  it('lists each route at the path it is served at', () => {
    expect(inventory(app)).toEqual(['GET /api/hooks []', 'GET /health []', 'POST /hooks []']);
    expect(coverage(app)).toEqual({ undocumented: [], unserved: [] });
  });
});
