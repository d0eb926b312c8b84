import { ApiSecurityConfigError } from '../errors/api-security-config.error';
import { Injectable } from '@nestjs/common';
import { checkTokenEndpointsOptions, type TokenEndpointsOptions } from './token-endpoints.options';
import type { StoredUser, UserStore } from './user-store';

@Injectable()
class NoUsers implements UserStore {
  async findByEmail(): Promise<StoredUser | null> {
    return null;
  }
  async findById(): Promise<StoredUser | null> {
    return null;
  }
}

const check = (options: unknown) => () => checkTokenEndpointsOptions(options as TokenEndpointsOptions);

describe('checkTokenEndpointsOptions', () => {
  it('accepts a user store alone, or with path, version, imports and route limits', () => {
    expect(check({ userStore: NoUsers })).not.toThrow();
    expect(
      check({
        userStore: NoUsers,
        imports: [],
        path: 'api-auth/tokens',
        version: ['1', '2'],
        rateLimit: { login: { login: '10/60s' }, refresh: '30/60s' },
      }),
    ).not.toThrow();
  });

  it('refuses a missing store, an unknown option, a path with a parameter and an unknown route, all in one message', () => {
    expect(check(undefined)).toThrow(/needs an options object/);
    let message = '';
    let caught: unknown;
    try {
      checkTokenEndpointsOptions({
        userStore: 'NoUsers',
        pathh: 'auth',
        path: 'auth/:id',
        imports: {},
        rateLimit: { register: '5/60s' },
      } as unknown as TokenEndpointsOptions);
    } catch (error) {
      caught = error;
      message = (error as Error).message;
    }
    expect(caught).toBeInstanceOf(ApiSecurityConfigError);
    expect(caught).toMatchObject({ code: 'ERR_CONFIG_UNKNOWN_OPTION' });
    expect(message).toMatch(/^Invalid TokenEndpointsModule options:/);
    expect(message).toMatch(/userStore must be a class implementing UserStore/);
    expect(message).toContain('Unknown option "pathh"; did you mean "path"?');
    expect(message).toMatch(/path must be a route path/);
    expect(message).toMatch(/imports must be an array/);
    expect(message).toMatch(/rateLimit has unknown route\(s\) register/);
  });
});
