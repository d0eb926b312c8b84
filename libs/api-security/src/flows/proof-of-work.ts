import { createHash } from 'node:crypto';

/** Issued challenges are 128 random bits in lower-case hex. */
export const CHALLENGE_PATTERN = /^[0-9a-f]{32}$/;
/** Longest challenge or nonce field accepted: anything longer is refused before hashing. */
export const MAX_CHALLENGE_FIELD_LENGTH = 128;

/** Hex SHA-256 of `challenge + nonce` (UTF-8), the value whose leading zeros are counted. */
export function proofOfWorkHash(challenge: string, nonce: string): string {
  return createHash('sha256')
    .update(challenge + nonce, 'utf8')
    .digest('hex');
}

/** Whether `nonce` solves `challenge`: the hash starts with `difficulty` zero hex digits. */
export function solvesProofOfWork(challenge: string, nonce: string, difficulty: number): boolean {
  return proofOfWorkHash(challenge, nonce).startsWith('0'.repeat(difficulty));
}

/**
 * Finds a nonce (a decimal counter) solving `challenge`, as a client would. For tests and
 * examples: expect about 16^difficulty hashes. Throws after `maxTries`.
 */
export function solveProofOfWork(challenge: string, difficulty: number, maxTries = 50_000_000): string {
  for (let i = 0; i < maxTries; i++) {
    const nonce = String(i);
    if (solvesProofOfWork(challenge, nonce, difficulty)) return nonce;
  }
  throw new Error(`No nonce solves the challenge at difficulty ${difficulty} within ${maxTries} tries.`);
}
