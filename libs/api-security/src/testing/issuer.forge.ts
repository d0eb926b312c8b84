import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  KeyObject,
  randomUUID,
  type JsonWebKey,
} from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import { signJws, withoutUndefined, type JwtMembers } from './jwt.primitives';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Signature algorithms an {@link IssuerForge} signs with (what identity providers use). */
export type IssuerAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

/** One identity provider's signing identity: its `iss`, the `aud` it mints for, and its key. */
export interface IssuerForgeOptions {
  /** The issuer identifier (`iss`), e.g. `https://login.example.com/realms/main`. */
  issuer: string;
  /** The audience (`aud`) of its access tokens for the API under test (a resource indicator). */
  audience: string;
  /** @default 'RS256' */
  algorithm?: IssuerAlgorithm;
  /**
   * The provider's private signing key (PKCS#8 PEM, `KeyObject` or private JWK), when the test holds
   * it (a test realm, an oidc-provider the test configures). Absent: a fresh key pair — an issuer
   * nobody trusts, with its own JWKS.
   */
  key?: string | KeyObject | JWK;
  /** `kid` of the key. @default the key's own `kid` (JWK), else its RFC 7638 thumbprint */
  kid?: string;
  /** `client_id` of the tokens (RFC 9068 §2.2). @default 'client-1' */
  clientId?: string;
}

/** A rogue issuer served over HTTP by {@link IssuerForge.serve}: discovery and JWKS, with counters. */
export interface ServedIssuer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** `<url>/jwks`, the URL `jku` / `x5u` attacks point at. */
  readonly jwksUri: string;
  /** Requests to the key set and to the discovery document so far: an app that fetched either trusted a token's word. */
  fetches(): { jwks: number; metadata: number };
  /** Stops the server (open connections included). */
  close(): Promise<void>;
}

/**
 * Mints RFC 9068 access tokens (`typ: at+jwt`, `iss`, `aud`, `sub`, `client_id`, `jti`, `iat`,
 * `exp`, `scope`) as an external identity provider does: one the app trusts (with the key the
 * test gave its provider) or a rogue one (a fresh key, its own JWKS, optionally served over HTTP).
 * {@link ISSUER_ATTACKS} and {@link probeIssuers} combine them into issuer attacks.
 *
 * @example
 * ```ts
 * const main = await IssuerForge.create({ issuer: mainIssuerUrl, audience: 'urn:orders-api', key: mainPrivateJwk });
 * const rogue = await IssuerForge.create({ issuer: 'https://rogue.example', audience: 'urn:orders-api' });
 * const report = await probeIssuers(app, { trusted: main, rogue, path: '/api/orders' });
 * expect(report.findings).toEqual([]);
 * ```
 */
export class IssuerForge {
  private constructor(
    /** The issuer identifier its tokens carry in `iss`. */
    readonly issuer: string,
    /** The `aud` of its tokens. */
    readonly audience: string,
    /** The signature algorithm of its tokens. */
    readonly algorithm: IssuerAlgorithm,
    private readonly signingKey: KeyObject,
    /** The public key, e.g. for HS256 key-confusion attacks. */
    readonly publicKey: KeyObject,
    /** The public JWK as the issuer's JWKS lists it (`kid`, `alg`, `use: sig`). */
    readonly publicJwk: JWK & { kid: string },
    /** The `kid` of its tokens and of its key in {@link jwks}. */
    readonly kid: string,
    /** The `client_id` (and default `sub`) of its tokens. */
    readonly clientId: string,
  ) {}

