/**
 * Store keys of refresh tokens. Both keys of one token share its `{rt:<hash>}` hash tag (one Redis
 * Cluster slot); a family's key has a tag of its own. No operation reads keys of different tags in
 * one command, so nothing here needs a cross-slot read.
 *
 * `<hash>` is the base64url SHA-256 of the whole token: the token itself never reaches the store.
 */

/** The live token: present until it is rotated (taken), or its idle deadline passes. */
export function liveRefreshTokenKey(tokenHash: string): string {
  return `{rt:${tokenHash}}:live`;
}

/**
 * Kept until the family's absolute expiry: who the token belonged to and, once rotated, when it was
 * spent. It is how a replayed token is recognised (and its family found) after the live key is gone.
 */
export function issuedRefreshTokenKey(tokenHash: string): string {
  return `{rt:${tokenHash}}:issued`;
}

/** Present while the family (one login session) is alive; deleting it kills every token of the family. */
export function refreshFamilyKey(familyId: string): string {
  return `{rf:${familyId}}`;
}
