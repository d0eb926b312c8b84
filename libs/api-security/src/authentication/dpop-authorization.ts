import { MAX_ACCESS_TOKEN_LENGTH, readBearerHeader } from './bearer-token';
import { JwtRefusal } from './jwt-refusal';

/** The scheme an access token was presented with. */
export type AccessTokenScheme = 'Bearer' | 'DPoP';

/** An access token and the scheme of its `Authorization` header. */
export interface PresentedAccessToken {
  readonly scheme: AccessTokenScheme;
  readonly token: string;
}

/**
 * `Authorization: DPoP <token>` (RFC 9449 §7.1), read with the strictness of `Bearer`: the scheme
 * case-insensitive (RFC 9110 §11.1), exactly one space, one token68, nothing before or after.
 */
const DPOP_AUTHORIZATION = /^DPoP ([A-Za-z0-9\-._~+/]+=*)$/i;
/**
 * The auth-scheme of a header (RFC 9110 §11.4: the token before the first space, or the whole value)
 * is `DPoP`, case-insensitive. Also a cheap test, so that a `Bearer` header never runs the DPoP pattern.
 */
const DPOP_SCHEME = /^dpop(?:\s|$)/i;

/**
 * The scheme a refusal of this header must challenge in: `DPoP` when the client used the DPoP
 * auth-scheme, even with a malformed rest (`DPoP  x`, `DPoP` alone), so that it gets the DPoP
 * challenge with `algs` (RFC 9449 §7.1) rather than a Bearer one; `Bearer` otherwise.
 */
export function challengeSchemeOf(header: string | readonly string[]): AccessTokenScheme {
  return typeof header === 'string' && DPOP_SCHEME.test(header) ? 'DPoP' : 'Bearer';
}

/**
 * Reads an `Authorization` header as `Bearer <token>` or `DPoP <token>`, or says why it is neither
 * (the same refusals as {@link readBearerHeader}, so a malformed DPoP header is `malformed_header`).
 */
export function readAccessTokenHeader(header: string | readonly string[]): PresentedAccessToken | JwtRefusal {
  if (typeof header === 'string' && DPOP_SCHEME.test(header)) {
    if (header.length > MAX_ACCESS_TOKEN_LENGTH + 64) return new JwtRefusal('too_large');
    const token = DPOP_AUTHORIZATION.exec(header)?.[1];
    if (token === undefined) return new JwtRefusal('malformed_header');
    if (token.length > MAX_ACCESS_TOKEN_LENGTH) return new JwtRefusal('too_large');
    return { scheme: 'DPoP', token };
  }
  const token = readBearerHeader(header);
  return token instanceof JwtRefusal ? token : { scheme: 'Bearer', token };
}
