/** Signing algorithms the library accepts. `none` and every other algorithm are refused. */
export const JWT_ALGORITHMS = ['ES256', 'RS256', 'EdDSA', 'HS256'] as const;
/** A signing algorithm the library accepts: `ES256`, `RS256`, `EdDSA` or `HS256`. */
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];
