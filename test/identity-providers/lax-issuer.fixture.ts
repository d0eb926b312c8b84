import { Injectable, type Type } from '@nestjs/common';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTVerifyGetKey } from 'jose';
import {
  UnauthenticatedException,
  type Authenticator,
  type SecurityPrincipal,
  type SecurityRequest,
} from '@api-security/nestjs';

/**
 * How a hand-written authenticator gets external issuers wrong (the weakened apps the issuer prober
 * must catch):
 * - `any-issuer`: takes the token's word for where its keys are (`jku`, else discovery from `iss`),
 *   with no issuer allow-list — any issuer with a JWKS is trusted;
 * - `shared-keys`: checks `iss` against the allow-list but verifies with the keys of every trusted
 *   issuer pooled together, so one provider's key vouches for another's `iss` (issuer mix-up).
 */
export type LaxMode = 'any-issuer' | 'shared-keys';

/** A weakened authenticator (test fixture only): signature and audience checked, the issuer not as it must be. */
export function laxIssuerAuthenticator(
  mode: LaxMode,
  trusted: readonly string[],
  audiences: readonly string[],
): Type<Authenticator> {
  const sets = new Map<string, JWTVerifyGetKey>();
  const remote = (uri: string): JWTVerifyGetKey => {
    let set = sets.get(uri);
    if (set === undefined) sets.set(uri, (set = createRemoteJWKSet(new URL(uri))));
    return set;
  };
  const jwksOf = async (issuer: string): Promise<string> => {
    const response = await fetch(`${issuer}/.well-known/openid-configuration`);
    return ((await response.json()) as { jwks_uri: string }).jwks_uri;
  };

  @Injectable()
  class LaxIssuerAuthenticator implements Authenticator {
    readonly name = `lax-${mode}`;

    async authenticate(request: SecurityRequest): Promise<SecurityPrincipal | null> {
      const header = request.headers.authorization;
      if (typeof header !== 'string') return null;
      const token = header.replace(/^Bearer /, '');
      try {
        let claims: Record<string, unknown>;
        if (mode === 'any-issuer') {
          const { jku } = decodeProtectedHeader(token);
          const uri = typeof jku === 'string' ? jku : await jwksOf(String(decodeJwt(token).iss));
          ({ payload: claims } = await jwtVerify(token, remote(uri), { audience: [...audiences] }));
        } else {
          if (!trusted.includes(String(decodeJwt(token).iss))) throw new Error('untrusted issuer');
          const uris = await Promise.all(trusted.map(jwksOf));
          claims = await firstVerified(token, uris.map(remote), audiences);
        }
        return { id: String(claims.sub), roles: [], scopes: [], authMethod: this.name };
      } catch {
        throw new UnauthenticatedException('lax refusal');
      }
    }
  }
  return LaxIssuerAuthenticator;
}

/** The claims of the first key set that verifies the token (the pooled-keys mistake). */
async function firstVerified(
  token: string,
  keySets: readonly JWTVerifyGetKey[],
  audiences: readonly string[],
): Promise<Record<string, unknown>> {
  for (const keys of keySets) {
    try {
      return (await jwtVerify(token, keys, { audience: [...audiences] })).payload;
    } catch {
      // the next provider's keys
    }
  }
  throw new Error('no key verified');
}
