/**
 * Asymmetric JWS algorithms a DPoP proof may be signed with (RFC 9449 §4.2: never `none`, never a
 * MAC). `EdDSA` and `Ed25519` both name Ed25519 keys (RFC 8037 and RFC 9864 spellings).
 */
export const DPOP_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
] as const;

/** One algorithm of {@link DPOP_ALGORITHMS}. */
export type DpopAlgorithm = (typeof DPOP_ALGORITHMS)[number];

/** Algorithms accepted when `dpop.algorithms` is not given: the ones clients (browsers, mobile SDKs) use. */
const DEFAULT_DPOP_ALGORITHMS: readonly DpopAlgorithm[] = ['ES256', 'EdDSA', 'Ed25519', 'PS256', 'RS256'];

/**
 * DPoP, sender-constrained access tokens (RFC 9449). A token whose claims carry `cnf.jkt` is bound
 * to one key: it is accepted only as `Authorization: DPoP <token>` with a valid `DPoP` proof signed
 * by that key, whatever these options say. The options choose which proofs are acceptable and
 * whether unbound tokens are still accepted.
 */
export interface DpopOptions {
  /**
   * Every authenticated route requires a DPoP-bound token with a valid proof (per route:
   * `@RequireDpop()`). Bearer tokens and other credentials (API keys) are then refused with 401.
   * @default false
   */
  required?: boolean;
  /**
   * Algorithms a proof may be signed with: asymmetric only (`HS*` and `none` refuse to boot).
   * Sent to clients in the `algs` parameter of the `WWW-Authenticate: DPoP` challenge.
   * @default ['ES256', 'EdDSA', 'Ed25519', 'PS256', 'RS256']
   */
  algorithms?: readonly DpopAlgorithm[];
  /**
   * How old a proof's `iat` may be, in seconds, 1–300. A proof is also refused when its `iat` is
   * ahead of the server clock by more than `jwt.clockToleranceSeconds`. Proof `jti`s are
   * remembered (in the security store, across instances) for this window plus that tolerance.
   * @default 60
   */
  proofMaxAgeSeconds?: number;
  /**
   * Server-provided nonces (RFC 9449 §8): a proof must carry a `nonce` this server issued, else
   * 401 `use_dpop_nonce` with a fresh one in the `DPoP-Nonce` header. Nonces are derived from
   * `audit.accountHashKey` and the time, so every instance with the same key accepts them.
   * @default false
   */
  nonce?: boolean;
  /**
   * How long a nonce is accepted, in seconds, 10–3600 (a nonce is valid for this window and the
   * next one, so clients are not refused at a window boundary).
   * @default 300
   */
  nonceLifetimeSeconds?: number;
}

/** {@link DpopOptions} after validation, with every default filled in. */
export interface ResolvedDpopOptions {
  readonly required: boolean;
  readonly algorithms: readonly DpopAlgorithm[];
  readonly proofMaxAgeSeconds: number;
  readonly nonce: boolean;
  readonly nonceLifetimeSeconds: number;
}

const SYMMETRIC_OR_NONE = /^(?:HS\d+|none)$/i;

/** Checks and completes `dpop`, adding one sentence per problem (boot error `ERR_CONFIG_INVALID_OPTION`). */
export function resolveDpopOptions(options: DpopOptions | undefined, problems: string[]): ResolvedDpopOptions {
  const given = options ?? {};
  const required = given.required ?? false;
  if (typeof required !== 'boolean') problems.push('dpop.required must be true or false.');
  const algorithms = given.algorithms ?? DEFAULT_DPOP_ALGORITHMS;
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    problems.push(`dpop.algorithms must list at least one of ${DPOP_ALGORITHMS.join(', ')}.`);
  } else {
    for (const algorithm of algorithms as readonly unknown[]) {
      if (typeof algorithm === 'string' && SYMMETRIC_OR_NONE.test(algorithm)) {
        problems.push(
          `dpop.algorithms has "${algorithm}": a DPoP proof must be signed with an asymmetric key (RFC 9449 §4.2); use one of ${DPOP_ALGORITHMS.join(', ')}.`,
        );
      } else if (!(DPOP_ALGORITHMS as readonly unknown[]).includes(algorithm)) {
        problems.push(
          `dpop.algorithms has "${String(algorithm)}", which is not supported: use ${DPOP_ALGORITHMS.join(', ')}.`,
        );
      }
    }
  }
  const proofMaxAgeSeconds = given.proofMaxAgeSeconds ?? 60;
  if (!Number.isSafeInteger(proofMaxAgeSeconds) || proofMaxAgeSeconds < 1 || proofMaxAgeSeconds > 300) {
    problems.push(
      `dpop.proofMaxAgeSeconds must be a whole number of seconds from 1 to 300 (got ${String(proofMaxAgeSeconds)}): a proof is a one-time value, not a credential.`,
    );
  }
  const nonce = given.nonce ?? false;
  if (typeof nonce !== 'boolean') problems.push('dpop.nonce must be true or false.');
  const nonceLifetimeSeconds = given.nonceLifetimeSeconds ?? 300;
  if (!Number.isSafeInteger(nonceLifetimeSeconds) || nonceLifetimeSeconds < 10 || nonceLifetimeSeconds > 3600) {
    problems.push(
      `dpop.nonceLifetimeSeconds must be a whole number of seconds from 10 to 3600 (got ${String(nonceLifetimeSeconds)}).`,
    );
  }
  return Object.freeze({
    required,
    algorithms: Object.freeze([...new Set(Array.isArray(algorithms) ? algorithms : [])]),
    proofMaxAgeSeconds,
    nonce,
    nonceLifetimeSeconds,
  });
}
