import { JWT_ALGORITHMS } from './jwt-algorithms';
import type { AsymmetricJwtAlgorithm } from './jwt-key.checks';
import {
  resolveIntrospection,
  type ResolvedIntrospection,
  type TrustedIssuerIntrospectionOptions,
} from './introspection.options';

/** The signature algorithms an external issuer's tokens may use (never HS256: its secret is not public). */
export const TRUSTED_ISSUER_ALGORITHMS: readonly AsymmetricJwtAlgorithm[] = JWT_ALGORITHMS.filter(
  (alg): alg is AsymmetricJwtAlgorithm => alg !== 'HS256',
);

/**
 * An external identity provider (Auth0, Keycloak, Entra ID, any OpenID Provider or RFC 8414
 * authorization server) whose RFC 9068 access tokens the API accepts beside its own.
 */
export interface TrustedIssuerOptions {
  /**
   * The issuer identifier, exactly as the provider writes it in `iss` and in its metadata
   * (trailing slash included or not, as the provider has it). Its metadata is read from
   * `<issuer>/.well-known/openid-configuration`, else RFC 8414's `/.well-known/oauth-authorization-server`;
   * only URLs on this issuer's origin are ever fetched. `https://` only; `http://127.0.0.1` and
   * `http://localhost` are accepted outside production (local test providers).
   */
  issuer: string;
  /** The `aud` every token must carry for this API (the resource indicator or API identifier). */
  audience: string;
  /**
   * Signature algorithms accepted from this issuer; a key of another type never verifies.
   * @default ['RS256']
   */
  algorithms?: readonly ('RS256' | 'ES256' | 'EdDSA')[];
  /**
   * Dotted path of the claim holding role names (an array of strings, or one string), e.g.
   * `realm_access.roles` (Keycloak), `roles` (Entra ID app roles), `https://example.com/roles`
   * (an Auth0 custom claim, written as it is: the path is split on dots only when the whole name
   * is not itself a claim).
   * @default undefined (tokens from this issuer carry no roles)
   */
  rolesClaim?: string;
  /**
   * Issuer role → library roles (names of `roles.hierarchy`). When given, it is an allowlist:
   * roles not listed are dropped. Without it, role names are kept as issued.
   * @default undefined
   */
  roleMap?: Readonly<Record<string, string | readonly string[]>>;
  /**
   * Claim holding the granted scopes: a space-separated string (`scope`, Entra's `scp`) or an array
   * of strings (Auth0's `permissions`). They are what `@Scopes` checks.
   * @default 'scope'
   */
  scopeClaim?: string;
  /**
   * Claim naming the OAuth client the token was issued to.
   * @default 'client_id' (RFC 9068; Keycloak and Entra ID write `azp`)
   */
  clientIdClaim?: string;
  /**
   * Claim holding the token's unique id, used for revocation and audit.
   * @default 'jti' (RFC 9068; Entra ID writes `uti`)
   */
  tokenIdClaim?: string;
  /**
   * Whether the header must say `typ: at+jwt` (RFC 9068), which keeps ID tokens and other JWTs of the
   * same issuer out. Set false only for providers that cannot issue RFC 9068 tokens (Entra ID).
   * @default true
   */
  requireAccessTokenType?: boolean;
  /**
   * How long fetched keys are used before they are fetched again, in seconds (60–86400). A key
   * the provider removed stops verifying at the next fetch.
   * @default 600
   */
  jwksCacheSeconds?: number;
  /**
   * Shortest time between two fetches of the key set, in seconds (1–3600): a token with an unknown
   * `kid` causes at most one fetch per cooldown, however many such tokens arrive.
   * @default 30
   */
  jwksCooldownSeconds?: number;
  /**
   * How long the last good keys stay in use, after `jwksCacheSeconds`, while the provider cannot
   * serve its key set, in seconds (0–604800). After that, tokens of this issuer are refused (fail closed).
   * @default 3600
   */
  maxStaleSeconds?: number;
  /**
   * Accept this issuer's opaque (non-JWT) access tokens by RFC 7662 introspection at the
   * `introspection_endpoint` of its metadata (which must be on the issuer's origin). At most one
   * issuer may have it: an opaque token names no issuer, so it goes to the one that introspects.
   * JWTs of this issuer are still verified locally with its keys.
   * @default undefined (opaque tokens are refused)
   */
  introspection?: TrustedIssuerIntrospectionOptions;
}

