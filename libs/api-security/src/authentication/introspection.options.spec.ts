import { inspect } from 'node:util';
import {
  ApiSecurityConfigError,
  resolveApiSecurityOptions,
  type ApiSecurityModuleOptions,
} from '../api-security.options';
import { ConfigErrorCode } from '../errors/config-codes';
import type { TrustedIssuerIntrospectionOptions } from './introspection.options';

const ISSUER = 'https://idp.example.com/';
const SECRET = 'introspection-secret-0123456789abcdef';

function failure(options: ApiSecurityModuleOptions): ApiSecurityConfigError {
  try {
    resolveApiSecurityOptions(options);
  } catch (error) {
    if (error instanceof ApiSecurityConfigError) return error;
    throw error;
  }
  throw new Error('expected the options to be refused');
}

const withIntrospection = (introspection: unknown, issuer = ISSUER): ApiSecurityModuleOptions => ({
  jwt: {
    trustedIssuers: [
      { issuer, audience: 'orders-api', introspection: introspection as TrustedIssuerIntrospectionOptions },
    ],
  },
});

describe('jwt.trustedIssuers[].introspection options', () => {
  it('fills in the defaults: 30 s cache, 5 s for inactive answers, 50 calls per second', () => {
    const [issuer] = resolveApiSecurityOptions(withIntrospection({ clientId: 'api', clientSecret: SECRET })).jwt
      .trustedIssuers;
    expect(issuer?.introspection).toMatchObject({
      clientId: 'api',
      cacheSeconds: 30,
      inactiveCacheSeconds: 5,
      maxCallsPerSecond: 50,
    });
    const short = resolveApiSecurityOptions(
      withIntrospection({ clientId: 'api', clientSecret: SECRET, cacheSeconds: 2 }),
    );
    expect(short.jwt.trustedIssuers[0]?.introspection?.inactiveCacheSeconds).toBe(2);
  });

  it('keeps the secret out of the resolved options: only the Authorization header function holds it', () => {
    const options = resolveApiSecurityOptions(withIntrospection({ clientId: 'api', clientSecret: SECRET }));
    const introspection = options.jwt.trustedIssuers[0]?.introspection;
    expect(JSON.stringify(options)).not.toContain(SECRET);
    expect(inspect(options, { depth: 10 })).not.toContain(SECRET);
    expect(introspection?.authorization()).toBe(`Basic ${Buffer.from(`api:${SECRET}`).toString('base64')}`);
  });

  it('form-encodes id and secret before Basic encoding them (RFC 6749 §2.3.1)', () => {
    const options = resolveApiSecurityOptions(withIntrospection({ clientId: 'my api:1', clientSecret: 'a+b:c%' }));
    const header = options.jwt.trustedIssuers[0]?.introspection?.authorization() as string;
    expect(Buffer.from(header.slice('Basic '.length), 'base64').toString()).toBe('my+api%3A1:a%2Bb%3Ac%25');
  });

  it.each<[string, unknown, string]>([
    ['no object', 'yes', 'introspection must be an object'],
    ['no client id', { clientSecret: SECRET }, 'introspection.clientId is required'],
    ['no secret', { clientId: 'api' }, 'introspection.clientSecret is required'],
    ['an empty secret', { clientId: 'api', clientSecret: '' }, 'introspection.clientSecret is required'],
    ['cacheSeconds 0', { clientId: 'api', clientSecret: SECRET, cacheSeconds: 0 }, 'cacheSeconds must be'],
    ['a negative cacheSeconds', { clientId: 'api', clientSecret: SECRET, cacheSeconds: -1 }, 'cacheSeconds must be'],
    ['cacheSeconds over 300', { clientId: 'api', clientSecret: SECRET, cacheSeconds: 301 }, 'from 1 to 300'],
    [
      'inactiveCacheSeconds over cacheSeconds',
      { clientId: 'api', clientSecret: SECRET, cacheSeconds: 10, inactiveCacheSeconds: 11 },
      'inactiveCacheSeconds must be a whole number from 1 to 10',
    ],
    ['a call budget of 0', { clientId: 'api', clientSecret: SECRET, maxCallsPerSecond: 0 }, 'maxCallsPerSecond'],
  ])('refuses %s with a coded boot error that never shows the secret', (_name, introspection, message) => {
    const error = failure(withIntrospection(introspection));
    expect(error.code).toBe(ConfigErrorCode.INVALID_OPTION);
    expect(error.message).toContain(message);
    expect(error.message).not.toContain(SECRET);
  });

  it('refuses a second introspecting issuer: an opaque token names no issuer to route it to', () => {
    const introspection = { clientId: 'api', clientSecret: SECRET };
    const error = failure({
      jwt: {
        trustedIssuers: [
          { issuer: ISSUER, audience: 'orders-api', introspection },
          { issuer: 'https://other.example.com/', audience: 'orders-api', introspection },
        ],
      },
    });
    expect(error.message).toContain('only one trusted issuer may introspect');
  });

  it('names a misspelt introspection option (unknown option code)', () => {
    const error = failure(withIntrospection({ clientId: 'api', clientSecret: SECRET, cacheSecond: 5 }));
    expect(error.code).toBe(ConfigErrorCode.UNKNOWN_OPTION);
    expect(error.message).toContain('cacheSeconds');
  });
});
