import { randomUUID, type KeyObject } from 'node:crypto';
import { base64url, CompactSign } from 'jose';

/** JOSE header or JWT claim members; a member set to `undefined` is left out. */
export type JwtMembers = Record<string, unknown>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `members` without the entries whose value is `undefined`. */
export function withoutUndefined(members: JwtMembers): JwtMembers {
  return Object.fromEntries(Object.entries(members).filter(([, value]) => value !== undefined));
}

/**
 * Claims of an access token as the library issues them (`sub`, `role`, `jti`, whole-second `iat`,
 * `exp` five minutes later, `iss`, `aud`), with `overrides` applied (`undefined` removes a claim).
 */
export function accessTokenClaims(
  issuer: string,
  audience: string,
  overrides: JwtMembers = {},
  nowSeconds = Math.floor(Date.now() / 1000),
): JwtMembers {
  return withoutUndefined({
    sub: 'user-1',
    role: 'user',
    jti: randomUUID(),
    iat: nowSeconds,
    exp: nowSeconds + 300,
    iss: issuer,
    aud: audience,
    ...overrides,
  });
}

/**
 * Signs any header and payload (jose `CompactSign`), so a test can put whatever it likes in the
 * header (`jku`, `jwk`, an odd `typ`…). `header.alg` decides the algorithm.
 */
export async function signJws(header: JwtMembers, claims: JwtMembers, key: KeyObject | Uint8Array): Promise<string> {
  const payload = encoder.encode(JSON.stringify(claims));
  return new CompactSign(payload).setProtectedHeader(withoutUndefined(header) as { alg: string }).sign(key);
}

/** An unsecured token: header `{ alg, typ: 'at+jwt' }` (e.g. `alg: 'nOnE'`) and the given signature segment. */
export function unsignedJws(alg: string, claims: JwtMembers, signature = ''): string {
  const header = base64url.encode(JSON.stringify({ alg, typ: 'at+jwt' }));
  return `${header}.${base64url.encode(JSON.stringify(claims))}.${signature}`;
}

/** The token with its payload replaced, header and signature kept (a claim "changed after signing"). */
export function replacePayload(token: string, claims: JwtMembers): string {
  const [header, , signature] = token.split('.');
  return `${header}.${base64url.encode(JSON.stringify(claims))}.${signature}`;
}

/** A token's payload, decoded without any verification. */
export function decodePayload(token: string): JwtMembers {
  return JSON.parse(decoder.decode(base64url.decode(token.split('.')[1] ?? ''))) as JwtMembers;
}
