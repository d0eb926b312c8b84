import type { JWTPayload } from 'jose';
import { IntrospectionCache, introspectionKey } from './introspection-cache';
import type { ResolvedIntrospection } from './introspection.options';
import { JwtRefusal } from './jwt-refusal';
import type { ResolvedTrustedIssuer } from './trusted-issuer.options';

/** Posts an `application/x-www-form-urlencoded` body with headers and returns status and parsed JSON. */
export type FormPoster = (
  url: string,
  form: URLSearchParams,
  headers: Readonly<Record<string, string>>,
) => Promise<{ status: number; json: unknown }>;

/** Counters of one issuer's introspection, for tests and monitoring. */
export interface IntrospectionStats {
  /** Calls made to the introspection endpoint (successful or not). */
  readonly calls: number;
  /** Tokens answered 503 because the call budget (`maxCallsPerSecond`) was spent. */
  readonly throttled: number;
  /** Results held (active and inactive). */
  readonly cached: number;
}

/** Results kept per instance: a hash and a frozen claim set each. */
const CACHE_ENTRIES = 10_000;

/**
 * `token_type` values that name an access token (RFC 7662 §2.2 uses RFC 6749's token types; some
 * providers write the RFC 8693 type or `access_token`). A refresh token introspected as active is refused.
 */
const ACCESS_TOKEN_TYPES: ReadonlySet<string> = new Set([
  'bearer',
  'dpop',
  'access_token',
  'urn:ietf:params:oauth:token-type:access_token',
]);

type Result =
  | { readonly active: true; readonly claims: JWTPayload }
  /** Inactive, or active with claims this API refuses (cached alike, so neither is asked again soon). */
  | { readonly active: false; readonly refusal: JwtRefusal };

/**
 * RFC 7662 introspection of one trusted issuer's opaque access tokens.
 *
 * - Results are cached under the token's SHA-256: an active one until `min(now + cacheSeconds,
 *   exp)`, an inactive one for `inactiveCacheSeconds`. `cacheSeconds` is the revocation latency.
 * - Concurrent requests with the same uncached token share one call (single flight).
 * - Calls are capped by a token bucket of `maxCallsPerSecond`: past it, and whenever the provider
 *   fails or answers something that is not an introspection response, the token is refused with
 *   `introspection_unavailable` (503, fail closed), never accepted.
 */
export class TokenIntrospector {
  private readonly cache = new IntrospectionCache<Result>(CACHE_ENTRIES);
  private readonly inflight = new Map<string, Promise<Result>>();
  private readonly settings: ResolvedIntrospection;
  private budget: number;
  private budgetAt: number;
  private calls = 0;
  private throttled = 0;

  constructor(
    readonly config: ResolvedTrustedIssuer,
    private readonly endpoint: () => Promise<string>,
    private readonly post: FormPoster,
    private readonly now: () => number,
    private readonly clockToleranceSeconds: number,
    private readonly onProblem: (message: string) => void = () => undefined,
  ) {
    this.settings = config.introspection as ResolvedIntrospection;
    this.budget = this.settings.maxCallsPerSecond;
    this.budgetAt = now();
  }

  get stats(): IntrospectionStats {
    return { calls: this.calls, throttled: this.throttled, cached: this.cache.size };
  }

  /** The claims of a cached active result, else undefined (no call is made). */
  cached(token: string): JWTPayload | undefined {
    const now = this.now();
    const result = this.cache.get(introspectionKey(token), now);
    return result?.active === true ? this.checked(result.claims, now) : undefined;
  }

  /**
   * The checked claims of an active token.
   * @throws JwtRefusal `inactive` (or a claim refusal) for a token the provider does not vouch for,
   *   `introspection_unavailable` when it cannot be asked
   */
  async introspect(token: string): Promise<JWTPayload> {
    const key = introspectionKey(token);
    let result = this.cache.get(key, this.now());
    if (result === undefined) {
      let pending = this.inflight.get(key);
      if (pending === undefined) {
        pending = this.call(token, key).finally(() => this.inflight.delete(key));
        this.inflight.set(key, pending);
      }
      result = await pending;
    }
    if (!result.active) throw result.refusal;
    return this.checked(result.claims, this.now());
  }

