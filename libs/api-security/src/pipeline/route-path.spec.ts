import { VERSION_NEUTRAL, VersioningType } from '@nestjs/common';
import { fullPaths, pathParams, versionsOf } from './route-path';

describe('route paths', () => {
  const uri = { type: VersioningType.URI } as const;

  it('joins prefix, version, controller and handler paths without double slashes', () => {
    expect(fullPaths('api', '/users/', ':id', ['1'], uri)).toEqual(['/api/v1/users/:id']);
    expect(fullPaths('/api/', 'health', '/', [], uri)).toEqual(['/api/health']);
    expect(fullPaths('', '/', '/', [], undefined)).toEqual(['/']);
  });

  it('expands every version and honours a custom prefix', () => {
    expect(fullPaths('api', 'me', '', ['0', '1'], uri)).toEqual(['/api/v0/me', '/api/v1/me']);
    expect(fullPaths('api', 'me', '', ['2'], { type: VersioningType.URI, prefix: 'version' })).toEqual([
      '/api/version2/me',
    ]);
  });

  it('reads versions from metadata, the default version, or none when neutral', () => {
    expect(versionsOf('1', uri)).toEqual(['1']);
    expect(versionsOf(['1', '2'], uri)).toEqual(['1', '2']);
    expect(versionsOf(undefined, { type: VersioningType.URI, defaultVersion: '3' })).toEqual(['3']);
    expect(versionsOf(VERSION_NEUTRAL, uri)).toEqual([]);
  });

  it('lists the parameters of a path', () => {
    expect(pathParams('/api/v1/users/:userId/orders/:id')).toEqual(['userId', 'id']);
    expect(pathParams('/api/things{/:thingId}')).toEqual(['thingId']);
    expect(pathParams('/api/static/{*path}')).toEqual([]);
    expect(pathParams('/api/health')).toEqual([]);
  });
});
