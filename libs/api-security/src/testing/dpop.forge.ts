import { generateKeyPair, randomUUID, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import { accessTokenHash } from '../authentication/dpop-claims';
import { signJws, type JwtMembers } from './jwt.primitives';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Algorithms a {@link DpopKey} can be generated for. */
export type DpopKeyAlgorithm = 'ES256' | 'EdDSA' | 'RS256' | 'PS256';

/** What one DPoP proof is made for. */
export interface DpopProofOptions {
  /** The request's method (`htm`), e.g. `GET`. */
  method: string;
  /** The request's absolute URL (`htu`) as the server sees it, e.g. `http://api.test/api/probe/me`. */
  url: string;
  /** The access token sent with the proof; its hash becomes `ath`. Absent: no `ath`. */
  accessToken?: string;
  /** A server-provided nonce (`DPoP-Nonce`); undefined: no `nonce` claim. */
  nonce?: string | undefined;
  /** `iat`, epoch seconds. @default now */
  iat?: number;
  /** `jti`. @default a fresh UUID */
  jti?: string;
  /** Claim overrides, applied last (`undefined` removes a claim). */
  claims?: JwtMembers;
  /** Header overrides, applied last (`undefined` removes a member). */
  header?: JwtMembers;
}

/**
 * A client's DPoP key pair (RFC 9449): what a browser or mobile app holds, and signs its proofs
 * with. `thumbprint` is what an authorization server puts in the tokens it binds (`cnf.jkt`).
 *
 * @example
 * ```ts
 * const key = await DpopKey.generate();
 * const token = await forge.dpopBoundToken(key, { sub: userId });
 * const proof = await key.proof({ method: 'GET', url: 'http://api.test/api/me', accessToken: token });
 * await request(server).get('/api/me').set('Host', 'api.test').set({ Authorization: `DPoP ${token}`, DPoP: proof });
 * ```
 */
export class DpopKey {
  private constructor(
    readonly algorithm: DpopKeyAlgorithm,
    private readonly privateKey: KeyObject,
    /** The public key as the proof header carries it. */
    readonly publicJwk: JWK,
    /** RFC 7638 SHA-256 thumbprint of the public key (the token's `cnf.jkt`). */
    readonly thumbprint: string,
  ) {}

  /** A fresh key pair. @default 'ES256' */
  static async generate(algorithm: DpopKeyAlgorithm = 'ES256'): Promise<DpopKey> {
    const { privateKey, publicKey } =
      algorithm === 'ES256'
        ? await generateKeyPairAsync('ec', { namedCurve: 'P-256' })
        : algorithm === 'EdDSA'
          ? await generateKeyPairAsync('ed25519', {})
          : await generateKeyPairAsync('rsa', { modulusLength: 2048 });
    const publicJwk = await exportJWK(publicKey);
    return new DpopKey(algorithm, privateKey, publicJwk, await calculateJwkThumbprint(publicJwk, 'sha256'));
  }

  /** The claims of a proof for `options` (before overrides are applied by {@link proof}). */
  claims(options: DpopProofOptions): JwtMembers {
    return {
      jti: options.jti ?? randomUUID(),
      htm: options.method,
      htu: options.url,
      iat: options.iat ?? Math.floor(Date.now() / 1000),
      ...(options.accessToken !== undefined ? { ath: accessTokenHash(options.accessToken) } : {}),
      ...(options.nonce !== undefined ? { nonce: options.nonce } : {}),
      ...options.claims,
    };
  }

  /** A signed proof (`typ: dpop+jwt`, this key's `alg` and public `jwk`), with any overrides. */
  proof(options: DpopProofOptions): Promise<string> {
    const header = { alg: this.algorithm, typ: 'dpop+jwt', jwk: this.publicJwk, ...options.header };
    return signJws(header, this.claims(options), this.privateKey);
  }

  /** Signs a proof with this key but any header and claims (for forged variants). */
  signRaw(header: JwtMembers, claims: JwtMembers): Promise<string> {
    return signJws(header, claims, this.privateKey);
  }
}
