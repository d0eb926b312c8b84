import { Logger, type FactoryProvider, type LoggerService, type OnApplicationBootstrap } from '@nestjs/common';
import { createPublicKey, createSecretKey, generateKeyPair, KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import {
  calculateJwkThumbprint,
  createRemoteJWKSet,
  errors as joseErrors,
  exportJWK,
  importPKCS8,
  importSPKI,
  SignJWT,
  type JWK,
  type JWSHeaderParameters,
  type JWTPayload,
  type RemoteJWKSet,
} from 'jose';
import {
  API_SECURITY_OPTIONS,
  ApiSecurityConfigError,
  type JwtAlgorithm,
  type ResolvedApiSecurityOptions,
} from '../api-security.options';
import { keyGenerationHint, keyMismatch, type AsymmetricJwtAlgorithm } from './jwt-key.checks';
import { JwtRefusal } from './jwt-refusal';

const generateKeyPairAsync = promisify(generateKeyPair);

/** A JSON Web Key Set holding public signature keys only. */
export interface PublicJwks {
  keys: JWK[];
}

/** Remote JWKS tuning: keys are cached 10 minutes; an unknown kid refetches at most every 30 s. */
const REMOTE_JWKS = { cacheMaxAge: 600_000, cooldownDuration: 30_000, timeoutDuration: 5_000 } as const;

/**
 * JWK members that may be published. Everything else (`d`, `p`, `q`, `dp`, `dq`, `qi`, `k`, `oth`)
 * is private material, so the JWKS is built from this allowlist rather than by deleting members.
 */
const PUBLIC_JWK_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const;

/** How the signing key was obtained, for the one boot warning. */
type KeyOrigin = 'configured' | 'generated';

/**
 * The access-token keys: the one signing key, the public keys that verify (signing key plus older
 * `jwt.verificationKeys`, by `kid`), and optionally an external issuer's JWKS. Built once at boot by
 * {@link JwtKeyService.load}; a key that does not fit the algorithm stops the boot.
 *
 * The private key (or HS256 secret) stays inside: callers sign through {@link sign}.
 */
export class JwtKeyService implements OnApplicationBootstrap {
  /** kid → public key (asymmetric). A Map, so a `kid` like `__proto__` is just a missing entry. */
  private readonly verificationKeys: ReadonlyMap<string, KeyObject>;
  private readonly publicJwks: readonly Readonly<JWK>[];
  private warned = false;
  /** Remote JWKS keys as KeyObjects, by jose's CryptoKey (which jose caches per JWK). */
  private readonly remoteKeyObjects = new WeakMap<object, KeyObject>();

  private constructor(
    /** The one algorithm tokens are signed and verified with. */
    readonly algorithm: JwtAlgorithm,
    private readonly signingKey: KeyObject,
    /** `kid` of the signing key (RFC 7638 thumbprint); undefined for HS256. */
    readonly signingKid: string | undefined,
    verificationKeys: ReadonlyMap<string, KeyObject>,
    publicJwks: readonly Readonly<JWK>[],
    private readonly remote: RemoteJWKSet | undefined,
    private readonly origin: KeyOrigin,
    private readonly logger: LoggerService,
  ) {
    this.verificationKeys = verificationKeys;
    this.publicJwks = publicJwks;
  }

  /**
   * Loads (or, outside production, generates) the keys described by resolved options.
   * @throws ApiSecurityConfigError when a key does not fit the algorithm or production has no key.
   */
  static async load(
    options: ResolvedApiSecurityOptions,
    logger: LoggerService = new Logger('ApiSecurity'),
  ): Promise<JwtKeyService> {
    const { jwt } = options;
    if (jwt.algorithm === 'HS256') {
      if (typeof jwt.secret !== 'string' || Buffer.byteLength(jwt.secret, 'utf8') < 32) {
        throw new ApiSecurityConfigError(['jwt.secret is required with HS256: give a random secret of 32+ bytes.']);
      }
      const secret = createSecretKey(Buffer.from(jwt.secret, 'utf8'));
      return new JwtKeyService('HS256', secret, undefined, new Map(), [], undefined, 'configured', logger);
    }

    const algorithm = jwt.algorithm as AsymmetricJwtAlgorithm;
    let privateKey: KeyObject;
    let origin: KeyOrigin;
    if (jwt.privateKey !== undefined) {
      privateKey = await importPrivateKey(jwt.privateKey, algorithm);
      origin = 'configured';
    } else if (options.production) {
      // resolveApiSecurityOptions refuses this already; checked again for options built by hand.
      throw new ApiSecurityConfigError([
        `jwt.privateKey is required in production with ${algorithm}; ${keyGenerationHint(algorithm)}.`,
      ]);
    } else {
      privateKey = await generatePrivateKey(algorithm);
      origin = 'generated';
    }

    const signingPublic = createPublicKey(privateKey);
    const signingKid = await calculateJwkThumbprint(await exportJWK(signingPublic));
    const byKid = new Map<string, KeyObject>([[signingKid, signingPublic]]);
    const jwks: Readonly<JWK>[] = [await publicJwk(signingPublic, signingKid, algorithm)];
    for (const [index, entry] of jwt.verificationKeys.entries()) {
      const name = `jwt.verificationKeys[${index}]`;
      const key = await importPublicKey(entry.publicKey, algorithm, name);
      const kid = entry.kid ?? (await calculateJwkThumbprint(await exportJWK(key)));
      if (byKid.has(kid)) {
        throw new ApiSecurityConfigError([
          `${name} has the kid "${kid}" of another key: remove the duplicate or give it its own kid.`,
        ]);
      }
      byKid.set(kid, key);
      jwks.push(await publicJwk(key, kid, algorithm));
    }

    const remote = jwt.jwksUrl !== undefined ? createRemoteJWKSet(new URL(jwt.jwksUrl), { ...REMOTE_JWKS }) : undefined;
    return new JwtKeyService(algorithm, privateKey, signingKid, byKid, jwks, remote, origin, logger);
  }

  /** Warns once when the signing key was generated (never shows the key). */
  onApplicationBootstrap(): void {
    if (this.origin !== 'generated' || this.warned) return;
    this.warned = true;
    this.logger.warn(
      `No jwt.privateKey is configured: generated a throw-away ${this.algorithm} signing key for this process. ` +
        'Its access tokens stop working on restart and are refused by other instances. ' +
        `Set jwt.privateKey to a PKCS#8 PEM (${keyGenerationHint(this.algorithm as AsymmetricJwtAlgorithm)}); ` +
        'production refuses to start without one.',
    );
  }

  /** Whether an external issuer's JWKS (`jwt.jwksUrl`) is configured. */
  get hasRemoteJwks(): boolean {
    return this.remote !== undefined;
  }

  /**
   * Signs `payload` with the signing key. The header gets `alg`, `typ` and, for asymmetric
   * algorithms, `kid`; nothing else.
   */
  async sign(payload: JWTPayload, typ: string): Promise<string> {
    return new SignJWT(payload)
      .setProtectedHeader({
        alg: this.algorithm,
        typ,
        ...(this.signingKid !== undefined ? { kid: this.signingKid } : {}),
      })
      .sign(this.signingKey);
  }

  /**
   * The local key that verifies a token with this `kid`, or undefined. HS256: the secret, only for
   * a token without `kid` (HS256 never uses a public key). Asymmetric: a plain map lookup; the
   * `kid` is never used as a path, URL or query.
   */
  verificationKey(kid: string | undefined): KeyObject | undefined {
    if (this.algorithm === 'HS256') return kid === undefined ? this.signingKey : undefined;
    return kid === undefined ? undefined : this.verificationKeys.get(kid);
  }

  /**
   * The external issuer's key for this header, from the configured JWKS URL only (cached, with a
   * refetch cooldown). The header has already passed the alg/typ/forbidden-member checks.
   * @throws JwtRefusal `unknown_kid` or `jwks_unavailable`
   */
  async remoteVerificationKey(header: JWSHeaderParameters): Promise<KeyObject> {
    if (!this.remote) throw new JwtRefusal('unknown_kid');
    let key: Awaited<ReturnType<RemoteJWKSet>>;
    try {
      // Only alg and kid take part in the selection; nothing else from the token reaches jose.
      key = await this.remote({ alg: this.algorithm, ...(header.kid !== undefined ? { kid: header.kid } : {}) });
    } catch (error) {
      const unknown =
        error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys;
      throw new JwtRefusal(unknown ? 'unknown_kid' : 'jwks_unavailable');
    }
    // jose hands back the same CryptoKey for a cached JWK: converting and checking it once keeps
    // the verifier's per-KeyObject key cache warm instead of importing the key on every token.
    let keyObject = this.remoteKeyObjects.get(key);
    if (keyObject === undefined) {
      keyObject = KeyObject.from(key);
      this.remoteKeyObjects.set(key, keyObject);
    }
    if (keyObject.type !== 'public' || keyMismatch(keyObject, this.algorithm as AsymmetricJwtAlgorithm)) {
      throw new JwtRefusal('unknown_kid');
    }
    return keyObject;
  }

  /**
   * The public signing and verification keys as a JWKS (`kid`, `alg`, `use: 'sig'`), for
   * `/.well-known/jwks.json`. Empty for HS256. Never contains private members; a fresh copy each call.
   */
  jwks(): PublicJwks {
    return { keys: this.publicJwks.map((jwk) => ({ ...jwk })) };
  }
}

/** Nest provider: the key service is built (asynchronously) before anything that signs or verifies. */
export const JWT_KEY_SERVICE_PROVIDER: FactoryProvider<Promise<JwtKeyService>> = {
  provide: JwtKeyService,
  useFactory: (options: ResolvedApiSecurityOptions) => JwtKeyService.load(options),
  inject: [API_SECURITY_OPTIONS],
};

async function importPrivateKey(pem: string, algorithm: AsymmetricJwtAlgorithm): Promise<KeyObject> {
  let key: KeyObject;
  try {
    key = KeyObject.from(await importPKCS8(pem, algorithm));
  } catch {
    throw new ApiSecurityConfigError([
      `jwt.privateKey could not be imported as a PKCS#8 ${algorithm} key; ${keyGenerationHint(algorithm)}.`,
    ]);
  }
  const expected = keyMismatch(key, algorithm);
  if (expected !== undefined) {
    throw new ApiSecurityConfigError([
      `jwt.privateKey must be ${expected} because jwt.algorithm is ${algorithm}; ${keyGenerationHint(algorithm)}.`,
    ]);
  }
  return key;
}

async function importPublicKey(pem: string, algorithm: AsymmetricJwtAlgorithm, name: string): Promise<KeyObject> {
  let key: KeyObject;
  try {
    key = KeyObject.from(await importSPKI(pem, algorithm));
  } catch {
    throw new ApiSecurityConfigError([
      `${name}.publicKey could not be imported as an SPKI ${algorithm} public key: export it with \`openssl pkey -in private.pem -pubout\`.`,
    ]);
  }
  const expected = keyMismatch(key, algorithm);
  if (expected !== undefined) {
    throw new ApiSecurityConfigError([`${name}.publicKey must be ${expected} because jwt.algorithm is ${algorithm}.`]);
  }
  return key;
}

async function generatePrivateKey(algorithm: AsymmetricJwtAlgorithm): Promise<KeyObject> {
  switch (algorithm) {
    case 'ES256':
      return (await generateKeyPairAsync('ec', { namedCurve: 'P-256' })).privateKey;
    case 'RS256':
      return (await generateKeyPairAsync('rsa', { modulusLength: 2048 })).privateKey;
    case 'EdDSA':
      return (await generateKeyPairAsync('ed25519', {})).privateKey;
  }
}

async function publicJwk(key: KeyObject, kid: string, algorithm: JwtAlgorithm): Promise<Readonly<JWK>> {
  const exported = await exportJWK(key);
  const jwk: JWK = { kid, alg: algorithm, use: 'sig' };
  for (const member of PUBLIC_JWK_MEMBERS) {
    const value = exported[member];
    if (typeof value === 'string') jwk[member] = value;
  }
  return Object.freeze(jwk);
}
