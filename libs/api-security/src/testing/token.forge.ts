import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import type { JwtAlgorithm } from '../api-security.options';
import type { JwtFailureReason } from '../authentication/jwt-refusal';
import { accessTokenClaims, signJws, type JwtMembers } from './jwt.primitives';
import type { DpopKey } from './dpop.forge';
import { TOKEN_ATTACKS, type TokenAttack, type TokenAttackContext } from './token.attacks';

const generateKeyPairAsync = promisify(generateKeyPair);
const encoder = new TextEncoder();

/** How the app under test signs access tokens: the same values as its `jwt` options. */
export interface TokenForgeOptions {
  algorithm: JwtAlgorithm;
  /**
   * The app's test signing key: a PKCS#8 PEM (literal `\n` accepted) or a `KeyObject` for ES256,
   * RS256 and EdDSA; the secret (string or bytes) for HS256.
   */
  key: string | KeyObject | Uint8Array;
  issuer: string;
  audience: string;
  /**
   * `kid` of the signing key. Defaults to what the library uses: the RFC 7638 thumbprint of the
   * public key (none for HS256).
   */
  kid?: string;
  /**
   * URL that `jku`/`x5u` attacks point at. Give a {@link LoopbackCanary}'s URL to prove the app
   * never fetches it.
   * @default 'http://127.0.0.1:9/keys.json'
   */
  keyUrl?: string;
}

/** One forged or malformed credential the app must refuse. */
export interface ForgedToken {
  /** What is wrong with it, e.g. `alg none`, `HS256 signed with the public key (key confusion)`. */
  readonly name: string;
  readonly token: string;
  /** Headers to send: `Authorization: Bearer <token>`, or a cookie, or none for the query-string case. */
  readonly headers: Readonly<Record<string, string>>;
  /** Appended to the request path: `?access_token=<token>` for the query-string case, else `''`. */
  readonly query: string;
  readonly expect: 401;
  /** The reason this library records in its `authentication.failure` event, when one is specific. */
  readonly reason?: JwtFailureReason;
}

/** Another key of the server's kind, which the server must never trust. */
export interface AttackerKey {
  readonly signingKey: KeyObject | Uint8Array;
  readonly jwk: JWK;
  readonly kid: string;
}

/**
 * Mints access tokens the way the app under test does (same algorithm, key, `kid`, `typ: at+jwt`,
 * `iss`, `aud`), for any claims, and every forged variant the library's own attack tests use.
 *
 * @example
 * ```ts
 * const forge = await TokenForge.create({ algorithm: 'ES256', key: process.env.JWT_PRIVATE_KEY!, issuer, audience });
 * const bearer = await forge.bearer({ sub: userId, role: 'user' });
 * for (const forged of await forge.forgedTokens({ sub: userId })) {
 *   const res = await request(server).get(`/api/v1/users/me${forged.query}`).set(forged.headers);
 *   expect([forged.name, res.status]).toEqual([forged.name, forged.expect]);
 * }
 * ```
 */
export class TokenForge {
  private attackerKey?: Promise<AttackerKey>;

  private constructor(
    readonly algorithm: JwtAlgorithm,
    private readonly signingKey: KeyObject | Uint8Array,
    /** The server's public key (asymmetric algorithms), for key-confusion attacks. */
    readonly publicKey: KeyObject | undefined,
    /** `kid` the app's tokens carry; undefined for HS256. */
    readonly kid: string | undefined,
    readonly issuer: string,
    readonly audience: string,
    readonly keyUrl: string,
  ) {}

  static async create(options: TokenForgeOptions): Promise<TokenForge> {
    const { algorithm, issuer, audience } = options;
    if (typeof issuer !== 'string' || issuer === '' || typeof audience !== 'string' || audience === '') {
      throw new TypeError(
        'TokenForge: issuer and audience must be the non-empty jwt.issuer / jwt.audience of the app.',
      );
    }
    const keyUrl = options.keyUrl ?? 'http://127.0.0.1:9/keys.json';
    if (algorithm === 'HS256') {
      const secret = typeof options.key === 'string' ? encoder.encode(options.key) : options.key;
      if (!(secret instanceof Uint8Array))
        throw new TypeError('TokenForge: HS256 needs the secret as a string or bytes.');
      return new TokenForge(algorithm, secret, undefined, options.kid, issuer, audience, keyUrl);
    }
    let privateKey: KeyObject;
    try {
      privateKey =
        typeof options.key === 'string'
          ? createPrivateKey(options.key.replace(/\\n/g, '\n'))
          : (options.key as KeyObject);
    } catch {
      throw new TypeError(`TokenForge: key is not a PKCS#8 PEM private key for ${algorithm}.`);
    }
    if (!privateKey || typeof privateKey !== 'object' || privateKey.type !== 'private') {
      throw new TypeError(`TokenForge: ${algorithm} needs the app's private signing key (PKCS#8 PEM or KeyObject).`);
    }
    const publicKey = createPublicKey(privateKey);
    const kid = options.kid ?? (await calculateJwkThumbprint(await exportJWK(publicKey)));
    return new TokenForge(algorithm, privateKey, publicKey, kid, issuer, audience, keyUrl);
  }

