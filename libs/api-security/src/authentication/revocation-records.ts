import type { RevocationRecordKeys } from '../common/deferred-revocation';
import { revokedJtiKey, revokedSessionKey, userValidAfterKey } from './revocation.keys';

/** What decides whether a credential was revoked (see `RevocationService.isRevoked`). */
export interface RevocableCredential {
  /** The user id (`sub`). */
  readonly id: string;
  /** The token id (`jti`). */
  readonly tokenId?: string;
  /** Issue time, epoch seconds (`iat`). */
  readonly issuedAt?: number;
  /** The session the token was minted from (`sid`). */
  readonly sessionId?: string;
}

/**
 * The store keys that decide a credential's revocation: the marks whose presence revokes it (its
 * `jti`, its session), and the user's "valid after" stamp with the highest value that leaves it
 * valid. Without a usable `issuedAt` the stamp is a mark: any stamp revokes (fail closed).
 */
export function revocationRecordsOf(credential: RevocableCredential): RevocationRecordKeys {
  // Principals of cached tokens are the same frozen object on every request: build their keys once.
  // Only frozen credentials are ever remembered, and a frozen object stays frozen, so a hit needs no
  // Object.isFrozen (a call into the runtime, dearer than the lookup).
  const known = recordsByCredential.get(credential);
  if (known !== undefined) return known;
  const frozen = Object.isFrozen(credential);
  const records = buildRecords(credential);
  if (frozen) {
    // Shared by every request of the token from now on, so nothing may change it.
    Object.freeze(records.marks);
    recordsByCredential.set(credential, Object.freeze(records));
  }
  return records;
}

/** Keyed by credential objects that outlive requests (frozen principals of the verified-token cache). */
const recordsByCredential = new WeakMap<RevocableCredential, RevocationRecordKeys>();

function buildRecords(credential: RevocableCredential): RevocationRecordKeys {
  const { id, tokenId, sessionId, issuedAt } = credential;
  const marks: string[] = [];
  if (tokenId !== undefined) marks.push(revokedJtiKey(id, tokenId));
  if (sessionId !== undefined) marks.push(revokedSessionKey(id, sessionId));
  if (typeof issuedAt !== 'number' || !Number.isFinite(issuedAt)) return { marks: [userValidAfterKey(id), ...marks] };
  // Revoked when issuedAt * 1000 < stamp; stamps are whole milliseconds, so clear up to the floor.
  return { marks, stamp: { key: userValidAfterKey(id), atMostMs: Math.floor(issuedAt * 1000) } };
}

/**
 * The revocation decision on the records already read: the stamp's value (null without one) and
 * the marks' values, in {@link revocationRecordsOf}'s order. Any mark present revokes, whatever its
 * value; a short answer counts as one; a stamp that is not a number, or with no `issuedAt` to
 * compare, revokes.
 */
export function revokedByRecords(
  credential: RevocableCredential,
  stamp: string | null,
  marks: readonly (string | null)[],
): boolean {
  const records = revocationRecordsOf(credential);
  if (marks.length !== records.marks.length || marks.some((mark) => mark !== null && mark !== undefined)) return true;
  if (records.stamp === undefined || stamp === null || stamp === undefined) return false;
  const validAfterMs = Number(stamp);
  if (!Number.isFinite(validAfterMs) || credential.issuedAt === undefined) return true;
  return credential.issuedAt * 1000 < validAfterMs;
}
