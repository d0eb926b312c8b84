/**
 * RFC 7662 introspection of an external issuer's opaque access tokens (`jwt.trustedIssuers[].introspection`).
 * The API authenticates to the provider's `introspection_endpoint` as an OAuth client of its own.
 */
export interface TrustedIssuerIntrospectionOptions {
  /** The client id this API is registered under at the provider (a confidential client). */
  clientId: string;
  /**
   * That client's secret, sent with `client_secret_basic` (RFC 6749 §2.3.1). Never logged, never
   * put in events or responses; read it from the environment or a secret store.
   */
  clientSecret: string;
  /**
   * How long an active token's introspection result is reused, in seconds (1–300), and never past
   * the token's `exp`. This is the revocation latency: a token revoked at the provider is still
   * accepted by this instance for up to this long.
   * @default 30
   */
  cacheSeconds?: number;
  /**
   * How long an `active: false` answer is reused, in seconds (1–cacheSeconds), so the same refused
   * token sent again does not reach the provider again.
   * @default 5 (or cacheSeconds when smaller)
   */
  inactiveCacheSeconds?: number;
  /**
   * Most introspection calls per second this instance makes to the provider (1–1000), bursts of
   * up to as many included. Tokens that would need a call beyond it are answered 503 (fail
   * closed), so a flood of unknown tokens cannot become a flood of calls to the provider.
   * @default 50
   */
  maxCallsPerSecond?: number;
}

/** Introspection settings after validation. The secret lives only inside {@link authorization}. */
export interface ResolvedIntrospection {
  /** The API's client id at the provider. */
  readonly clientId: string;
  /** Lifetime of an active result, seconds (the revocation latency). */
  readonly cacheSeconds: number;
  /** Lifetime of an inactive or refused result, seconds. */
  readonly inactiveCacheSeconds: number;
  /** Call budget per second (token bucket of as many). */
  readonly maxCallsPerSecond: number;
  /**
   * The `Authorization` header value of the introspection request. A function, so the secret is
   * not a data property: it stays out of `JSON.stringify` and `util.inspect` of the options.
   */
  readonly authorization: () => string;
}

/** Longest accepted cache lifetime: the revocation latency must stay short. */
export const MAX_INTROSPECTION_CACHE_SECONDS = 300;

function bounded(value: unknown, fallback: number, max: number, name: string, problems: string[]): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > max) {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : String(value);
    problems.push(`${name} must be a whole number from 1 to ${max} (got ${shown}).`);
    return fallback;
  }
  return value as number;
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined and base64-encoded. */
function basicCredentials(clientId: string, clientSecret: string): string {
  const encode = (text: string) => encodeURIComponent(text).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

/**
 * Validates one issuer's `introspection` block, pushing one sentence per problem (never the secret).
 * Returns undefined when absent or invalid.
 */
export function resolveIntrospection(
  value: unknown,
  name: string,
  problems: string[],
): ResolvedIntrospection | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${name} must be an object { clientId, clientSecret, cacheSeconds?, ... }.`);
    return undefined;
  }
  const o = value as Partial<TrustedIssuerIntrospectionOptions>;
  const before = problems.length;
  if (typeof o.clientId !== 'string' || o.clientId.trim() === '') {
    problems.push(`${name}.clientId is required: the client id this API is registered under at the provider.`);
  }
  if (typeof o.clientSecret !== 'string' || o.clientSecret === '') {
    problems.push(
      `${name}.clientSecret is required: the secret of that client (client_secret_basic), read from the environment.`,
    );
  }
  const cacheSeconds = bounded(o.cacheSeconds, 30, MAX_INTROSPECTION_CACHE_SECONDS, `${name}.cacheSeconds`, problems);
  const inactiveCacheSeconds = bounded(
    o.inactiveCacheSeconds,
    Math.min(5, cacheSeconds),
    cacheSeconds,
    `${name}.inactiveCacheSeconds`,
    problems,
  );
  const maxCallsPerSecond = bounded(o.maxCallsPerSecond, 50, 1000, `${name}.maxCallsPerSecond`, problems);
  if (problems.length > before) return undefined;
  const header = basicCredentials(o.clientId as string, o.clientSecret as string);
  return Object.freeze({
    clientId: o.clientId as string,
    cacheSeconds,
    inactiveCacheSeconds,
    maxCallsPerSecond,
    authorization: () => header,
  });
}
