import { randomBytes } from 'node:crypto';
import type { DpopFailureReason } from '../authentication/dpop-refusal';
import type { DpopKey } from './dpop.forge';
import { replacePayload, signJws, type JwtMembers } from './jwt.primitives';
import { base64url } from 'jose';

/** What a DPoP attack builds its request from. */
export interface DpopAttackContext {
  /** The client's key, which the tokens of {@link boundToken} are bound to. */
  readonly key: DpopKey;
  /** Another key, which no token is bound to. */
  readonly attacker: DpopKey;
  /** The method of the probed route, e.g. `GET`. */
  readonly method: string;
  /** The absolute URL of the probed route as the server sees it (the proof's `htu`). */
  readonly url: string;
  /** A fresh valid access token bound to {@link key} (`cnf.jkt`). */
  boundToken(): Promise<string>;
  /** A fresh valid access token bound to no key. */
  unboundToken(): Promise<string>;
  /** The server's nonce (`DPoP-Nonce`), put in every proof when the server asks for one. */
  readonly nonce?: string;
}

/** One DPoP attack: its name, the reason the library records, and the headers to send. */
export interface DpopAttack {
  readonly name: string;
  /** The library's `authentication.failure` reason for it. */
  readonly reason: DpopFailureReason;
  /**
   * The request is sent twice: the first must be accepted (it is the legitimate use), the second
   * (the replay) must get 401.
   */
  readonly replay?: boolean;
  /** `Authorization` and `DPoP` headers of the attack request. */
  build(context: DpopAttackContext): Promise<Record<string, string>>;
}

/** A valid proof for the route, by `key` (default the client's), with overrides. */
function proofFor(
  context: DpopAttackContext,
  accessToken: string | undefined,
  overrides: { claims?: JwtMembers; header?: JwtMembers; method?: string; url?: string; key?: DpopKey } = {},
): Promise<string> {
  return (overrides.key ?? context.key).proof({
    method: overrides.method ?? context.method,
    url: overrides.url ?? context.url,
    ...(accessToken !== undefined ? { accessToken } : {}),
    ...(context.nonce !== undefined ? { nonce: context.nonce } : {}),
    ...(overrides.claims ? { claims: overrides.claims } : {}),
    ...(overrides.header ? { header: overrides.header } : {}),
  });
}

async function dpopWith(
  context: DpopAttackContext,
  overrides: Parameters<typeof proofFor>[2] = {},
): Promise<Record<string, string>> {
  const token = await context.boundToken();
  return { Authorization: `DPoP ${token}`, DPoP: await proofFor(context, token, overrides) };
}

const now = (): number => Math.floor(Date.now() / 1000);

/**
 * The DPoP attacks (RFC 9449 §11) every protected route must answer with 401: replay, a proof made
 * for another request or by another key, a bound token stolen without its key (no proof, or
 * downgraded to `Bearer`), a proof not tied to the token (`ath`), a stale or future proof, and
 * proofs that are unsigned, MAC-signed or carry a private key.
 */
