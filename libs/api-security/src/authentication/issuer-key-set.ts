import { createPublicKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { keyMismatch, type AsymmetricJwtAlgorithm } from './jwt-key.checks';
import { JwtRefusal } from './jwt-refusal';
import type { ResolvedTrustedIssuer } from './trusted-issuer.options';

/** Reads one JSON document; rejects on any transport, status or parse failure. */
export type JsonFetcher = (url: string) => Promise<unknown>;

/** Why discovery refused a provider's metadata (a misconfiguration, not an outage). */
export class IssuerMetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IssuerMetadataError';
  }
}

/** Counters of one issuer's key set, for tests and monitoring. */
export interface IssuerKeySetStats {
  /** Key-set fetches started (successful or not). */
  readonly jwksFetches: number;
  /** Metadata fetches started. */
  readonly metadataFetches: number;
  /** Keys currently held. */
  readonly keys: number;
}

interface HeldKey {
  readonly key: KeyObject;
  readonly algorithm: AsymmetricJwtAlgorithm;
}

/** Most keys read from one key set; providers publish a handful. */
const MAX_KEYS = 100;

/** The JWK key type and curve each algorithm needs. */
const KEY_TYPES: Readonly<Record<AsymmetricJwtAlgorithm, { kty: string; crv?: string }>> = {
  ES256: { kty: 'EC', crv: 'P-256' },
  RS256: { kty: 'RSA' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
};

/**
 * One trusted issuer's signature keys: discovery, then a cached JWKS.
 *
 * - Discovery reads `<issuer>/.well-known/openid-configuration`, else RFC 8414's
 *   `/.well-known/oauth-authorization-server` (path inserted after the host), requires the
 *   document's `issuer` to equal the configured one exactly and its `jwks_uri` to be on the
 *   issuer's origin. A token never names a URL: only these are fetched.
 * - Keys are kept `jwksCacheSeconds`; then the next token refetches them (metadata included).
 * - A `kid` not in the set refetches, but fetches (of any cause) are at least `jwksCooldownSeconds`
 *   apart and never run twice at once: a flood of random `kid`s costs at most one fetch per cooldown.
 * - When the set cannot be fetched, the last good keys stay in use until `jwksCacheSeconds +
 *   maxStaleSeconds` after they were fetched; after that, every token of this issuer is refused.
 */
export class IssuerKeySet {
  private keys: ReadonlyMap<string, HeldKey> = new Map();
  /** Epoch ms of the last successful key fetch; undefined until one succeeded. */
  private fetchedAt: number | undefined;
  /** Epoch ms of the last fetch attempt, whatever its outcome (the cooldown counts from here). */
  private attemptedAt: number | undefined;
  private inflight: Promise<void> | undefined;
  private jwksUri: string | undefined;
  private introspectionUri: string | undefined;
  private metadataAttemptAt: number | undefined;
  private metadataInflight: Promise<void> | undefined;
  private metadataAt: number | undefined;
  private jwksFetches = 0;
  private metadataFetches = 0;

  constructor(
    readonly config: ResolvedTrustedIssuer,
    private readonly fetchJson: JsonFetcher,
    private readonly now: () => number,
    private readonly onProblem: (message: string) => void = () => undefined,
  ) {}

  get stats(): IssuerKeySetStats {
    return { jwksFetches: this.jwksFetches, metadataFetches: this.metadataFetches, keys: this.keys.size };
  }

  /**
   * The key that verifies a token with this `kid` and `alg` (both already checked to be strings,
   * `alg` one of the issuer's algorithms).
   * @throws JwtRefusal `unknown_kid`, or `jwks_unavailable` when no usable key set is held
   */
  async key(kid: string | undefined, alg: AsymmetricJwtAlgorithm): Promise<KeyObject> {
    const now = this.now();
    const age = this.fetchedAt === undefined ? Infinity : now - this.fetchedAt;
    let found = this.pick(kid, alg);
    const fresh = age < this.config.jwksCacheSeconds * 1000;
    if (!fresh || found === undefined) {
      await this.refresh(now);
      found = this.pick(kid, alg);
    }
    // A refresh that failed leaves fetchedAt where it was: the stale bound is measured from the last good set.
    const lastGood = this.fetchedAt === undefined ? Infinity : this.now() - this.fetchedAt;
    if (lastGood >= (this.config.jwksCacheSeconds + this.config.maxStaleSeconds) * 1000) {
      throw new JwtRefusal('jwks_unavailable');
    }
    if (found === undefined) throw new JwtRefusal('unknown_kid');
    return found;
  }

  /**
   * Checks the provider's metadata now (at boot), so a wrong issuer or jwks_uri stops the start
   * rather than refusing every token later.
   * @throws IssuerMetadataError when the metadata contradicts the configuration; transport errors as they come
   */
  async discover(): Promise<void> {
    await this.loadMetadata(this.now(), true);
  }

  /**
   * The metadata's `introspection_endpoint` (checked to be on the issuer's origin). When the
   * metadata was never read, it is read now, at most once per `jwksCooldownSeconds` however many
   * tokens wait for it.
   * @throws JwtRefusal `introspection_unavailable` when it cannot be had
   */
  async introspectionEndpoint(): Promise<string> {
    if (this.introspectionUri === undefined) {
      const now = this.now();
      if (this.metadataInflight === undefined) {
        const cooling =
          this.metadataAttemptAt !== undefined && now - this.metadataAttemptAt < this.config.jwksCooldownSeconds * 1000;
        if (!cooling) {
          this.metadataAttemptAt = now;
          this.metadataInflight = this.loadMetadata(now, true)
            .catch((error: unknown) =>
              this.onProblem(
                error instanceof IssuerMetadataError
                  ? error.message
                  : `Could not read the metadata of trusted issuer ${this.config.issuer}.`,
              ),
            )
            .finally(() => (this.metadataInflight = undefined));
        }
      }
      await this.metadataInflight;
    }
    if (this.introspectionUri === undefined)
      throw new JwtRefusal('introspection_unavailable', undefined, this.config.issuer);
    return this.introspectionUri;
  }

  private pick(kid: string | undefined, alg: AsymmetricJwtAlgorithm): KeyObject | undefined {
    if (kid === undefined) {
      // RFC 7515 allows no kid when the set holds one key of the type: accept only that case.
      const candidates = [...this.keys.values()].filter((held) => held.algorithm === alg);
      return candidates.length === 1 ? candidates[0]?.key : undefined;
    }
    const held = this.keys.get(kid);
    return held !== undefined && held.algorithm === alg ? held.key : undefined;
  }

  /** Refetches unless a fetch ran within the cooldown; joins a fetch already running. */
  private async refresh(now: number): Promise<void> {
    if (this.inflight) return this.inflight;
    if (this.attemptedAt !== undefined && now - this.attemptedAt < this.config.jwksCooldownSeconds * 1000) return;
    this.attemptedAt = now;
    this.inflight = this.fetchKeys(now).finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async fetchKeys(now: number): Promise<void> {
    try {
      await this.loadMetadata(now, false);
      this.jwksFetches += 1;
      const document = await this.fetchJson(this.jwksUri as string);
      this.keys = this.readJwks(document);
      this.fetchedAt = this.now();
    } catch (error) {
      this.onProblem(
        error instanceof IssuerMetadataError
          ? error.message
          : `Could not refresh the keys of trusted issuer ${this.config.issuer}; the last good keys stay in use within maxStaleSeconds.`,
      );
    }
  }

  /** Reads the metadata when there is none yet or it is as old as the key cache. */
  private async loadMetadata(now: number, force: boolean): Promise<void> {
    if (
      !force &&
      this.jwksUri !== undefined &&
      this.metadataAt !== undefined &&
      now - this.metadataAt < this.config.jwksCacheSeconds * 1000
    ) {
      return;
    }
    const issuer = this.config.issuer;
    let document: unknown;
    let lastError: unknown;
    for (const url of metadataUrls(issuer)) {
      this.metadataFetches += 1;
      try {
        document = await this.fetchJson(url);
        break;
      } catch (error) {
        lastError = error;
      }
    }
    if (document === undefined) throw lastError ?? new Error('no metadata');
    const metadata = document as { issuer?: unknown; jwks_uri?: unknown; introspection_endpoint?: unknown };
    if (typeof document !== 'object' || document === null || metadata.issuer !== issuer) {
      // Exact comparison (OpenID Connect Discovery §4.3, RFC 8414 §3.3): a slash of difference is a mix-up.
      throw new IssuerMetadataError(
        `Trusted issuer ${issuer}: the provider's metadata names the issuer ${JSON.stringify(metadata.issuer)}; ` +
          'jwt.trustedIssuers[].issuer must be written exactly as the metadata writes it (trailing slash included).',
      );
    }
    let jwksUri: URL;
    try {
      jwksUri = new URL(String(metadata.jwks_uri));
    } catch {
      throw new IssuerMetadataError(`Trusted issuer ${issuer}: the metadata has no valid jwks_uri.`);
    }
    if (jwksUri.origin !== new URL(issuer).origin || jwksUri.username !== '' || jwksUri.password !== '') {
      throw new IssuerMetadataError(
        `Trusted issuer ${issuer}: the metadata's jwks_uri is not on the issuer's origin; only the issuer's own URLs are fetched.`,
      );
    }
    jwksUri.hash = '';
    const introspectionUri = this.config.introspection !== undefined ? introspectionUrl(issuer, metadata) : undefined;
    this.jwksUri = jwksUri.href;
    this.introspectionUri = introspectionUri;
    this.metadataAt = now;
  }

  /** The usable signature keys of a JWKS document, by kid. A set that is not a JWKS is an error. */
  private readJwks(document: unknown): ReadonlyMap<string, HeldKey> {
    const keys = (document as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) throw new Error('not a JWKS');
    const byKid = new Map<string, HeldKey>();
    let unnamed = 0;
    for (const jwk of keys.slice(0, MAX_KEYS) as JWK[]) {
      if (typeof jwk !== 'object' || jwk === null) continue;
      if (jwk.use !== undefined && jwk.use !== 'sig') continue;
      const algorithm = this.algorithmOf(jwk);
      if (algorithm === undefined) continue;
      let key: KeyObject;
      try {
        // Public members only: a set that leaks private members still yields a public key.
        key = createPublicKey({ key: publicMembers(jwk), format: 'jwk' });
      } catch {
        continue;
      }
      if (keyMismatch(key, algorithm) !== undefined) continue;
      const kid = typeof jwk.kid === 'string' && jwk.kid !== '' ? jwk.kid : `\u0000unnamed-${unnamed++}`;
      if (!byKid.has(kid)) byKid.set(kid, { key, algorithm });
    }
    return byKid;
  }

  /** The one configured algorithm this JWK can serve, or undefined. */
  private algorithmOf(jwk: JWK): AsymmetricJwtAlgorithm | undefined {
    for (const algorithm of this.config.algorithms) {
      const type = KEY_TYPES[algorithm];
      if (jwk.kty !== type.kty || (type.crv !== undefined && jwk.crv !== type.crv)) continue;
      if (jwk.alg !== undefined && jwk.alg !== algorithm) continue;
      return algorithm;
    }
    return undefined;
  }
}

function publicMembers(jwk: JWK): JWK {
  const out: JWK = { kty: jwk.kty };
  for (const member of ['crv', 'x', 'y', 'n', 'e'] as const) {
    if (typeof jwk[member] === 'string') out[member] = jwk[member];
  }
  return out;
}

/**
 * Where an issuer's metadata lives: OpenID Connect Discovery appends the well-known path to the
 * issuer; RFC 8414 inserts it between the host and the issuer's path.
 */
export function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return [
    `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
  ];
}

/**
 * The metadata's `introspection_endpoint` (RFC 8414 §2), which must be on the issuer's origin:
 * the API sends its client credentials there, so a metadata document must not be able to send
 * them anywhere else.
 */
function introspectionUrl(issuer: string, metadata: { introspection_endpoint?: unknown }): string {
  let url: URL;
  try {
    url = new URL(String(metadata.introspection_endpoint));
  } catch {
    throw new IssuerMetadataError(
      `Trusted issuer ${issuer}: introspection is configured but the metadata has no valid introspection_endpoint ` +
        '(enable introspection at the provider, or remove jwt.trustedIssuers[].introspection).',
    );
  }
  if (url.origin !== new URL(issuer).origin || url.username !== '' || url.password !== '') {
    throw new IssuerMetadataError(
      `Trusted issuer ${issuer}: the metadata's introspection_endpoint is not on the issuer's origin; ` +
        'the client credentials are only ever sent to the issuer itself.',
    );
  }
  url.hash = '';
  return url.href;
}
