import {
  ApiSecurityConfigError,
  resolveApiSecurityOptions,
  type ApiSecurityModuleOptions,
} from '../api-security.options';
import { ConfigErrorCode } from '../errors/config-codes';
import type { TrustedIssuerOptions } from './trusted-issuer.options';

const ISSUER = 'https://tenant.eu.auth0.com/';

function failure(options: ApiSecurityModuleOptions): ApiSecurityConfigError {
  try {
    resolveApiSecurityOptions(options);
  } catch (error) {
    if (error instanceof ApiSecurityConfigError) return error;
    throw error;
  }
  throw new Error('expected the options to be refused');
}

const withIssuers = (
  trustedIssuers: readonly TrustedIssuerOptions[],
  production = false,
): ApiSecurityModuleOptions => ({
  production,
  jwt: production ? { algorithm: 'HS256', secret: 'x'.repeat(32), trustedIssuers } : { trustedIssuers },
});

describe('jwt.trustedIssuers options', () => {
  it('fills in the defaults of a trusted issuer', () => {
    const { jwt } = resolveApiSecurityOptions(withIssuers([{ issuer: ISSUER, audience: 'https://api.example.com' }]));
    expect(jwt.trustedIssuers).toEqual([
      {
        issuer: ISSUER,
        audience: 'https://api.example.com',
        algorithms: ['RS256'],
        scopeClaim: 'scope',
        clientIdClaim: 'client_id',
        tokenIdClaim: 'jti',
        requireAccessTokenType: true,
        jwksCacheSeconds: 600,
        jwksCooldownSeconds: 30,
        maxStaleSeconds: 3600,
        loopback: false,
      },
    ]);
    expect(resolveApiSecurityOptions({}).jwt.trustedIssuers).toEqual([]);
  });

  it('keeps several issuers, each with its own audience and mapping, beside HS256 local tokens', () => {
    const { jwt } = resolveApiSecurityOptions(
      withIssuers(
        [
          { issuer: ISSUER, audience: 'a', scopeClaim: 'permissions', rolesClaim: 'https://example.com/roles' },
          {
            issuer: 'https://sso.example.com/realms/main',
            audience: 'b',
            rolesClaim: 'realm_access.roles',
            roleMap: { 'realm-admin': 'admin', viewer: ['user'] },
            algorithms: ['RS256', 'ES256'],
          },
        ],
        true,
      ),
    );
    expect(jwt.trustedIssuers.map((i) => [i.audience, i.scopeClaim, i.rolesClaim])).toEqual([
      ['a', 'permissions', 'https://example.com/roles'],
      ['b', 'scope', 'realm_access.roles'],
    ]);
    expect(jwt.trustedIssuers[1]?.roleMap).toEqual({ 'realm-admin': ['admin'], viewer: ['user'] });
  });

  it.each<[string, readonly TrustedIssuerOptions[], string]>([
    ['plain http', [{ issuer: 'http://idp.example.com', audience: 'a' }], 'must use https'],
    ['a query', [{ issuer: 'https://idp.example.com/?tenant=1', audience: 'a' }], 'query or fragment'],
    ['credentials', [{ issuer: 'https://u:p@idp.example.com', audience: 'a' }], 'must not contain credentials'],
    ['not a URL', [{ issuer: 'idp.example.com', audience: 'a' }], 'is not a URL'],
    ['no audience', [{ issuer: ISSUER } as TrustedIssuerOptions], 'audience is required'],
    ['HS256', [{ issuer: ISSUER, audience: 'a', algorithms: ['HS256' as 'RS256'] }], 'algorithms must be'],
    ['no algorithm', [{ issuer: ISSUER, audience: 'a', algorithms: [] }], 'algorithms must be'],
    ['roleMap alone', [{ issuer: ISSUER, audience: 'a', roleMap: { x: 'admin' } }], 'roleMap needs rolesClaim'],
    [
      'bad roleMap',
      [{ issuer: ISSUER, audience: 'a', rolesClaim: 'r', roleMap: { x: [1 as unknown as string] } }],
      'roleMap.x',
    ],
    ['claim with spaces', [{ issuer: ISSUER, audience: 'a', rolesClaim: 'my roles' }], 'rolesClaim must be'],
    [
      'cooldown too long',
      [{ issuer: ISSUER, audience: 'a', jwksCooldownSeconds: 900 }],
      'must not exceed jwksCacheSeconds',
    ],
    ['cache too short', [{ issuer: ISSUER, audience: 'a', jwksCacheSeconds: 5 }], 'jwksCacheSeconds must be'],
    ['negative stale', [{ issuer: ISSUER, audience: 'a', maxStaleSeconds: -1 }], 'maxStaleSeconds must be'],
    [
      'the same issuer twice',
      [
        { issuer: ISSUER, audience: 'a' },
        { issuer: ISSUER.slice(0, -1), audience: 'b' },
      ],
      'repeats jwt.trustedIssuers[0].issuer',
    ],
    ['the local issuer', [{ issuer: 'https://api.example.com', audience: 'a' }], "the library's own jwt.issuer"],
  ])('refuses %s with a coded boot error', (_name, trustedIssuers, message) => {
    const error = failure({ jwt: { issuer: 'https://api.example.com', trustedIssuers } });
    expect(error.code).toBe(ConfigErrorCode.INVALID_OPTION);
    expect(error.message).toContain(message);
  });

  it('accepts a loopback http issuer outside production only', () => {
    const local = [{ issuer: 'http://127.0.0.1:4000', audience: 'a' }];
    expect(resolveApiSecurityOptions(withIssuers(local)).jwt.trustedIssuers[0]?.loopback).toBe(true);
    const error = failure(withIssuers(local, true));
    expect(error.code).toBe(ConfigErrorCode.INVALID_OPTION);
    expect(error.message).toContain('refused in production');
  });

  it('refuses a misspelt key of a trusted issuer as an unknown option', () => {
    const error = failure({
      jwt: { trustedIssuers: [{ issuer: ISSUER, audience: 'a', roleClaim: 'roles' } as TrustedIssuerOptions] },
    });
    expect(error.code).toBe(ConfigErrorCode.UNKNOWN_OPTION);
    expect(error.message).toContain('roleClaim');
  });
});