/** A trusted issuer after validation, with every default filled in. */
export interface ResolvedTrustedIssuer {
  /** The exact issuer identifier. */
  readonly issuer: string;
  /** The required `aud`. */
  readonly audience: string;
  /** Accepted signature algorithms. */
  readonly algorithms: readonly ('RS256' | 'ES256' | 'EdDSA')[];
  /** Claim (or dotted path) holding role names. */
  readonly rolesClaim?: string;
  /** Issuer role → library roles (an allowlist when present). */
  readonly roleMap?: Readonly<Record<string, readonly string[]>>;
  /** Claim holding the scopes. */
  readonly scopeClaim: string;
  /** Claim naming the client. */
  readonly clientIdClaim: string;
  /** Claim holding the token id. */
  readonly tokenIdClaim: string;
  /** Whether `typ: at+jwt` is required. */
  readonly requireAccessTokenType: boolean;
  /** Lifetime of fetched keys, seconds. */
  readonly jwksCacheSeconds: number;
  /** Shortest time between two key-set fetches, seconds. */
  readonly jwksCooldownSeconds: number;
  /** How long the last good keys outlive their lifetime while the provider fails, seconds. */
  readonly maxStaleSeconds: number;
  /** Plain http to a loopback host (allowed outside production only). */
  readonly loopback: boolean;
  /** Introspection of opaque tokens, when configured. */
  readonly introspection?: ResolvedIntrospection;
}

/** Hosts allowed over plain http outside production, so tests can run a provider locally. */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** A claim name or dotted path: printable ASCII without spaces. */
const CLAIM_PATH = /^[\x21-\x7e]{1,200}$/;

function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function seconds(value: unknown, fallback: number, min: number, max: number, name: string, problems: string[]) {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    problems.push(`${name} must be a whole number of seconds from ${min} to ${max} (got ${shown(value)}).`);
    return fallback;
  }
  return value as number;
}

function claimName(value: unknown, fallback: string | undefined, name: string, problems: string[]) {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !CLAIM_PATH.test(value)) {
    problems.push(`${name} must be a claim name or dotted path such as 'realm_access.roles' (got ${shown(value)}).`);
    return fallback;
  }
  return value;
}

/**
 * Checks an issuer identifier: an https URL without credentials, query or fragment (RFC 8414 §2),
 * or loopback http outside production. Returns one problem sentence or undefined.
 */
