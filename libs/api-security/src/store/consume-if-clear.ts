import type { ConsumeIfClearRequest, ConsumeIfClearResult, SecurityStore } from './security-store';

/** A decimal integer, the only form a "valid after" stamp is written in; anything else vetoes. */
const STAMP = /^-?\d{1,16}$/;

/**
 * Whether the value read at a `consumeIfClear` stamp key vetoes the charge: present and not a
 * decimal integer at most `atMostMs`. The same rule as the Redis script's, so every store agrees.
 */
export function stampVetoes(value: string | null, atMostMs: number): boolean {
  return value !== null && !(STAMP.test(value) && Number(value) <= atMostMs);
}

/** Whether the values read by a `consumeIfClear` veto its charge. */
export function vetoedBy(
  request: ConsumeIfClearRequest,
  stamp: string | null,
  marks: readonly (string | null)[],
): boolean {
  return (
    marks.some((mark) => mark !== null) || (request.stamp !== undefined && stampVetoes(stamp, request.stamp.atMostMs))
  );
}

/**
 * `consumeIfClear` as two calls (a read, then the charge when nothing vetoes): for stores that do
 * not implement it, and for Redis Cluster keys that do not share a slot. Not atomic: a revocation
 * written between the two calls is seen by the next request, exactly as with separate calls.
 */
export async function consumeIfClearInParts(
  store: Pick<SecurityStore, 'getMany' | 'consume'>,
  request: ConsumeIfClearRequest,
): Promise<ConsumeIfClearResult> {
  const keys = request.stamp === undefined ? [...request.marks] : [request.stamp.key, ...request.marks];
  const values = keys.length === 0 ? [] : await store.getMany(keys);
  const stamp = request.stamp === undefined ? null : (values[0] ?? null);
  const marks = request.stamp === undefined ? values : values.slice(1);
  if (marks.length !== request.marks.length || vetoedBy(request, stamp, marks)) {
    return { stamp, marks, vetoed: true, counters: [] };
  }
  const counters = request.counters.length === 0 ? [] : await store.consume(request.counters);
  return { stamp, marks, vetoed: false, counters };
}
