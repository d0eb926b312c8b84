import { createHmac } from 'node:crypto';
import { exportJWK } from 'jose';
import type { JwtFailureReason } from '../authentication/jwt-refusal';
import type { IssuerForge } from './issuer.forge';
import { unsignedJws, type JwtMembers } from './jwt.primitives';

/** What an issuer attack builds its token from. */
export interface IssuerAttackContext {
  /** The issuer under attack: one the app trusts, with the key the test gave it. */
  readonly trusted: IssuerForge;
  /** Another issuer the app trusts (its own audience), for mix-up attacks; absent: those are skipped. */
  readonly other?: IssuerForge;
  /** An issuer the app does not trust, with its own key pair and JWKS. */
  readonly rogue: IssuerForge;
  /** Where the rogue's key set is served (the URL `jku` / `x5u` point at). */
  readonly rogueJwksUri: string;
  /** Claims of every token (e.g. `{ sub: realUserId }`), so that the attack is the only thing wrong. */
  readonly claims: JwtMembers;
}

/** One issuer attack: a name known up front, and how to build the token (sent as `Bearer`). */
export interface IssuerAttack {
  /** What is wrong with the token, e.g. `issuer mix-up: trusted iss, signed by another trusted issuer's key`. */
  readonly name: string;
  /** The library's `authentication.failure` reason, when one check is expected to fire. */
  readonly reason?: JwtFailureReason;
  /** Needs {@link IssuerAttackContext.other} (a second trusted issuer). */
  readonly needsOther?: boolean;
  /** The attack's token (to send as `Authorization: Bearer <token>`). */
  build(context: IssuerAttackContext): Promise<string>;
}

/** The trusted issuer's `iss` and `aud`, signed by `signer` with `header` overrides. */
function asTrusted(context: IssuerAttackContext, signer: IssuerForge, header: JwtMembers = {}): Promise<string> {
  const { trusted } = context;
  return signer.sign({ ...context.claims, iss: trusted.issuer, aud: trusted.audience }, header);
}

const other = (context: IssuerAttackContext): IssuerForge => context.other as IssuerForge;