  /** The time-dependent checks, again on every use of a cached result: `exp` may have passed since. */
  private checked(claims: JWTPayload, now: number): JWTPayload {
    if ((claims.exp as number) <= now / 1000 - this.clockToleranceSeconds) {
      throw new JwtRefusal('expired', undefined, this.config.issuer);
    }
    if (typeof claims.nbf === 'number' && claims.nbf > now / 1000 + this.clockToleranceSeconds) {
      throw new JwtRefusal('not_yet_valid', undefined, this.config.issuer);
    }
    return claims;
  }

  private takeBudget(now: number): boolean {
    const rate = this.settings.maxCallsPerSecond;
    this.budget = Math.min(rate, this.budget + ((now - this.budgetAt) / 1000) * rate);
    this.budgetAt = now;
    if (this.budget < 1) return false;
    this.budget -= 1;
    return true;
  }

  private async call(token: string, key: string): Promise<Result> {
    if (!this.takeBudget(this.now())) {
      this.throttled += 1;
      throw new JwtRefusal('introspection_unavailable', 'rate', this.config.issuer);
    }
    this.calls += 1;
    let answer: { status: number; json: unknown };
    try {
      const url = await this.endpoint();
      answer = await this.post(url, new URLSearchParams({ token, token_type_hint: 'access_token' }), {
        authorization: this.settings.authorization(),
      });
    } catch {
      // The transport error is not logged as such: nothing from the request (the token, the
      // credentials) may end up in a log line.
      this.onProblem(
        `Introspection at trusted issuer ${this.config.issuer} failed; its opaque tokens are refused (503).`,
      );
      throw new JwtRefusal('introspection_unavailable', undefined, this.config.issuer);
    }
    let result: Result;
    try {
      result = this.read(answer);
    } catch (error) {
      if (!(error instanceof JwtRefusal) || error.reason === 'introspection_unavailable') throw error;
      result = { active: false, refusal: error };
    }
    const now = this.now();
    if (result.active) {
      const exp = (result.claims.exp as number) * 1000;
      this.cache.set(key, result, Math.min(now + this.settings.cacheSeconds * 1000, exp), now);
    } else this.cache.set(key, result, now + this.settings.inactiveCacheSeconds * 1000, now);
    return result;
  }

  /** RFC 7662 §2.2 response → a result; a response that is not one is an outage, not a refusal. */
  private read({ status, json }: { status: number; json: unknown }): Result {
    if (status !== 200 || typeof json !== 'object' || json === null || Array.isArray(json)) {
      this.onProblem(
        `Introspection at trusted issuer ${this.config.issuer} answered ${status}` +
          (status === 401 || status === 400 ? ' (check introspection.clientId and clientSecret)' : '') +
          (status === 200 ? ' with a body that is not an RFC 7662 response' : '') +
          '; its opaque tokens are refused (503).',
      );
      throw new JwtRefusal('introspection_unavailable', undefined, this.config.issuer);
    }
    const claims = json as JWTPayload & { active?: unknown; token_type?: unknown };
    if (claims.active !== true)
      return { active: false, refusal: new JwtRefusal('inactive', undefined, this.config.issuer) };
    const config = this.config;
    const refuse = (claim: string) => new JwtRefusal('invalid_claims', claim, config.issuer);
    if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) throw refuse('exp');
    if (claims.iss !== undefined && claims.iss !== config.issuer) {
      throw new JwtRefusal('wrong_issuer', undefined, config.issuer);
    }
    if (claims.aud !== undefined) {
      const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (!audiences.includes(config.audience)) throw new JwtRefusal('wrong_audience', undefined, config.issuer);
    }
    if (claims.token_type !== undefined) {
      if (typeof claims.token_type !== 'string' || !ACCESS_TOKEN_TYPES.has(claims.token_type.toLowerCase())) {
        throw new JwtRefusal('wrong_typ', undefined, config.issuer);
      }
    }
    return { active: true, claims: Object.freeze({ ...claims }) };
  }
}
