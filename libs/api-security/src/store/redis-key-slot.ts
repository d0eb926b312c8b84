import { BLOCK_SUFFIX } from './consume.keys';

/**
 * The part of a key Redis Cluster hashes to pick its slot: the content of the first `{…}` when it
 * is non-empty, else the whole key (the rule of the Redis Cluster specification). Two keys with the
 * same hash input always share a slot, so grouping by it needs no CRC16 and never splits a slot
 * wrongly; keys of different inputs that happen to share a slot are merely sent separately.
 */
export function hashInputOf(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

/** True when the key has a non-empty `{hash tag}` that Redis Cluster hashes instead of the whole key. */
export function hasHashTag(key: string): boolean {
  return hashInputOf(key) !== key;
}

/**
 * The key of a counter's block marker, in the counter's slot so one script can touch both.
 *
 * A tagged counter keeps its tag when the suffix is appended. On a standalone Redis an untagged
 * counter keeps the historical `<counter>|blocked` layout (markers already stored stay valid). On
 * Redis Cluster an untagged counter is wrapped whole in a tag, `{<counter>}|blocked`, which hashes
 * exactly like the counter as long as it has no `}` of its own; a counter that has one (and no valid
 * tag) lands in another slot, and Redis answers CROSSSLOT, reported as a TypeError by the store.
 */
export function blockKeyOf(counterKey: string, cluster: boolean): string {
  if (!cluster || hasHashTag(counterKey)) return counterKey + BLOCK_SUFFIX;
  return `{${counterKey}}${BLOCK_SUFFIX}`;
}

/** Groups key positions by hash input, in first-seen order: each group is safe for one MGET on a cluster. */
export function groupBySlot(keys: readonly string[]): number[][] {
  const groups = new Map<string, number[]>();
  keys.forEach((key, index) => {
    const input = hashInputOf(key);
    const group = groups.get(input);
    if (group === undefined) groups.set(input, [index]);
    else group.push(index);
  });
  return [...groups.values()];
}