/** HS256 over the token's signing input, with the issuer's public key (in some spelling) as the secret. */
async function keyConfusion(context: IssuerAttackContext, secret: string): Promise<string> {
  const header = { alg: 'HS256', typ: 'at+jwt', kid: context.trusted.kid };
  const claims = context.trusted.claims(context.claims);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode(header)}.${encode(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/**
 * Attacks on the choice of issuer and key (RFC 9068, RFC 8725 §2.6 and §3.8–3.10): a token of an
 * issuer the app does not trust, validly signed by that issuer's own key (and pointing at its JWKS
 * through `jku`, `x5u` or an embedded `jwk`); issuer mix-up (one trusted issuer's key vouching for
 * another's `iss`); a token for another audience; a plain `JWT` instead of `at+jwt`; algorithm
 * confusion (`none`, HS256 keyed with the issuer's public key). Each must be refused with 401.
 */
export const ISSUER_ATTACKS: readonly IssuerAttack[] = [
  // An issuer the app does not trust, with a valid signature from its own JWKS
  {
    name: 'untrusted issuer, signed by its own key',
    build: (c) => c.rogue.sign({ ...c.claims, aud: c.trusted.audience }),
  },
  {
    name: 'untrusted issuer, jku pointing at its JWKS',
    build: (c) => c.rogue.sign({ ...c.claims, aud: c.trusted.audience }, { jku: c.rogueJwksUri }),
  },
  {
    name: 'untrusted issuer, x5u pointing at its key',
    build: (c) => c.rogue.sign({ ...c.claims, aud: c.trusted.audience }, { x5u: c.rogueJwksUri }),
  },
  {
    name: 'untrusted issuer, its key embedded (jwk)',
    build: (c) => c.rogue.sign({ ...c.claims, aud: c.trusted.audience }, { jwk: c.rogue.publicJwk }),
  },
  // The trusted issuer's iss, signed by a key it never published
  {
    name: "trusted iss, signed by the untrusted issuer's key",
    build: (c) => asTrusted(c, c.rogue),
  },
  {
    name: "trusted iss and kid, signed by the untrusted issuer's key",
    build: (c) => asTrusted(c, c.rogue, { kid: c.trusted.kid }),
  },
  {
    name: "trusted iss, jku pointing at the untrusted issuer's JWKS",
    reason: 'forbidden_header',
    build: (c) => asTrusted(c, c.rogue, { jku: c.rogueJwksUri }),
  },
  {
    name: "trusted iss, x5u pointing at the untrusted issuer's key",
    reason: 'forbidden_header',
    build: (c) => asTrusted(c, c.rogue, { x5u: c.rogueJwksUri }),
  },
  {
    name: "trusted iss, the untrusted issuer's key embedded (jwk)",
    reason: 'forbidden_header',
    build: (c) => asTrusted(c, c.rogue, { jwk: c.rogue.publicJwk }),
  },
  // Issuer mix-up between two trusted issuers
  {
    name: "issuer mix-up: trusted iss, signed by another trusted issuer's key",
    needsOther: true,
    build: (c) => asTrusted(c, other(c)),
  },
  {
    name: "issuer mix-up: trusted iss and kid, signed by another trusted issuer's key",
    needsOther: true,
    build: (c) => asTrusted(c, other(c), { kid: c.trusted.kid }),
  },
  {
    name: "issuer mix-up: another trusted issuer's iss, signed by the trusted key",
    needsOther: true,
    build: (c) => c.trusted.sign({ ...c.claims, iss: other(c).issuer, aud: c.trusted.audience }),
  },
  {
    name: "issuer mix-up: another trusted issuer's iss and audience, signed by the trusted key (its kid)",
    needsOther: true,
    build: (c) => c.trusted.sign({ ...c.claims, iss: other(c).issuer, aud: other(c).audience }, { kid: other(c).kid }),
  },
  {
    name: 'iss with a trailing slash',
    build: (c) => c.trusted.sign({ ...c.claims, iss: `${c.trusted.issuer}/` }),
  },
  {
    name: 'iss in upper case',
    build: (c) => c.trusted.sign({ ...c.claims, iss: c.trusted.issuer.toUpperCase() }),
  },
  {
    name: 'iss as an array holding the trusted issuer',
    build: (c) => c.trusted.sign({ ...c.claims, iss: [c.trusted.issuer] }),
  },
  // Audience
  {
    name: 'wrong audience',
    reason: 'wrong_audience',
    build: (c) => c.trusted.sign({ ...c.claims, aud: 'urn:another-api' }),
  },
  {
    name: 'no audience',
    reason: 'wrong_audience',
    build: (c) => c.trusted.sign({ ...c.claims, aud: undefined }),
  },
  // Token type (RFC 9068 §2.1): an ID token or another JWT of the issuer is not an access token
  {
    name: 'typ JWT instead of at+jwt',
    reason: 'wrong_typ',
    build: (c) => c.trusted.sign(c.claims, { typ: 'JWT' }),
  },
  {
    name: 'no typ',
    reason: 'wrong_typ',
    build: (c) => c.trusted.sign(c.claims, { typ: undefined }),
  },
  // Algorithm confusion
  {
    name: 'alg none, trusted iss',
    reason: 'alg_not_allowed',
    build: async (c) => unsignedJws('none', c.trusted.claims(c.claims)),
  },
  {
    name: "HS256 with the issuer's public key (PEM) as the secret",
    reason: 'alg_not_allowed',
    build: (c) => keyConfusion(c, c.trusted.publicKey.export({ type: 'spki', format: 'pem' }).toString()),
  },
  {
    name: "HS256 with the issuer's public JWK (JSON) as the secret",
    reason: 'alg_not_allowed',
    build: async (c) => keyConfusion(c, JSON.stringify(await exportJWK(c.trusted.publicKey))),
  },
];