  /** Claims the app would accept (fresh `jti`, `iat` now, `exp` in 5 minutes), with overrides (`undefined` removes). */
  claims(overrides: JwtMembers = {}): JwtMembers {
    return accessTokenClaims(this.issuer, this.audience, overrides);
  }

  /** The header the app writes (`alg`, `typ: at+jwt`, `kid`), with overrides (`undefined` removes). */
  header(overrides: JwtMembers = {}): JwtMembers {
    return { alg: this.algorithm, typ: 'at+jwt', kid: this.kid, ...overrides };
  }

  /**
   * A token signed with the app's key; only what the overrides change differs from one the app
   * issues. With no overrides it is valid (for `sub: 'user-1'`, `role: 'user'` unless given).
   */
  sign(claims: JwtMembers = {}, header: JwtMembers = {}): Promise<string> {
    return signJws(this.header(header), this.claims(claims), this.signingKey);
  }

  /** A valid access token for these claims (`sub`, `role`, `sid`…). */
  accessToken(claims: JwtMembers = {}): Promise<string> {
    return this.sign(claims);
  }

  /** `{ Authorization: 'Bearer <valid token>' }` for these claims. */
  async bearer(claims: JwtMembers = {}): Promise<Record<string, string>> {
    return { Authorization: `Bearer ${await this.accessToken(claims)}` };
  }

  /**
   * A valid access token bound to a DPoP key (RFC 9449 `cnf.jkt`, the key's thumbprint): the app
   * must accept it only as `Authorization: DPoP <token>` with a proof signed by that key.
   */
  dpopBoundToken(key: DpopKey | string, claims: JwtMembers = {}): Promise<string> {
    const jkt = typeof key === 'string' ? key : key.thumbprint;
    return this.sign({ ...claims, cnf: { jkt } });
  }

  /** A fresh key of the server's kind (generated once per forge), which the app must never trust. */
  attacker(): Promise<AttackerKey> {
    this.attackerKey ??= attackerKeyFor(this.algorithm);
    return this.attackerKey;
  }

  /** The attacks that apply to this algorithm, unbuilt (their names are known before any signing). */
  attacks(): readonly TokenAttack[] {
    return TOKEN_ATTACKS.filter((attack) => attack.appliesTo?.(this.algorithm) ?? true);
  }

  /** Builds one attack's token, placed as it must be sent. */
  async forge(attack: TokenAttack, claims: JwtMembers = {}): Promise<ForgedToken> {
    const context: TokenAttackContext = {
      algorithm: this.algorithm,
      kid: this.kid,
      publicKey: this.publicKey,
      keyUrl: this.keyUrl,
      attacker: await this.attacker(),
      claims: (overrides = {}) => this.claims({ ...claims, ...overrides }),
      serverSigned: (overrides = {}, header = {}) => this.sign({ ...claims, ...overrides }, header),
    };
    const token = await attack.build(context);
    const placement = attack.placement ?? 'authorization';
    return {
      name: attack.name,
      token,
      headers:
        placement === 'authorization'
          ? { Authorization: `Bearer ${token}` }
          : placement === 'cookie'
            ? { Cookie: `access_token=${token}` }
            : {},
      query: placement === 'query' ? `?access_token=${encodeURIComponent(token)}` : '',
      expect: 401,
      ...(attack.reason !== undefined ? { reason: attack.reason } : {}),
    };
  }

  /**
   * Every forged or malformed variant, each `{ name, token, headers, query, expect: 401 }`. `claims`
   * (e.g. `{ sub: realUserId }`) go into every token, so that the forgery is the only thing wrong.
   */
  async forgedTokens(claims: JwtMembers = {}): Promise<ForgedToken[]> {
    const forged: ForgedToken[] = [];
    for (const attack of this.attacks()) forged.push(await this.forge(attack, claims));
    return forged;
  }
}

async function attackerKeyFor(algorithm: JwtAlgorithm): Promise<AttackerKey> {
  if (algorithm === 'HS256') {
    const secret = randomBytes(32);
    const jwk: JWK = { kty: 'oct', k: secret.toString('base64url') };
    return { signingKey: new Uint8Array(secret), jwk, kid: await calculateJwkThumbprint(jwk) };
  }
  const { privateKey, publicKey } =
    algorithm === 'ES256'
      ? await generateKeyPairAsync('ec', { namedCurve: 'P-256' })
      : algorithm === 'RS256'
        ? await generateKeyPairAsync('rsa', { modulusLength: 2048 })
        : await generateKeyPairAsync('ed25519', {});
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { signingKey: privateKey, jwk: { ...jwk, kid, alg: algorithm, use: 'sig' }, kid };
}
