import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

/** The asymmetric signing algorithms (everything the library accepts except HS256). */
export type AsymmetricJwtAlgorithm = 'ES256' | 'RS256' | 'EdDSA';

/** Smallest RSA modulus still considered safe for signatures (NIST SP 800-57). */
export const MIN_RSA_MODULUS_BITS = 2048;

/** Longest accepted `kid` in options; real thumbprints are 43 characters. */
const MAX_KID_LENGTH = 128;
/** Printable ASCII only: a kid ends up in JWKS documents, headers and logs. */
const KID_PATTERN = /^[\x21-\x7e]+$/;

const GENERATE_HINT: Readonly<Record<AsymmetricJwtAlgorithm, string>> = {
  ES256: 'openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256',
  RS256: 'openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048',
  EdDSA: 'openssl genpkey -algorithm ED25519',
};

/** How to create a key that fits the algorithm, for boot error messages. */
export function keyGenerationHint(algorithm: AsymmetricJwtAlgorithm): string {
  return `generate one with \`${GENERATE_HINT[algorithm]}\``;
}

/**
 * What kind of key the algorithm needs when `key` does not fit it, undefined when it does. Works
 * for private and public keys alike. The algorithm decides the key type, never the other way
 * round: that is what keeps a token's `alg` header from choosing how it is verified.
 */
export function keyMismatch(key: KeyObject, algorithm: AsymmetricJwtAlgorithm): string | undefined {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails;
  switch (algorithm) {
    case 'ES256':
      return type === 'ec' && details?.namedCurve === 'prime256v1' ? undefined : 'an EC key on curve P-256';
    case 'RS256':
      return type === 'rsa' && (details?.modulusLength ?? 0) >= MIN_RSA_MODULUS_BITS
        ? undefined
        : `an RSA key of at least ${MIN_RSA_MODULUS_BITS} bits`;
    case 'EdDSA':
      return type === 'ed25519' ? undefined : 'an Ed25519 key';
  }
}

/**
 * Checks `jwt.privateKey` for an asymmetric algorithm. Returns one problem sentence (naming the
 * option and the fix) or undefined. Never includes key material.
 */
export function checkPrivateKeyPem(pem: unknown, algorithm: AsymmetricJwtAlgorithm): string | undefined {
  if (typeof pem !== 'string') return `jwt.privateKey must be a PKCS#8 PEM string; ${keyGenerationHint(algorithm)}.`;
  if (pem.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')) {
    return 'jwt.privateKey must be an unencrypted PKCS#8 PEM: decrypt it with `openssl pkcs8 -in key.pem -out plain.pem`.';
  }
  if (/-----BEGIN (EC|RSA) PRIVATE KEY-----/.test(pem)) {
    return 'jwt.privateKey must be PKCS#8 ("-----BEGIN PRIVATE KEY-----"), not SEC1/PKCS#1: convert it with `openssl pkcs8 -topk8 -nocrypt -in key.pem`.';
  }
  if (!pem.includes('-----BEGIN PRIVATE KEY-----')) {
    return `jwt.privateKey must be a PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"); ${keyGenerationHint(algorithm)}.`;
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    return `jwt.privateKey could not be read as a PKCS#8 PEM private key: check it was copied whole, or ${keyGenerationHint(algorithm)}.`;
  }
  const expected = keyMismatch(key, algorithm);
  return expected === undefined
    ? undefined
    : `jwt.privateKey must be ${expected} because jwt.algorithm is ${algorithm}; ${keyGenerationHint(algorithm)}.`;
}

/** Checks one `jwt.verificationKeys[i].publicKey`. Returns one problem sentence or undefined. */
export function checkPublicKeyPem(pem: unknown, algorithm: AsymmetricJwtAlgorithm, name: string): string | undefined {
  const fix = 'export it with `openssl pkey -in private.pem -pubout`';
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN PUBLIC KEY-----')) {
    return `${name} must be an SPKI PEM ("-----BEGIN PUBLIC KEY-----"): ${fix}.`;
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    return `${name} could not be read as an SPKI PEM public key: check it was copied whole, or ${fix}.`;
  }
  const expected = keyMismatch(key, algorithm);
  return expected === undefined
    ? undefined
    : `${name} must be ${expected} because jwt.algorithm is ${algorithm}: older keys must use the same algorithm.`;
}

/** Checks a configured `kid`. Returns one problem sentence or undefined. */
export function checkKid(kid: unknown, name: string): string | undefined {
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH || !KID_PATTERN.test(kid)) {
    return `${name} must be 1-${MAX_KID_LENGTH} printable ASCII characters without spaces, or be left out to use the key's RFC 7638 thumbprint.`;
  }
  return undefined;
}

/** Hosts allowed over plain http, so tests can serve a JWKS from a local listener. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Checks `jwt.jwksUrl`: https only (plain http for loopback test servers), no credentials, no
 * fragment. Returns one problem sentence or undefined.
 */
export function checkJwksUrl(value: unknown): string | undefined {
  const fix = "use the issuer's https:// JWKS address, e.g. https://issuer.example.com/.well-known/jwks.json";
  if (typeof value !== 'string') return `jwt.jwksUrl must be a URL string: ${fix}.`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `jwt.jwksUrl is not a URL: ${fix}.`;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    return `jwt.jwksUrl must use https (plain http is allowed only for 127.0.0.1 and localhost): ${fix}.`;
  }
  // The value is not echoed: a URL with user info may carry a password.
  if (url.username !== '' || url.password !== '') return `jwt.jwksUrl must not contain credentials: ${fix}.`;
  if (url.hash !== '') return `jwt.jwksUrl must not contain a #fragment: ${fix}.`;
  return undefined;
}
