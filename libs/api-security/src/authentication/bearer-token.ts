import { JwtRefusal } from './jwt-refusal';

/**
 * Largest accepted token, in characters. Our tokens are well under 1 KB; the limit keeps a huge
 * header from reaching base64 and JSON decoding, and bounds what the verified-token cache holds.
 */
export const MAX_ACCESS_TOKEN_LENGTH = 8 * 1024;

/**
 * `Authorization: Bearer <token>` as RFC 6750 §2.1 writes it: the scheme, case-insensitive (RFC
 * 9110 §11.1), exactly one space, one b64token, nothing before or after. Two spaces, a tab or a
 * trailing space make the header malformed rather than being tolerated, so every component that
 * reads the header (the authenticator, the Passport strategy, a proxy) sees the same token.
 */
const BEARER_AUTHORIZATION = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/** The token of a well-formed bearer `Authorization` header, else null. */
export function bearerTokenOf(header: unknown): string | null {
  if (typeof header !== 'string') return null;
  return BEARER_AUTHORIZATION.exec(header)?.[1] ?? null;
}

/** Longest header worth looking at: the scheme, some spaces and the largest accepted token. */
const MAX_HEADER_LENGTH = MAX_ACCESS_TOKEN_LENGTH + 64;

/**
 * Reads an `Authorization` header value the one way both the authenticator and the Passport
 * strategy read it: the bearer token, or why there is none. Oversized values are refused before
 * the pattern runs; a header sent twice (an array) is ambiguous, so refused rather than picking one.
 */
export function readBearerHeader(header: string | readonly string[]): string | JwtRefusal {
  if (typeof header !== 'string') return new JwtRefusal('malformed_header');
  if (header.length > MAX_HEADER_LENGTH) return new JwtRefusal('too_large');
  const token = bearerTokenOf(header);
  if (token === null) return new JwtRefusal('malformed_header');
  if (token.length > MAX_ACCESS_TOKEN_LENGTH) return new JwtRefusal('too_large');
  return token;
}
