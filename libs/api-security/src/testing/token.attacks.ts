import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { exportJWK, type JWK } from 'jose';
import type { JwtAlgorithm } from '../api-security.options';
import type { JwtFailureReason } from '../authentication/jwt-refusal';
import { decodePayload, replacePayload, signJws, unsignedJws, type JwtMembers } from './jwt.primitives';

/** What an attack builds its token from. */
export interface TokenAttackContext {
  readonly algorithm: JwtAlgorithm;
  /** The server's `kid` (undefined for HS256). */
  readonly kid: string | undefined;
  /** The server's public key (asymmetric algorithms). */
  readonly publicKey: KeyObject | undefined;
  /** Where `jku` / `x5u` point. */
  readonly keyUrl: string;
  readonly attacker: { readonly signingKey: KeyObject | Uint8Array; readonly jwk: JWK; readonly kid: string };
  /** Valid claims with overrides (`undefined` removes a claim). */
  claims(overrides?: JwtMembers): JwtMembers;
  /** Signed with the server's own key: only what the overrides change is wrong. */
  serverSigned(claims?: JwtMembers, header?: JwtMembers): Promise<string>;
}

/** Where the token is sent. Only `authorization` is a place the library reads tokens from. */
export type TokenPlacement = 'authorization' | 'query' | 'cookie';

/** One entry of the catalogue: a name known up front, and how to build the token. */
export interface TokenAttack {
  readonly name: string;
  /** The library's `authentication.failure` reason, when one check is expected to fire. */
  readonly reason?: JwtFailureReason;
  /** @default 'authorization' */
  readonly placement?: TokenPlacement;
  /** Only for some server algorithms (e.g. key confusion needs a public key). */
  readonly appliesTo?: (algorithm: JwtAlgorithm) => boolean;
  build(context: TokenAttackContext): Promise<string> | string;
}

const asymmetric = (algorithm: JwtAlgorithm): boolean => algorithm !== 'HS256';
const now = (): number => Math.floor(Date.now() / 1000);
const encoder = new TextEncoder();

function attackerSigned(context: TokenAttackContext, header: JwtMembers = {}): Promise<string> {
  const { algorithm, attacker } = context;
  return signJws(
    { alg: algorithm, typ: 'at+jwt', kid: attacker.kid, ...header },
    context.claims(),
    attacker.signingKey,
  );
}

async function tampered(context: TokenAttackContext, change: (claims: JwtMembers) => JwtMembers): Promise<string> {
  const original = await context.serverSigned();
  return replacePayload(original, change(decodePayload(original)));
}

async function signatureReplaced(context: TokenAttackContext, signature: string): Promise<string> {
  const [header, payload] = (await context.serverSigned()).split('.');
  return `${header}.${payload}.${signature}`;
}

/** HS256 with the server's public key as the HMAC secret, in the spelling `secret` gives. */
function keyConfusion(name: string, secret: (publicKey: KeyObject) => Promise<string> | string): TokenAttack {
  return {
    name: `key confusion: HS256 signed with the public key as ${name}`,
    reason: 'alg_not_allowed',
    appliesTo: asymmetric,
    build: async (context) => {
      const text = await secret(context.publicKey as KeyObject);
      return signJws({ alg: 'HS256', typ: 'at+jwt', kid: context.kid }, context.claims(), encoder.encode(text));
    },
  };
}

const pem = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }).toString();

const NONE_SPELLINGS = ['none', 'None', 'NONE', 'nOnE'];

const CLAIM_ATTACKS: readonly [string, () => JwtMembers, JwtFailureReason][] = [
  ['expired', () => ({ iat: now() - 3600, exp: now() - 600 }), 'expired'],
  ['nbf in the future', () => ({ nbf: now() + 600 }), 'not_yet_valid'],
  ['no exp', () => ({ exp: undefined }), 'invalid_claims'],
  ['no jti', () => ({ jti: undefined }), 'invalid_claims'],
  ['no sub', () => ({ sub: undefined }), 'invalid_claims'],
  ['no iat', () => ({ iat: undefined }), 'invalid_claims'],
  ['an empty sub', () => ({ sub: '' }), 'invalid_claims'],
  ['a numeric sub', () => ({ sub: 42 }), 'invalid_claims'],
  ['a string exp', () => ({ exp: String(now() + 300) }), 'invalid_claims'],
  ['iat far in the future', () => ({ iat: now() + 3600, exp: now() + 7200 }), 'invalid_claims'],
  ['a wrong iss', () => ({ iss: 'https://evil.example' }), 'wrong_issuer'],
  ['no iss', () => ({ iss: undefined }), 'wrong_issuer'],
  ['a wrong aud', () => ({ aud: 'another-api' }), 'wrong_audience'],
  ['no aud', () => ({ aud: undefined }), 'wrong_audience'],
  ['a non-string role', () => ({ role: ['admin'] }), 'invalid_claims'],
];

const TYP_ATTACKS: readonly [string, string | undefined][] = [
  ['typ JWT (a plain JWT)', 'JWT'],
  ['no typ', undefined],
  ['typ rt+jwt (a refresh token)', 'rt+jwt'],
  ['typ application/jwt', 'application/jwt'],
  ['typ id_token+jwt (an ID token)', 'id_token+jwt'],
  ['typ at+jwt with a suffix', 'at+jwt2'],
];