function checkIssuerUrl(value: unknown, name: string, production: boolean): string | undefined {
  const fix = 'use the exact issuer identifier of the provider, e.g. https://tenant.eu.auth0.com/';
  if (typeof value !== 'string' || value.trim() === '') return `${name} must be the issuer's URL: ${fix}.`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${name} is not a URL: ${fix}.`;
  }
  if (url.username !== '' || url.password !== '') return `${name} must not contain credentials: ${fix}.`;
  if (url.search !== '' || url.hash !== '' || value.includes('?') || value.includes('#')) {
    return `${name} must not have a query or fragment (RFC 8414): ${fix}.`;
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) {
    return production
      ? `${name} uses plain http: loopback http issuers are for tests and refused in production; use https.`
      : undefined;
  }
  return `${name} must use https (plain http only for 127.0.0.1 or localhost outside production): ${fix}.`;
}

/**
 * Validates `jwt.trustedIssuers`, pushing one sentence per problem. `localIssuer` is the library's
 * own `jwt.issuer`: an external issuer of the same name would make the two key sets ambiguous.
 */
export function resolveTrustedIssuers(
  value: unknown,
  localIssuer: string,
  production: boolean,
  problems: string[],
): readonly ResolvedTrustedIssuer[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push('jwt.trustedIssuers must be an array of { issuer, audience, ... } (see TrustedIssuerOptions).');
    return [];
  }
  const resolved: ResolvedTrustedIssuer[] = [];
  const seen = new Map<string, number>();
  let introspecting: number | undefined;
  value.forEach((entry: unknown, index) => {
    const name = `jwt.trustedIssuers[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push(`${name} must be an object { issuer, audience, ... }.`);
      return;
    }
    const o = entry as Partial<TrustedIssuerOptions>;
    const before = problems.length;
    const issuerProblem = checkIssuerUrl(o.issuer, `${name}.issuer`, production);
    if (issuerProblem) problems.push(issuerProblem);
    const issuer = typeof o.issuer === 'string' ? o.issuer : '';
    if (!issuerProblem) {
      if (issuer === localIssuer) {
        problems.push(
          `${name}.issuer is the library's own jwt.issuer "${localIssuer}": give the local issuer another name or remove the entry.`,
        );
      }
      // Exact comparison is the rule (RFC 8414 §3.3): a slash of difference is another issuer, and
      // two entries that differ only by it are almost certainly one provider configured twice.
      const key = issuer.replace(/\/$/, '');
      const other = seen.get(key);
      if (other !== undefined) {
        problems.push(
          `${name}.issuer repeats jwt.trustedIssuers[${other}].issuer (issuers differing only by a trailing slash ` +
            'count as the same): list each provider once, with the issuer exactly as its metadata writes it.',
        );
      } else seen.set(key, index);
    }
    if (typeof o.audience !== 'string' || o.audience.trim() === '') {
      problems.push(`${name}.audience is required: the aud value this API is known by at the provider.`);
    }
    let algorithms: readonly AsymmetricJwtAlgorithm[] = ['RS256'];
    if (o.algorithms !== undefined) {
      if (
        !Array.isArray(o.algorithms) ||
        o.algorithms.length === 0 ||
        !o.algorithms.every((alg) => (TRUSTED_ISSUER_ALGORITHMS as readonly unknown[]).includes(alg))
      ) {
        problems.push(`${name}.algorithms must be a non-empty list of ${TRUSTED_ISSUER_ALGORITHMS.join(', ')}.`);
      } else algorithms = [...new Set(o.algorithms)];
    }
    const rolesClaim = claimName(o.rolesClaim, undefined, `${name}.rolesClaim`, problems);
    let roleMap: Record<string, readonly string[]> | undefined;
    if (o.roleMap !== undefined) {
      if (typeof o.roleMap !== 'object' || o.roleMap === null || Array.isArray(o.roleMap)) {
        problems.push(`${name}.roleMap must be an object { providerRole: 'role' | ['role', ...] }.`);
      } else {
        roleMap = Object.create(null) as Record<string, readonly string[]>;
        for (const [from, to] of Object.entries(o.roleMap)) {
          const list = typeof to === 'string' ? [to] : to;
          if (!Array.isArray(list) || !list.every((role) => typeof role === 'string' && role !== '')) {
            problems.push(`${name}.roleMap.${from} must be a role name or a list of role names.`);
          } else roleMap[from] = Object.freeze([...list]);
        }
      }
      if (rolesClaim === undefined && o.rolesClaim === undefined) {
        problems.push(`${name}.roleMap needs rolesClaim: name the claim the provider puts roles in.`);
      }
    }
    if (o.requireAccessTokenType !== undefined && typeof o.requireAccessTokenType !== 'boolean') {
      problems.push(`${name}.requireAccessTokenType must be true or false.`);
    }
    const jwksCacheSeconds = seconds(o.jwksCacheSeconds, 600, 60, 86_400, `${name}.jwksCacheSeconds`, problems);
    const jwksCooldownSeconds = seconds(o.jwksCooldownSeconds, 30, 1, 3600, `${name}.jwksCooldownSeconds`, problems);
    const maxStaleSeconds = seconds(o.maxStaleSeconds, 3600, 0, 604_800, `${name}.maxStaleSeconds`, problems);
    if (jwksCooldownSeconds > jwksCacheSeconds) {
      problems.push(`${name}.jwksCooldownSeconds must not exceed jwksCacheSeconds.`);
    }
    const scopeClaim = claimName(o.scopeClaim, 'scope', `${name}.scopeClaim`, problems) as string;
    const clientIdClaim = claimName(o.clientIdClaim, 'client_id', `${name}.clientIdClaim`, problems) as string;
    const tokenIdClaim = claimName(o.tokenIdClaim, 'jti', `${name}.tokenIdClaim`, problems) as string;
    const introspection = resolveIntrospection(o.introspection, `${name}.introspection`, problems);
    if (introspection !== undefined) {
      // An opaque token carries no iss: with two introspecting issuers, which one to ask would be a guess
      // (asking both would hand one provider's tokens to the other).
      if (introspecting !== undefined) {
        problems.push(
          `${name}.introspection: only one trusted issuer may introspect opaque tokens (jwt.trustedIssuers[${introspecting}] ` +
            'already does); an opaque token names no issuer, so it could not be routed.',
        );
      } else introspecting = index;
    }
    if (problems.length > before) return;
    resolved.push(
      Object.freeze({
        issuer,
        audience: o.audience as string,
        algorithms: Object.freeze(algorithms),
        ...(rolesClaim !== undefined ? { rolesClaim } : {}),
        ...(roleMap !== undefined ? { roleMap: Object.freeze(roleMap) } : {}),
        scopeClaim,
        clientIdClaim,
        tokenIdClaim,
        requireAccessTokenType: o.requireAccessTokenType ?? true,
        jwksCacheSeconds,
        jwksCooldownSeconds,
        maxStaleSeconds,
        loopback: new URL(issuer).protocol === 'http:',
        ...(introspection !== undefined ? { introspection } : {}),
      }),
    );
  });
  return Object.freeze(resolved);
}
