import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { JwtAlgorithm } from './app-config';

/** Algorithms signed with a private key (everything but HS256). */
export type AsymmetricJwtAlgorithm = Exclude<JwtAlgorithm, 'HS256'>;

const GENERATE_HINT: Readonly<Record<AsymmetricJwtAlgorithm, string>> = {
  ES256: 'openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256',
  RS256: 'openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048',
  EdDSA: 'openssl genpkey -algorithm ED25519',
};

/** The key each algorithm signs with, as a test on the parsed key and the words for the message. */
const KEY_KINDS: Readonly<Record<AsymmetricJwtAlgorithm, { fits: (key: KeyObject) => boolean; words: string }>> = {
  ES256: {
    fits: (key) => key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1',
    words: 'an EC key on curve P-256',
  },
  RS256: {
    fits: (key) => key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048,
    words: 'an RSA key of at least 2048 bits',
  },
  EdDSA: { fits: (key) => key.asymmetricKeyType === 'ed25519', words: 'an Ed25519 key' },
};

/** How to create a key that fits the algorithm, for error messages. */
export function privateKeyHint(algorithm: AsymmetricJwtAlgorithm): string {
  return `generate one with \`${GENERATE_HINT[algorithm]}\``;
}

/**
 * Env files cannot hold multi-line values portably, so operators paste PEMs with literal `\n`
 * sequences; turn those back into real line breaks.
 */
export function unescapePem(value: string): string {
  return value.replace(/\\r\\n|\\n/g, '\n');
}

/**
 * Checks at boot that the PEM is an unencrypted PKCS#8 private key of the kind the algorithm needs, so a
 * wrong key fails the start instead of the first login. Returns the end of a sentence starting with
 * "JWT_PRIVATE_KEY", or undefined when the key is usable. Never includes the key material.
 */
export function checkPrivateKey(pem: string, algorithm: AsymmetricJwtAlgorithm): string | undefined {
  if (pem.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')) {
    return 'must be an unencrypted PKCS#8 PEM; decrypt it with `openssl pkcs8 -in key.pem -out plain.pem`';
  }
  if (/-----BEGIN (EC|RSA) PRIVATE KEY-----/.test(pem)) {
    return 'must be PKCS#8 ("BEGIN PRIVATE KEY"), not SEC1/PKCS#1; convert it with `openssl pkcs8 -topk8 -nocrypt -in key.pem`';
  }
  if (!pem.includes('-----BEGIN PRIVATE KEY-----')) {
    return `must be a PKCS#8 PEM starting with "-----BEGIN PRIVATE KEY-----" (literal \\n allowed); ${privateKeyHint(algorithm)}`;
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    return `could not be read as a PEM private key; check it was copied whole, or ${privateKeyHint(algorithm)}`;
  }
  const kind = KEY_KINDS[algorithm];
  return kind.fits(key)
    ? undefined
    : `must be ${kind.words} because JWT_ALGORITHM=${algorithm}; ${privateKeyHint(algorithm)}`;
}
