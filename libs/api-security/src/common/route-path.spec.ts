import { Module, RequestMethod, VERSION_NEUTRAL, VersioningType, type VersioningOptions } from '@nestjs/common';
import { MODULE_PATH } from '@nestjs/common/constants';
import { ApplicationConfig } from '@nestjs/core';
import { mapToExcludeRoute } from '@nestjs/core/middleware/utils';
import { modulePathOf, pathParams, RoutePaths, type RouteSource } from './route-path';

function config(prefix = '', versioning?: VersioningOptions, exclude: Parameters<typeof mapToExcludeRoute>[0] = []) {
  const app = new ApplicationConfig();
  app.setGlobalPrefix(prefix);
  app.setGlobalPrefixOptions({ exclude: mapToExcludeRoute(exclude) });
  if (versioning) app.enableVersioning(versioning);
  return app;
}

const source = (overrides: Partial<RouteSource> = {}): RouteSource => ({
  controllerPath: 'things',
  methodPath: '/',
  requestMethod: RequestMethod.GET,
  methodVersion: undefined,
  controllerVersion: undefined,
  ...overrides,
});

describe('RoutePaths', () => {
  it('joins prefix, module, controller and handler paths without double slashes', () => {
    const paths = new RoutePaths(config('/api/'));
    expect(paths.served(source({ modulePath: '/admin', controllerPath: '/things/', methodPath: ':id' }))).toEqual([
      { path: '/api/admin/things/:id', versions: [] },
    ]);
    expect(new RoutePaths(config()).served(source({ controllerPath: '/', methodPath: '/' }))).toEqual([
      { path: '/', versions: [] },
    ]);
  });

  it('gives each URI version its own path, version first as Nest serves it', () => {
    const paths = new RoutePaths(config('api', { type: VersioningType.URI }));
    expect(paths.served(source({ modulePath: '/shop', controllerVersion: ['1', '2'] }))).toEqual([
      { path: '/api/v1/shop/things', versions: ['1'] },
      { path: '/api/v2/shop/things', versions: ['2'] },
    ]);
    expect(paths.served(source({ controllerVersion: '1', methodVersion: [VERSION_NEUTRAL, '3'] }))).toEqual([
      { path: '/api/things', versions: [] },
      { path: '/api/v3/things', versions: ['3'] },
    ]);
  });

  it('keeps one path for header and media-type versions and lists them', () => {
    for (const versioning of [
      { type: VersioningType.HEADER, header: 'X-Api-Version' },
      { type: VersioningType.MEDIA_TYPE, key: 'v=' },
    ] as const) {
      const paths = new RoutePaths(config('api', { ...versioning, defaultVersion: '1' }));
      expect(paths.served(source())).toEqual([{ path: '/api/things', versions: ['1'] }]);
      expect(paths.served(source({ methodVersion: ['2', '3'] }))).toEqual([
        { path: '/api/things', versions: ['2', '3'] },
      ]);
    }
  });

  it('lists no version when versioning is off, whatever the metadata says', () => {
    expect(new RoutePaths(config('api')).served(source({ controllerVersion: '1', methodVersion: '2' }))).toEqual([
      { path: '/api/things', versions: [] },
    ]);
  });

  it('leaves out the global prefix only on the excluded paths and methods', () => {
    const paths = new RoutePaths(config('api', undefined, ['health', { path: 'hooks', method: RequestMethod.POST }]));
    const at = (controllerPath: string, requestMethod: RequestMethod) =>
      paths.served(source({ controllerPath, requestMethod })).map((p) => p.path);
    expect(at('health', RequestMethod.GET)).toEqual(['/health']);
    expect(at('hooks', RequestMethod.POST)).toEqual(['/hooks']);
    expect(at('hooks', RequestMethod.GET)).toEqual(['/api/hooks']);
  });
});

describe('modulePathOf', () => {
  it("reads the RouterModule path of this application, then the module's own", () => {
    @Module({})
    class AdminModule {}
    Reflect.defineMetadata(`${MODULE_PATH}app-1`, '/admin', AdminModule);
    expect(modulePathOf(AdminModule, 'app-1')).toBe('/admin');
    expect(modulePathOf(AdminModule, 'app-2')).toBeUndefined();
    Reflect.defineMetadata(MODULE_PATH, '/fallback', AdminModule);
    expect(modulePathOf(AdminModule, 'app-2')).toBe('/fallback');
    expect(modulePathOf(undefined, 'app-1')).toBeUndefined();
  });
});

describe('pathParams', () => {
  it('lists the parameters of a path', () => {
    expect(pathParams('/api/v1/users/:userId/orders/:id')).toEqual(['userId', 'id']);
    expect(pathParams('/api/things{/:thingId}')).toEqual(['thingId']);
    expect(pathParams('/api/static/{*path}')).toEqual([]);
    expect(pathParams('/api/health')).toEqual([]);
  });
});