export const DPOP_ATTACKS: readonly DpopAttack[] = [
  {
    name: 'replayed proof (the same proof and token sent twice)',
    reason: 'dpop_replayed',
    replay: true,
    build: (context) => dpopWith(context),
  },
  {
    name: 'proof for another method',
    reason: 'dpop_htm_mismatch',
    build: (context) => dpopWith(context, { method: context.method === 'POST' ? 'PUT' : 'POST' }),
  },
  {
    name: 'proof for another path',
    reason: 'dpop_htu_mismatch',
    build: (context) => dpopWith(context, { url: new URL('/elsewhere', context.url).href }),
  },
  {
    name: 'proof for another host',
    reason: 'dpop_htu_mismatch',
    build: (context) => {
      const url = new URL(context.url);
      url.host = 'attacker.invalid';
      return dpopWith(context, { url: url.href });
    },
  },
  {
    name: 'proof signed by another key than the token is bound to',
    reason: 'dpop_key_mismatch',
    build: (context) => dpopWith(context, { key: context.attacker }),
  },
  {
    name: 'stolen bound token without a proof',
    reason: 'dpop_proof_missing',
    build: async (context) => ({ Authorization: `DPoP ${await context.boundToken()}` }),
  },
  {
    name: 'bound token as Bearer',
    reason: 'dpop_bound_token_as_bearer',
    build: async (context) => ({ Authorization: `Bearer ${await context.boundToken()}` }),
  },
  {
    name: 'bound token as Bearer, with a valid proof',
    reason: 'dpop_bound_token_as_bearer',
    build: async (context) => {
      const headers = await dpopWith(context);
      return { ...headers, Authorization: headers.Authorization!.replace(/^DPoP /, 'Bearer ') };
    },
  },
  {
    name: 'unbound token with the DPoP scheme',
    reason: 'dpop_token_not_bound',
    build: async (context) => {
      const token = await context.unboundToken();
      return { Authorization: `DPoP ${token}`, DPoP: await proofFor(context, token) };
    },
  },
  {
    name: 'ath of another token',
    reason: 'dpop_ath_mismatch',
    build: async (context) => {
      const token = await context.boundToken();
      return { Authorization: `DPoP ${token}`, DPoP: await proofFor(context, await context.boundToken()) };
    },
  },
  {
    name: 'proof without ath',
    reason: 'dpop_invalid_claims',
    build: async (context) => {
      const token = await context.boundToken();
      return { Authorization: `DPoP ${token}`, DPoP: await proofFor(context, undefined) };
    },
  },
  {
    name: 'iat in the future',
    reason: 'dpop_iat_out_of_window',
    build: (context) => dpopWith(context, { claims: { iat: now() + 600 } }),
  },
  {
    name: 'iat too old',
    reason: 'dpop_iat_out_of_window',
    build: (context) => dpopWith(context, { claims: { iat: now() - 3600 } }),
  },
  {
    name: 'typ JWT instead of dpop+jwt',
    reason: 'dpop_wrong_typ',
    build: (context) => dpopWith(context, { header: { typ: 'JWT' } }),
  },
  {
    name: 'alg none (unsigned proof)',
    reason: 'dpop_alg_not_allowed',
    build: async (context) => {
      const token = await context.boundToken();
      const claims = context.key.claims({
        method: context.method,
        url: context.url,
        accessToken: token,
        nonce: context.nonce,
      });
      const header = { alg: 'none', typ: 'dpop+jwt', jwk: context.key.publicJwk };
      const unsigned = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(claims))}.`;
      return { Authorization: `DPoP ${token}`, DPoP: unsigned };
    },
  },
  {
    name: 'HS256 proof (a MAC with a key in the header)',
    reason: 'dpop_alg_not_allowed',
    build: async (context) => {
      const token = await context.boundToken();
      const secret = randomBytes(32);
      const claims = context.key.claims({
        method: context.method,
        url: context.url,
        accessToken: token,
        nonce: context.nonce,
      });
      const header = { alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: secret.toString('base64url') } };
      return { Authorization: `DPoP ${token}`, DPoP: await signJws(header, claims, new Uint8Array(secret)) };
    },
  },
  {
    name: 'private key material in the proof jwk',
    reason: 'dpop_bad_jwk',
    build: (context) =>
      dpopWith(context, { header: { jwk: { ...context.key.publicJwk, d: randomBytes(32).toString('base64url') } } }),
  },
  {
    name: 'proof claims changed after signing',
    reason: 'dpop_bad_signature',
    build: async (context) => {
      const token = await context.boundToken();
      const proof = await proofFor(context, token);
      const claims = context.key.claims({
        method: context.method,
        url: context.url,
        accessToken: token,
        nonce: context.nonce,
      });
      return { Authorization: `DPoP ${token}`, DPoP: replacePayload(proof, { ...claims, jti: 'changed' }) };
    },
  },
];