  /** A forge for this issuer, with the given key or a fresh key pair. */
  static async create(options: IssuerForgeOptions): Promise<IssuerForge> {
    const { issuer, audience } = options;
    if (typeof issuer !== 'string' || issuer === '' || typeof audience !== 'string' || audience === '') {
      throw new TypeError('IssuerForge: issuer and audience must be non-empty strings.');
    }
    const algorithm = options.algorithm ?? 'RS256';
    let privateKey: KeyObject;
    if (options.key === undefined) {
      ({ privateKey } =
        algorithm === 'ES256'
          ? await generateKeyPairAsync('ec', { namedCurve: 'P-256' })
          : algorithm === 'EdDSA'
            ? await generateKeyPairAsync('ed25519', {})
            : await generateKeyPairAsync('rsa', { modulusLength: 2048 }));
    } else if (typeof options.key === 'string') {
      privateKey = createPrivateKey(options.key.replace(/\\n/g, '\n'));
    } else if (options.key instanceof KeyObject) {
      privateKey = options.key;
    } else {
      privateKey = createPrivateKey({ key: options.key as JsonWebKey, format: 'jwk' });
    }
    if (privateKey.type !== 'private') throw new TypeError('IssuerForge: key must be a private signing key.');
    const publicKey = createPublicKey(privateKey);
    const jwk = await exportJWK(publicKey);
    const givenKid = options.key instanceof KeyObject || typeof options.key !== 'object' ? undefined : options.key.kid;
    const kid = options.kid ?? givenKid ?? (await calculateJwkThumbprint(jwk));
    return new IssuerForge(
      issuer,
      audience,
      algorithm,
      privateKey,
      publicKey,
      { ...jwk, kid, alg: algorithm, use: 'sig' },
      kid,
      options.clientId ?? 'client-1',
    );
  }

  /** The issuer's JWKS document (its one public key). */
  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  /**
   * RFC 9068 claims of this issuer (fresh `jti`, `iat` now, `exp` in 5 minutes, `sub` = the client
   * as in client credentials), with overrides (`undefined` removes a claim).
   */
  claims(overrides: JwtMembers = {}): JwtMembers {
    const now = Math.floor(Date.now() / 1000);
    return withoutUndefined({
      iss: this.issuer,
      aud: this.audience,
      sub: this.clientId,
      client_id: this.clientId,
      jti: randomUUID(),
      iat: now,
      exp: now + 300,
      scope: 'openid',
      ...overrides,
    });
  }

  /** The header the issuer writes (`alg`, `typ: at+jwt`, `kid`), with overrides (`undefined` removes). */
  header(overrides: JwtMembers = {}): JwtMembers {
    return { alg: this.algorithm, typ: 'at+jwt', kid: this.kid, ...overrides };
  }

  /** A token signed with this issuer's key: only what the overrides change differs from its own. */
  sign(claims: JwtMembers = {}, header: JwtMembers = {}): Promise<string> {
    return signJws(this.header(header), this.claims(claims), this.signingKey);
  }

  /** A valid access token of this issuer for these claims. */
  accessToken(claims: JwtMembers = {}): Promise<string> {
    return this.sign(claims);
  }

  /** `{ Authorization: 'Bearer <token of this issuer>' }`. */
  async bearer(claims: JwtMembers = {}): Promise<Record<string, string>> {
    return { Authorization: `Bearer ${await this.accessToken(claims)}` };
  }

  /**
   * Serves this issuer on 127.0.0.1 (a random port): `/.well-known/openid-configuration`,
   * `/.well-known/oauth-authorization-server` and `/jwks`, counting every fetch. For an issuer whose
   * `iss` is the served URL (so that discovery from `iss` reaches it), use {@link IssuerForge.rogue}.
   */
  serve(): Promise<ServedIssuer> {
    return serveIssuer(() => this);
  }

  /**
   * An issuer nobody trusts, served on 127.0.0.1 with its own fresh key, whose `iss` is its served
   * URL: discovery from `iss`, `jku` and `x5u` all lead to a key set that verifies its tokens.
   * Close `served` when done.
   */
  static async rogue(
    audience: string,
    algorithm: IssuerAlgorithm = 'RS256',
  ): Promise<{ forge: IssuerForge; served: ServedIssuer }> {
    // The server comes first (its port is the issuer), the forge once the URL is known.
    const created: { forge?: IssuerForge } = {};
    const served = await serveIssuer(() => created.forge as IssuerForge);
    const forge = await IssuerForge.create({ issuer: served.url, audience, algorithm });
    created.forge = forge;
    return { forge, served };
  }
}

/** The HTTP side of {@link IssuerForge.serve}: discovery and JWKS of the forge `current()` returns. */
async function serveIssuer(current: () => IssuerForge): Promise<ServedIssuer> {
  const counts = { jwks: 0, metadata: 0 };
  let url = '';
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://issuer.invalid').pathname;
    let body: unknown;
    if (path === '/jwks') {
      counts.jwks++;
      body = current().jwks();
    } else if (path.startsWith('/.well-known/')) {
      counts.metadata++;
      body = { issuer: current().issuer, jwks_uri: `${url}/jwks` };
    }
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { error: 'not_found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    jwksUri: `${url}/jwks`,
    fetches: () => ({ ...counts }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
