/** `typ` values of an RFC 9068 access token, compared in lower case. */
export const ACCESS_TOKEN_TYPES: ReadonlySet<string> = new Set(['at+jwt', 'application/at+jwt']);

/**
 * Header members that let a token choose (or carry) its own verification key, or demand
 * extensions we do not implement. A token that has any of them is refused outright: keys come
 * from configuration only.
 */
export const FORBIDDEN_HEADER_MEMBERS = ['jku', 'x5u', 'x5c', 'jwk', 'crit'] as const;

/** Three base64url segments; the signature may be empty so that `alg: none` gets its own reason. */
export const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
