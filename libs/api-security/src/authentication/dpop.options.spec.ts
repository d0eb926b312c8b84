import { ApiSecurityConfigError, resolveApiSecurityOptions } from '../api-security.options';
import { ConfigErrorCode } from '../errors/config-codes';
import type { DpopOptions } from './dpop.options';

/** The boot error for `dpop`, or undefined when it boots. */
function refused(dpop: DpopOptions | Record<string, unknown>): ApiSecurityConfigError | undefined {
  try {
    resolveApiSecurityOptions({ production: false, dpop: dpop as DpopOptions });
    return undefined;
  } catch (error) {
    return error as ApiSecurityConfigError;
  }
}

describe('dpop options', () => {
  it('defaults: not required, asymmetric algorithms, 60 s proofs, no nonce', () => {
    expect(resolveApiSecurityOptions({ production: false }).dpop).toEqual({
      required: false,
      algorithms: ['ES256', 'EdDSA', 'Ed25519', 'PS256', 'RS256'],
      proofMaxAgeSeconds: 60,
      nonce: false,
      nonceLifetimeSeconds: 300,
    });
  });

  it('keeps given values', () => {
    const dpop = resolveApiSecurityOptions({
      production: false,
      dpop: {
        required: true,
        algorithms: ['ES384', 'ES384'],
        proofMaxAgeSeconds: 300,
        nonce: true,
        nonceLifetimeSeconds: 10,
      },
    }).dpop;
    expect(dpop).toEqual({
      required: true,
      algorithms: ['ES384'],
      proofMaxAgeSeconds: 300,
      nonce: true,
      nonceLifetimeSeconds: 10,
    });
  });

  it.each([
    [{ algorithms: [] }, 'dpop.algorithms must list at least one'],
    [{ algorithms: ['HS256'] }, 'dpop.algorithms has "HS256": a DPoP proof must be signed with an asymmetric key'],
    [{ algorithms: ['ES256', 'none'] }, 'dpop.algorithms has "none"'],
    [{ algorithms: ['ES257'] }, 'dpop.algorithms has "ES257", which is not supported'],
    [{ proofMaxAgeSeconds: 0 }, 'dpop.proofMaxAgeSeconds must be a whole number of seconds from 1 to 300'],
    [{ proofMaxAgeSeconds: -5 }, 'dpop.proofMaxAgeSeconds'],
    [{ proofMaxAgeSeconds: 301 }, 'dpop.proofMaxAgeSeconds'],
    [{ proofMaxAgeSeconds: 1.5 }, 'dpop.proofMaxAgeSeconds'],
    [{ nonceLifetimeSeconds: 5 }, 'dpop.nonceLifetimeSeconds must be a whole number of seconds from 10 to 3600'],
    [{ required: 'yes' }, 'dpop.required must be true or false'],
    [{ nonce: 1 }, 'dpop.nonce must be true or false'],
  ])('refuses %j at boot with ERR_CONFIG_INVALID_OPTION', (dpop, sentence) => {
    const error = refused(dpop);
    expect(error).toBeInstanceOf(ApiSecurityConfigError);
    expect(error?.code).toBe(ConfigErrorCode.INVALID_OPTION);
    expect(error?.problems.join('\n')).toContain(sentence);
  });

  it('refuses a misspelt key with ERR_CONFIG_UNKNOWN_OPTION', () => {
    const error = refused({ proofMaxAge: 30 });
    expect(error?.code).toBe(ConfigErrorCode.UNKNOWN_OPTION);
    expect(error?.problems.join('\n')).toContain('dpop.proofMaxAge');
  });
});