const BAD_KIDS: readonly [string, string][] = [
  ['kid path traversal', '../../../../dev/null'],
  ['kid SQL injection', "' OR '1'='1"],
  ['kid command injection', '$(id)'],
  ['kid __proto__', '__proto__'],
  ['kid constructor', 'constructor'],
  ['empty kid', ''],
];

/**
 * Every forged or malformed access token the library's own attack tests send. Each must be
 * refused with 401.
 */
export const TOKEN_ATTACKS: readonly TokenAttack[] = [
  // Algorithm and signature
  ...NONE_SPELLINGS.flatMap((alg): TokenAttack[] => [
    { name: `alg ${alg}, empty signature`, reason: 'alg_not_allowed', build: (c) => unsignedJws(alg, c.claims()) },
    {
      name: `alg ${alg}, garbage signature`,
      reason: 'alg_not_allowed',
      build: (c) => unsignedJws(alg, c.claims(), 'Z2FyYmFnZQ'),
    },
  ]),
  { name: 'signature removed', build: (c) => signatureReplaced(c, '') },
  { name: 'signature "null"', build: (c) => signatureReplaced(c, 'null') },
  { name: 'signature replaced', build: (c) => signatureReplaced(c, 'AAAA') },
  {
    name: 'sub changed after signing',
    reason: 'bad_signature',
    build: (c) => tampered(c, (claims) => ({ ...claims, sub: `${String(claims.sub)}-other` })),
  },
  {
    name: 'role changed to admin after signing',
    reason: 'bad_signature',
    build: (c) => tampered(c, (claims) => ({ ...claims, role: 'admin' })),
  },
  {
    name: 'exp extended after signing',
    reason: 'bad_signature',
    build: (c) => tampered(c, (claims) => ({ ...claims, exp: now() + 86_400 * 365 })),
  },
  keyConfusion('PEM', pem),
  keyConfusion('trimmed PEM', (key) => pem(key).trim()),
  keyConfusion('JWK JSON', async (key) => JSON.stringify(await exportJWK(key))),
  {
    name: 'another algorithm than the configured one',
    reason: 'alg_not_allowed',
    appliesTo: (algorithm) => algorithm === 'HS256',
    build: (c) => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      return signJws({ alg: 'ES256', typ: 'at+jwt' }, c.claims(), privateKey);
    },
  },
  {
    name: "attacker key claiming the server's kid",
    reason: 'bad_signature',
    build: (c) => attackerSigned(c, { kid: c.kid }),
  },
  { name: 'attacker key under its own kid', reason: 'unknown_kid', build: (c) => attackerSigned(c) },

  // Keys named or carried by the token
  {
    name: 'embedded jwk header carrying the attacker key',
    reason: 'forbidden_header',
    build: (c) => attackerSigned(c, { jwk: c.attacker.jwk }),
  },
  {
    name: 'embedded jwk header, no kid',
    reason: 'forbidden_header',
    build: (c) => attackerSigned(c, { jwk: c.attacker.jwk, kid: undefined }),
  },
  {
    name: 'jku pointing at an attacker URL',
    reason: 'forbidden_header',
    build: (c) => attackerSigned(c, { jku: c.keyUrl }),
  },
  {
    name: 'x5u pointing at an attacker URL',
    reason: 'forbidden_header',
    build: (c) => attackerSigned(c, { x5u: c.keyUrl }),
  },
  ...(
    [
      ['jku', (c: TokenAttackContext) => ({ jku: c.keyUrl })],
      ['x5u', (c: TokenAttackContext) => ({ x5u: c.keyUrl })],
      ['x5c', () => ({ x5c: ['MIIBszCCAVmgAwIBAgIUQ'] })],
      ['jwk', (c: TokenAttackContext) => ({ jwk: c.attacker.jwk })],
      ['crit', () => ({ crit: ['b64'], b64: true })],
    ] as const
  ).map(([member, header]): TokenAttack => ({
    name: `server-signed token carrying ${member}`,
    reason: 'forbidden_header',
    build: (c) => c.serverSigned({}, header(c)),
  })),
  ...BAD_KIDS.map(([name, kid]): TokenAttack => ({
    name,
    reason: 'unknown_kid',
    build: (c) => c.serverSigned({}, { kid }),
  })),
  {
    name: 'no kid',
    reason: 'unknown_kid',
    appliesTo: asymmetric,
    build: (c) => c.serverSigned({}, { kid: undefined }),
  },

  // Claims
  ...CLAIM_ATTACKS.map(([name, claims, reason]): TokenAttack => ({
    name,
    reason,
    build: (c) => c.serverSigned(claims()),
  })),
  ...TYP_ATTACKS.map(([name, typ]): TokenAttack => ({
    name,
    reason: 'wrong_typ',
    build: (c) => c.serverSigned({}, { typ }),
  })),

  // Shape and size
  { name: 'two segments', reason: 'malformed', build: () => 'a.b' },
  {
    name: 'four segments',
    reason: 'malformed',
    build: () => 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2lnbmF0dXJl.ZXh0cmFfc2VnbWVudA',
  },
  { name: 'not a token', reason: 'malformed', build: () => 'not-a-token' },
  {
    name: 'a 9 KB token',
    reason: 'too_large',
    build: () => `${'e'.repeat(3000)}.${'e'.repeat(3000)}.${'e'.repeat(3200)}`,
  },

  // Placement: a valid token anywhere but the Authorization header
  { name: 'valid token in the query string', placement: 'query', build: (c) => c.serverSigned() },
  { name: 'valid token in a cookie', placement: 'cookie', build: (c) => c.serverSigned() },
];
