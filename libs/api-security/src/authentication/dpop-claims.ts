import { createHash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { JwtRefusal } from './jwt-refusal';

/** An RFC 7638 SHA-256 thumbprint: 32 bytes in base64url, no padding. */
const JKT = /^[A-Za-z0-9_-]{43}$/;

/**
 * The `cnf.jkt` of an access token (RFC 9449 §6.1), undefined when it has no `cnf`. A `cnf` that
 * binds the token some other way (`x5t#S256`, mutual TLS) or is malformed is refused: a
 * sender-constrained token whose binding cannot be checked must not pass as a bearer token.
 * @throws JwtRefusal `invalid_claims` naming `cnf`
 */
export function confirmationThumbprint(claims: JWTPayload): string | undefined {
  const cnf: unknown = claims.cnf;
  if (cnf === undefined) return undefined;
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) throw new JwtRefusal('invalid_claims', 'cnf');
  const jkt: unknown = (cnf as Record<string, unknown>).jkt;
  if (typeof jkt !== 'string' || !JKT.test(jkt)) throw new JwtRefusal('invalid_claims', 'cnf');
  return jkt;
}

/** `ath`: base64url of the SHA-256 of the access token's ASCII (RFC 9449 §4.2). */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}
